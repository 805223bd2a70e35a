"""Visits, lesson observations, recommendations and events."""
from datetime import date

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectField

from .. import policy
from ..accounts.models import User
from ..activity.services import history_of
from ..collab import services as collab
from ..collab import uploads
from ..collab.forms import AttachmentForm, CommentForm
from ..editing import Conflict
from ..forms import db_int, form_errors
from ..htmx import refused, render
from ..htmx import respond as answer_inline
from ..orgs.models import Organisation, Partnership
from ..programmes.models import Section
from ..teachers import services as teachers
from ..teachers.models import Teacher
from ..timeutil import today
from . import bp, services
from .access import can_host_event
from .forms import (
    REASON_STATUSES,
    RECOMMENDATION_STATUS_LABELS,
    VISIT_STATUS_LABELS,
    VISIT_STATUS_MUTED,
    CoverageForm,
    CriterionForm,
    EventForm,
    ObservationForm,
    RecommendationForm,
    RespondForm,
    ToTaskForm,
    VisitForm,
)
from .models import Event, LessonObservation, ObservationCriterion, Recommendation, Visit

# The recommendation row: a partial, not a block of one page, because four places show it
# (the visit page twice — its own and those to check —, the recommendation page, the school
# timeline); `respond` answers its block "row".
ROW = "visits/_recommendation_row.html"


def _labels():
    """Labels and display rules every visits template may use (from forms and services)."""
    return {"visit_formats": services.VISIT_FORMATS, "event_formats": services.EVENT_FORMATS,
            "rec_labels": RECOMMENDATION_STATUS_LABELS, "visit_status_labels": VISIT_STATUS_LABELS,
            "visit_status_muted": VISIT_STATUS_MUTED, "reason_statuses": REASON_STATUSES,
            "rating_labels": services.RATING_LABELS}


def _row_context():
    """What the recommendation row needs besides the recommendation."""
    return {"today": today(), "respond_form_for": _respond_form, **_labels()}


def _respond_form(rec):
    """The row's status control, filled in from the recommendation."""
    return RespondForm(formdata=None, status=rec.status, reason=rec.reason, version=rec.version)


def _people_choices():
    return [(u.id, f"{u.full_name}{' — ' + u.organisation.short_name if u.organisation else ''}")
            for u in services.visit_people(current_user.municipality_id)]


def _org_choices():
    return [(o.id, o.short_name) for o in services.event_hosts(current_user.municipality_id)]


def _pick(model, ids):
    return services.pick(model, ids, current_user.municipality_id)


def _visit_form(obj=None, formdata=True):
    form = VisitForm() if formdata else VisitForm(obj=obj)
    form.format.choices = list(services.VISIT_FORMATS.items())
    form.partnership_id.choices = [(p.id, p.school.short_name) for p in services.visitable_partnerships()]
    form.people.choices = _people_choices()
    form.organisations.choices = _org_choices()
    if obj is not None:
        del form.partnership_id  # the school of a visit does not change
        if obj.status == "submitted":
            del form.planned  # a visit sent to the school was held
        elif not formdata:
            form.planned.data = obj.status == "planned"
        if not formdata:
            form.people.data = [u.id for u in obj.people]
            form.organisations.data = [o.id for o in obj.organisations]
            form.version.data = obj.version
    return form


def _visit_data(form, municipality, visit=None):
    """The form's fields and status (planned / held), or None with the date refusal on the form."""
    data = {f: getattr(form, f).data for f in services.VISIT_FIELDS}
    planned = "planned" in form and form.planned.data
    error = services.visit_date_error(planned, data["visit_date"], municipality)
    if error:
        form.visit_date.errors.append(error)
        return None
    if visit is None or visit.status != "submitted":
        data["status"] = "planned" if planned else "draft"
    return data


# --- Visits -------------------------------------------------------------------------

@bp.get("/visits")
def visits():
    policy.require("view")
    args = request.args
    municipality = current_user.municipality
    filters = {"q": args.get("q", "")[:100], "school": args.get("school", type=db_int),
               "format": args.get("format", ""), "person": args.get("person", type=db_int),
               "date_from": _date(args.get("date_from")), "date_to": _date(args.get("date_to"))}
    found = services.search_visits(filters)
    gaps = services.coverage_gaps(municipality) if policy.can("compare_schools", municipality) else []
    schools = services.supported_schools()
    next_visits = services.next_planned_visits([p.id for p, _last in gaps], current_user.municipality)
    return render("visits/list.html", block="results", visits=found, filters=filters, gaps=gaps, schools=schools,
                  next_visits=next_visits,
                  people=_people_choices(), coverage_form=CoverageForm(weeks=municipality.visit_coverage_weeks),
                  can_visit=bool(services.visitable_partnerships()), **_labels())


def _date(value):
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@bp.post("/visits/coverage")
def coverage_setting():
    municipality = policy.require("manage")
    form = CoverageForm()
    if not form.validate_on_submit():
        return refused(url_for("visits.visits"), form_errors(form))
    services.set_coverage_weeks(municipality, form.weeks.data)
    flash(_("Порог предупреждения: %(n)s нед.", n=form.weeks.data), "success")
    return redirect(url_for("visits.visits"), 303)


@bp.route("/visits/new", methods=["GET", "POST"])
def new_visit():
    policy.require("view")
    form = _visit_form()
    if not form.partnership_id.choices:
        abort(403)
    if request.method == "GET":
        form.partnership_id.data = request.args.get("partnership", type=db_int)
        form.visit_date.data = today()
        form.people.data = [current_user.id]
        if current_user.organisation_id:
            form.organisations.data = [current_user.organisation_id]
    data = form.validate_on_submit() and _visit_data(form, current_user.municipality)
    if data:
        partnership = policy.load(Partnership, form.partnership_id.data, "visit")
        visit = services.create_visit(current_user, partnership, data,
                                      _pick(User, form.people.data), _pick(Organisation, form.organisations.data))
        if visit.status == "planned":
            flash(_("Выезд запланирован. Когда он состоится, отметьте его проведённым и заполните выводы."), "success")
        else:
            flash(_("Выезд создан. Начните с проверки открытых рекомендаций прошлых выездов."), "success")
        return redirect(url_for("visits.visit", visit_id=visit.id))
    return render("visits/form.html", form=form, visit=None, status=422 if request.method == "POST" else 200)


def _visit_page(visit, status=200, **extra):
    criteria = services.checklist(visit.municipality_id)
    recs = services.recommendations_of(visit)
    programme, sections = services.sections_for(recs[0]) if recs else (None, [])
    obs_form = extra.pop("obs_form", None) or _observation_form(visit, criteria)
    rec_form = extra.pop("rec_form", None) or _recommendation_form(visit)
    return render("visits/visit.html", status=status, visit=visit, criteria=criteria,
                  observations=services.observations_of(visit), recommendations=recs,
                  to_check=services.open_recommendations_of(visit.partnership_id, visit),
                  programme=programme, to_task_form=_to_task_form(sections), obs_form=obs_form, rec_form=rec_form,
                  actions=services.visit_actions(visit), comment_form=CommentForm(), upload_form=AttachmentForm(),
                  comments=collab.comments_of(visit), attachments=uploads.attachments_of(visit),
                  history=history_of(visit), **_row_context(), **extra)


def _to_task_form(sections):
    """«В программу»: the sections of the school's current programme, numbered as on its page."""
    form = ToTaskForm(formdata=None)
    form.section_id.choices = [(s.id, f"{n}. {_shortened(s.title, 70)}") for n, s in enumerate(sections, start=1)]
    return form


def _shortened(text, length):
    return text if len(text) <= length else text[:length - 1].rstrip() + "…"


def _observation_form(visit, criteria, obj=None, formdata=True):
    class Form(ObservationForm):
        pass

    for c in criteria:
        setattr(Form, f"r{c.id}", SelectField(c.text, choices=[("", "—")] + [(str(k), v) for k, v in
                                                                          services.RATING_LABELS.items()],
                                              default=str((obj.ratings or {}).get(str(c.id), "")) if obj else ""))
    form = Form(prefix="obs") if formdata else Form(prefix="obs", obj=obj)
    form.teacher_id.choices = [(0, "—")] + [(t.id, f"{t.full_name}, {t.subjects}")
                                            for t in teachers.teachers_of(visit.school_id)]
    if obj is not None and not formdata:
        form.teacher_id.data = obj.teacher_id or 0
        form.version.data = obj.version
    return form


def _observation_data(form, criteria):
    data = {f: getattr(form, f).data for f in services.OBSERVATION_FIELDS}
    data["teacher_id"] = data["teacher_id"] or None
    ratings = {str(c.id): int(form[f"r{c.id}"].data) for c in criteria if form[f"r{c.id}"].data not in ("", None)}
    return data, ratings


def _recommendation_form(visit, obj=None, formdata=True):
    form = RecommendationForm(prefix="rec") if formdata else RecommendationForm(prefix="rec", obj=obj)
    form.owner_user_id.choices = [(0, "—")] + [(u.id, u.full_name) for u in services.school_people(visit)]
    if obj is not None and not formdata:
        form.owner_user_id.data = obj.owner_user_id or 0
        form.version.data = obj.version
    return form


@bp.get("/visits/<int:visit_id>")
def visit(visit_id):
    return _visit_page(policy.load(Visit, visit_id, "view"))


@bp.route("/visits/<int:visit_id>/edit", methods=["GET", "POST"])
def edit_visit(visit_id):
    visit = policy.load(Visit, visit_id, "edit")
    form = _visit_form(visit, formdata=request.method == "POST")
    data = form.validate_on_submit() and _visit_data(form, current_user.municipality, visit)
    if data:
        try:
            services.save_visit(current_user, visit, data, form.version.data, _pick(User, form.people.data),
                                _pick(Organisation, form.organisations.data))
        except Conflict as exc:  # the 409 rolls the request back
            form.version.data = exc.current.version
            return render("visits/form.html", form=form, visit=visit, conflict=exc, status=409)
        flash(_("Выезд сохранён."), "success")
        return redirect(url_for("visits.visit", visit_id=visit.id))
    return render("visits/form.html", form=form, visit=visit, status=422 if request.method == "POST" else 200)


@bp.post("/visits/<int:visit_id>/submit")
def submit_visit(visit_id):
    visit = policy.load(Visit, visit_id, "edit")
    page = url_for("visits.visit", visit_id=visit.id)
    refusal = services.submit_refusal(visit)
    if refusal:
        return refused(page, *refusal)
    try:
        services.submit_visit(current_user, visit)
    except Conflict:
        return refused(page, _("Выезд изменил другой участник. Проверьте и отправьте ещё раз."), "warning")
    flash(_("Выезд отправлен: школа получила уведомление с выводами."), "success")
    return redirect(page, 303)


@bp.post("/visits/<int:visit_id>/comments")
def comment_visit(visit_id):
    visit = policy.load(Visit, visit_id, "comment")
    form = CommentForm()
    page = url_for("visits.visit", visit_id=visit.id, _anchor="comments")
    if not form.validate_on_submit():
        return refused(page, form_errors(form))
    collab.add_comment(current_user, visit, form.body.data, visit.scope,
                       url_for("visits.visit", visit_id=visit.id), services.visit_participants(visit))
    return redirect(page, 303)


@bp.post("/visits/<int:visit_id>/attachments")
def upload_visit(visit_id):
    visit = policy.load(Visit, visit_id, "edit")
    attachment, message, category = uploads.attach_from_form(AttachmentForm(), current_user, visit, visit.scope)
    page = url_for("visits.visit", visit_id=visit.id, _anchor="files")
    if not attachment:
        return refused(page, message, category)
    flash(message, category)
    return redirect(page, 303)

# --- Lesson observations --------------------------------------------------------------

@bp.post("/visits/<int:visit_id>/observations")
def add_observation(visit_id):
    visit = policy.load(Visit, visit_id, "edit")
    criteria = services.checklist(visit.municipality_id)
    form = _observation_form(visit, criteria)
    if not form.validate_on_submit():
        return _visit_page(visit, status=422, obs_form=form)
    data, ratings = _observation_data(form, criteria)
    if data["teacher_id"]:
        policy.load(Teacher, data["teacher_id"], "view")
    services.add_observation(current_user, visit, data, ratings)
    flash(_("Посещение урока записано."), "success")
    return redirect(url_for("visits.visit", visit_id=visit.id, _anchor="observations"))


@bp.route("/observations/<int:observation_id>/edit", methods=["GET", "POST"])
def edit_observation(observation_id):
    obs = policy.load(LessonObservation, observation_id, "edit")
    visit = obs.visit
    criteria = services.checklist(visit.municipality_id)
    form = _observation_form(visit, criteria, obs, formdata=request.method == "POST")
    status = 200
    if form.validate_on_submit():
        data, ratings = _observation_data(form, criteria)
        data["ratings"] = ratings
        try:
            services.save_observation(current_user, obs, data, form.version.data)
        except Conflict as exc:
            form.version.data = exc.current.version
            return render("visits/observation_form.html", form=form, obs=obs, visit=visit, conflict=exc,
                          status=409)
        flash(_("Посещение урока сохранено."), "success")
        return redirect(url_for("visits.visit", visit_id=visit.id, _anchor="observations"))
    if request.method == "POST":
        status = 422
    return render("visits/observation_form.html", form=form, obs=obs, visit=visit, status=status)


# --- Recommendations ------------------------------------------------------------------

@bp.post("/visits/<int:visit_id>/recommendations")
def add_recommendation(visit_id):
    visit = policy.load(Visit, visit_id, "edit")
    form = _recommendation_form(visit)
    if not form.validate_on_submit():
        return _visit_page(visit, status=422, rec_form=form)
    data = {f: getattr(form, f).data for f in services.RECOMMENDATION_FIELDS}
    data["owner_user_id"] = data["owner_user_id"] or None
    services.add_recommendation(current_user, visit, data)
    flash(_("Рекомендация добавлена."), "success")
    return redirect(url_for("visits.visit", visit_id=visit.id, _anchor="recommendations"))


@bp.get("/recommendations/<int:rec_id>")
def recommendation(rec_id):
    rec = policy.load(Recommendation, rec_id, "view")
    programme, sections = services.sections_for(rec)
    form = _recommendation_form(rec.visit, rec, formdata=False) if rec.visit else None
    return render("visits/recommendation.html", rec=rec, form=form, programme=programme,
                  to_task_form=_to_task_form(sections), history=history_of(rec), **_row_context())


@bp.post("/recommendations/<int:rec_id>/edit")
def edit_recommendation(rec_id):
    rec = policy.load(Recommendation, rec_id, "edit")
    form = _recommendation_form(rec.visit, rec) if rec.visit else abort(404)
    page = url_for("visits.recommendation", rec_id=rec.id)
    if not form.validate_on_submit():
        return refused(page, form_errors(form))
    data = {f: getattr(form, f).data for f in services.RECOMMENDATION_FIELDS}
    data["owner_user_id"] = data["owner_user_id"] or None
    try:
        services.save_recommendation(current_user, rec, data, form.version.data)
    except Conflict:
        return refused(page, _("Рекомендацию уже изменил другой участник: ниже текущая версия. "
                                "Внесите правку заново."), "warning")
    flash(_("Рекомендация сохранена."), "success")
    return redirect(page, 303)


@bp.post("/recommendations/<int:rec_id>/status")
def respond(rec_id):
    """Status of a recommendation: from its page, from the school's list, or while a later
    visit checks the open ones (`visit` names that visit)."""
    rec = policy.load(Recommendation, rec_id, "respond")
    checking = request.form.get("visit", type=db_int)
    visit = policy.load(Visit, checking, "edit") if checking else None
    form = RespondForm()
    status, message, conflict = 200, None, None
    if not form.validate_on_submit():
        status, message = 422, (form_errors(form), "error")
    else:
        try:
            services.respond(current_user, rec, form.status.data, form.reason.data, form.version.data, visit)
            message = (_("Статус рекомендации: %(status)s.", status=RECOMMENDATION_STATUS_LABELS[rec.status]),
                       "success")
            form = None  # the row shows the saved recommendation (its new version), not what was sent
        except Conflict as exc:  # theirs beside mine; saving again (with their version) writes mine
            status, conflict = 409, exc  # without JavaScript: the standard 409 message (htmx.respond)
            rec = exc.current
            form.version.data = rec.version
    fallback = url_for("visits.visit", visit_id=visit.id, _anchor="to-check") if visit else \
        url_for("visits.recommendation", rec_id=rec.id)
    return answer_inline(ROW, "row", fallback=fallback, status=status, message=message, context=_row_context,
                         rec=rec, checking=visit, row_form=form, conflict=conflict)


@bp.post("/recommendations/<int:rec_id>/task")
def recommendation_to_task(rec_id):
    rec = policy.load(Recommendation, rec_id, "edit")
    page = url_for("visits.recommendation", rec_id=rec.id)
    programme, sections = services.sections_for(rec)
    if programme is None:
        return refused(page, _("У школы нет действующей программы: рекомендацию некуда добавить."))
    policy.authorize("edit", programme)
    if rec.task_id:
        return refused(url_for("programmes.task", task_id=rec.task_id), _("Рекомендация уже в программе."), "info")
    form = ToTaskForm()
    form.section_id.choices = [(s.id, s.title) for s in sections]
    if not form.validate_on_submit():
        return refused(page, form_errors(form))
    section = policy.load(Section, form.section_id.data, "edit")
    try:
        task = services.to_task(current_user, rec, section)
    except Conflict:  # the task added a moment ago goes too: the action is whole or nothing
        return refused(page, _("Рекомендацию только что изменил другой участник. Проверьте её и повторите."),
                        "warning")
    flash(_("Рекомендация стала мероприятием программы."), "success")
    return redirect(url_for("programmes.task", task_id=task.id))


# --- Views by school and by curator ---------------------------------------------------------

@bp.get("/schools/<int:org_id>/timeline")
def school_timeline(org_id):
    school = policy.load(Organisation, org_id, "view")
    items, recs = services.school_timeline(school)
    return render("visits/school.html", school=school, items=items, recs=recs, **_row_context())


@bp.get("/visits/curators")
def curators():
    policy.require("summarize")
    if current_user.role == "curator":  # a curator sees their own schools; the others, every curator's
        people = [current_user._get_current_object()]
    else:
        people = services.curators(current_user.municipality_id)
    return render("visits/curators.html", rows=[(c, services.curator_overview(c)) for c in people],
                  today=today())


# --- Checklist ----------------------------------------------------------------------

@bp.route("/visits/checklist", methods=["GET", "POST"])
def checklist():
    municipality = policy.require("view")
    form = CriterionForm()
    if request.method == "POST":
        policy.require("manage")
        if form.validate_on_submit():
            services.add_criterion(current_user, municipality.id, form.text.data)
            return redirect(url_for("visits.checklist"), 303)
    return render("visits/checklist.html", items=services.checklist(municipality.id, active_only=False), form=form,
                  status=422 if request.method == "POST" else 200)


@bp.post("/visits/checklist/<int:criterion_id>")
def toggle_criterion(criterion_id):
    services.toggle_criterion(policy.load(ObservationCriterion, criterion_id, "edit"))
    return redirect(url_for("visits.checklist"), 303)


# --- Events -------------------------------------------------------------------------

def _event_form(obj=None, formdata=True):
    form = EventForm() if formdata else EventForm(obj=obj)
    form.format.choices = list(services.EVENT_FORMATS.items())
    form.host_id.choices = _org_choices()
    form.schools.choices = [(o.id, o.short_name) for o in services.event_hosts(current_user.municipality_id)
                            if o.is_school]
    if obj is not None and not formdata:
        form.schools.data = [s.id for s in obj.schools]
        form.version.data = obj.version
    return form


@bp.get("/events")
def events():
    policy.require("view")
    return render("visits/events.html", events=services.events_of(current_user.municipality_id),
                  can_create=policy.can("create_event", current_user.municipality), **_labels())


@bp.route("/events/new", methods=["GET", "POST"])
def new_event():
    policy.require("create_event")
    form = _event_form()
    if request.method == "GET" and current_user.organisation_id:
        form.host_id.data = current_user.organisation_id
    if form.validate_on_submit():
        host = policy.load(Organisation, form.host_id.data, "view")
        if not can_host_event(host):
            form.host_id.errors.append(_("Школа-тьютор проводит мероприятия от своего имени."))
        else:
            data = {f: getattr(form, f).data for f in services.EVENT_FIELDS}
            event = services.create_event(current_user, data, _pick(Organisation, form.schools.data))
            flash(_("Мероприятие добавлено."), "success")
            return redirect(url_for("visits.event", event_id=event.id))
    return render("visits/event_form.html", form=form, event=None, status=422 if request.method == "POST" else 200)


@bp.get("/events/<int:event_id>")
def event(event_id):
    item = policy.load(Event, event_id, "view")
    return render("visits/event.html", event=item, history=history_of(item), **_labels())


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
def edit_event(event_id):
    item = policy.load(Event, event_id, "edit")
    form = _event_form(item, formdata=request.method == "POST")
    if form.validate_on_submit():
        try:
            services.save_event(current_user, item, {f: getattr(form, f).data for f in services.EVENT_FIELDS},
                                form.version.data, _pick(Organisation, form.schools.data))
        except Conflict as exc:  # the 409 rolls the request back
            form.version.data = exc.current.version
            return render("visits/event_form.html", form=form, event=item, conflict=exc, status=409)
        flash(_("Мероприятие сохранено."), "success")
        return redirect(url_for("visits.event", event_id=item.id))
    return render("visits/event_form.html", form=form, event=item, status=422 if request.method == "POST" else 200)
