from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import policy
from ..activity.services import history_of
from ..editing import Conflict, create, save_changes
from ..forms import db_int, form_errors
from ..htmx import refused, render
from ..timeutil import school_year
from . import bp, services
from .access import can_see_context_of
from .forms import (
    DIRECTION_LABELS,
    FLAG_LABELS,
    KIND_LABELS,
    OrganisationForm,
    OrganisationRowForm,
    PartnershipForm,
    PartnershipRowForm,
    TimezoneForm,
    context_form,
    context_shares,
)
from .models import ORG_KINDS, Organisation, Partnership

LIST = "orgs/organisations.html"


def _list(block, status=200, **context):
    """The organisations list (the page, or one of its blocks for htmx) with its labels."""
    return render(LIST, block=block, status=status, kinds=KIND_LABELS, flags=FLAG_LABELS, **context)


def _fields(form, names):
    return {name: getattr(form, name).data for name in names}


# --- Organisations -----------------------------------------------------------------

@bp.get("/orgs")
def organisations():
    policy.require("view")
    q = request.args.get("q", "")[:100]
    kind = request.args.get("kind", "")
    kind = kind if kind in ORG_KINDS else ""
    flag = request.args.get("flag", "")
    flag = flag if flag in FLAG_LABELS else ""
    orgs = services.search_organisations(q, kind, flag)
    return _list("results", orgs=orgs, q=q, kind=kind, flag=flag,
                 timezone_form=TimezoneForm(timezone=current_user.municipality.timezone))


@bp.post("/orgs/timezone")
def save_timezone():
    """The municipality's zone: every time is shown in it and "today" is its today."""
    municipality = policy.require("manage")
    form = TimezoneForm()
    if not form.validate_on_submit():
        return refused(url_for("orgs.organisations"), form_errors(form))
    services.set_timezone(current_user, municipality, form.timezone.data)
    flash(_("Часовой пояс муниципалитета: %(zone)s.", zone=form.timezone.data), "success")
    return redirect(url_for("orgs.organisations"))


@bp.route("/orgs/new", methods=["GET", "POST"])
def new_organisation():
    policy.require("manage")
    form = OrganisationForm()
    if form.validate_on_submit():
        org = Organisation(municipality_id=current_user.municipality_id, **_fields(form, services.ORG_FIELDS))
        create(current_user, org, services.ORG_FIELDS)
        flash(_("Организация «%(name)s» создана.", name=org.short_name), "success")
        return redirect(url_for("orgs.organisation", org_id=org.id))
    return render("orgs/organisation_form.html", form=form, org=None, status=422 if request.method == "POST" else 200)


@bp.get("/orgs/<int:org_id>")
def organisation(org_id):
    org = policy.load(Organisation, org_id, "view")
    year = school_year()
    profile = services.context_profile(org, year) if org.is_school and can_see_context_of(org) else None
    history = history_of(org, 30) if policy.can("read_history", org) else []
    return render("orgs/organisation.html", org=org, profile=profile, context_year=year,
                  partnerships=services.partnerships_of(org), history=history, kinds=KIND_LABELS,
                  directions=DIRECTION_LABELS)


@bp.route("/orgs/<int:org_id>/edit", methods=["GET", "POST"])
def edit_organisation(org_id):
    org = policy.load(Organisation, org_id, "edit")
    form = OrganisationForm(obj=org)
    if request.method == "GET":
        form.version.data = org.version
    if form.validate_on_submit():
        try:
            save_changes(current_user, org, _fields(form, services.ORG_FIELDS), form.version.data)
        except Conflict as exc:
            return render("orgs/organisation_form.html", form=form, org=org, conflict=exc, status=409)
        flash(_("Изменения сохранены."), "success")
        return redirect(url_for("orgs.organisation", org_id=org.id))
    return render("orgs/organisation_form.html", form=form, org=org, status=422 if request.method == "POST" else 200)


@bp.get("/orgs/<int:org_id>/row")
def organisation_row(org_id):
    org = policy.load(Organisation, org_id, "view")
    return _list("row", org=org)


@bp.get("/orgs/<int:org_id>/row/edit")
def organisation_row_form(org_id):
    org = policy.load(Organisation, org_id, "edit")
    form = OrganisationRowForm(obj=org)
    form.version.data = org.version
    return _list("row_form", org=org, form=form)


@bp.post("/orgs/<int:org_id>/row")
def save_organisation_row(org_id):
    org = policy.load(Organisation, org_id, "edit")
    form = OrganisationRowForm()
    if not form.validate_on_submit():
        return _list("row_form", org=org, form=form, status=422)
    try:
        save_changes(current_user, org, _fields(form, services.ROW_FIELDS), form.version.data)
    except Conflict as exc:
        form.version.data = exc.current.version  # "apply mine" re-submits over the current version
        return _list("row_form", org=exc.current, form=form, conflict=exc, status=409)
    return _list("row", org=org)


@bp.route("/orgs/<int:org_id>/context", methods=["GET", "POST"])
def context_profile(org_id):
    org = policy.load(Organisation, org_id, "edit")
    year = school_year()  # the data describe this year's families; earlier years stay as entered
    profile = services.context_profile(org, year)
    form = context_form(profile)
    if form.validate_on_submit():
        services.save_context_profile(current_user, org, context_shares(form, profile), year)
        flash(_("Контекстный профиль сохранён."), "success")
        return redirect(url_for("orgs.organisation", org_id=org.id))
    return render("orgs/context_form.html", org=org, form=form, profile=profile, year=year,
                  status=422 if request.method == "POST" else 200)


# --- Partnerships ------------------------------------------------------------------

def _partnership_choices(form, item=None):
    schools = services.schools(current_user.municipality_id)
    form.school_id.choices = [(s.id, s.short_name) for s in schools]
    # The list offers only schools that may be tutors; a post (a page opened before a school
    # became ШНОР) is checked against all schools so that the refusal says why (_partnership_valid).
    tutors = schools if request.method == "POST" else services.tutor_school_choices(current_user.municipality_id)
    if item is not None and item.tutor_school not in tutors:
        tutors.append(item.tutor_school)  # shown as it is; saving it is refused with the reason
    form.tutor_school_id.choices = [(s.id, s.short_name) for s in tutors]
    form.curator_id.choices = [(u.id, u.full_name) for u in services.curators(current_user.municipality_id)]


def _partnership_valid(form, item=None):
    """The form's own checks, then the department's rules (services); errors shown on the form."""
    if not form.validate_on_submit():
        return False
    error = services.tutor_school_error(form.tutor_school_id.data)
    if error:
        form.tutor_school_id.errors.append(error)
        return False
    error = services.partnership_years_error(item, form.start_year.data, form.start_year.data + 2)
    if error:
        form.start_year.errors.append(error)
        return False
    return True


def _partnership_data(form):
    data = _fields(form, services.PARTNERSHIP_FIELDS[:4] + services.PARTNERSHIP_FIELDS[5:])
    data["end_year"] = form.start_year.data + 2
    return data


@bp.get("/partnerships")
def partnerships():
    policy.require("view")
    q = request.args.get("q", "")[:100]
    return render("orgs/partnerships.html", block="results", partnerships=services.list_partnerships(q), q=q)


@bp.route("/partnerships/new", methods=["GET", "POST"])
def new_partnership():
    policy.require("manage")
    form = PartnershipForm()
    _partnership_choices(form)
    if request.method == "GET" and request.args.get("school", type=db_int) is not None:  # «²» is a digit, not an int
        form.school_id.data = request.args.get("school", type=db_int)
    if _partnership_valid(form):
        item = Partnership(municipality_id=current_user.municipality_id, **_partnership_data(form))
        create(current_user, item, services.PARTNERSHIP_FIELDS)
        flash(_("Сопровождение создано."), "success")
        return redirect(url_for("orgs.partnership", partnership_id=item.id))
    return render("orgs/partnership_form.html", form=form, item=None, status=422 if request.method == "POST" else 200)


@bp.get("/partnerships/<int:partnership_id>")
def partnership(partnership_id):
    item = policy.load(Partnership, partnership_id, "view")
    return render("orgs/partnership.html", item=item,
                  history=history_of(item, 30) if policy.can("read_history", item) else [])


@bp.route("/partnerships/<int:partnership_id>/edit", methods=["GET", "POST"])
def edit_partnership(partnership_id):
    item = policy.load(Partnership, partnership_id, "edit")
    form = PartnershipForm(obj=item)
    _partnership_choices(form, item)
    if request.method == "GET":
        form.version.data = item.version
    if _partnership_valid(form, item):
        try:
            save_changes(current_user, item, _partnership_data(form), form.version.data)
        except Conflict as exc:
            return render("orgs/partnership_form.html", form=form, item=item, conflict=exc, status=409)
        flash(_("Изменения сохранены."), "success")
        return redirect(url_for("orgs.partnership", partnership_id=item.id))
    return render("orgs/partnership_form.html", form=form, item=item, status=422 if request.method == "POST" else 200)


@bp.get("/partnerships/<int:partnership_id>/row")
def partnership_row(partnership_id):
    item = policy.load(Partnership, partnership_id, "view")
    return render("orgs/partnerships.html", block="row", item=item)


@bp.get("/partnerships/<int:partnership_id>/row/edit")
def partnership_row_form(partnership_id):
    item = policy.load(Partnership, partnership_id, "edit")
    form = PartnershipRowForm(obj=item)
    form.curator_id.choices = [(u.id, u.full_name) for u in services.curators(current_user.municipality_id)]
    form.version.data = item.version
    return render("orgs/partnerships.html", block="row_form", item=item, form=form)


@bp.post("/partnerships/<int:partnership_id>/row")
def save_partnership_row(partnership_id):
    item = policy.load(Partnership, partnership_id, "edit")
    form = PartnershipRowForm()
    form.curator_id.choices = [(u.id, u.full_name) for u in services.curators(current_user.municipality_id)]
    if not form.validate_on_submit():
        return render("orgs/partnerships.html", block="row_form", item=item, form=form, status=422)
    try:
        save_changes(current_user, item, _fields(form, services.PARTNERSHIP_ROW_FIELDS), form.version.data)
    except Conflict as exc:
        form.version.data = exc.current.version
        return render("orgs/partnerships.html", block="row_form", item=exc.current, form=form, conflict=exc, status=409)
    return render("orgs/partnerships.html", block="row", item=item)
