"""The programme's passport (four text fields) and its goals, edited in place."""
from flask import abort, redirect, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ... import policy
from ...editing import Conflict
from ...forms import form_errors
from ...htmx import refused
from .. import bp, services
from ..forms import PASSPORT_LABELS, GoalForm, PassportFieldForm
from ..models import Goal
from .shared import inline, page_url

GOAL_LABELS = {"text": _l("Цель"), "justification": _l("Обоснование"), "realism": _l("Реалистичность")}


def _passport_field(field):
    if field not in PASSPORT_LABELS:
        abort(404)
    return field


@bp.get("/programmes/<int:programme_id>/passport/<field>")
def passport_field(programme_id, field):
    programme = services.load_programme(programme_id)
    return inline("passport_field", programme, "passport-h", field=_passport_field(field))


@bp.get("/programmes/<int:programme_id>/passport/<field>/edit")
def passport_field_form(programme_id, field):
    programme = services.load_programme(programme_id, "edit")
    form = PassportFieldForm(value=getattr(programme, _passport_field(field)), version=programme.version)
    return inline("passport_field_form", programme, "passport-h", field=field, form=form)


@bp.post("/programmes/<int:programme_id>/passport/<field>")
def save_passport_field(programme_id, field):
    programme = services.load_programme(programme_id, "edit")
    form = PassportFieldForm()
    field = _passport_field(field)
    valid = form.validate_on_submit()
    if field == "name" and not (form.value.data or "").strip():
        form.value.errors = [_("Наименование не может быть пустым.")]
        valid = False
    if not valid:
        return inline("passport_field_form", programme, "passport-h", 422, field=field, form=form)
    try:
        services.save_passport(current_user, programme, {field: form.value.data}, form.version.data)
    except Conflict as exc:
        form.version.data = exc.current.version
        return inline("passport_field_form", programme, "passport-h", 409, field=field, form=form, conflict=exc,
                      labels={field: PASSPORT_LABELS[field]})
    return inline("passport_field", programme, "passport-h", field=field)


@bp.post("/programmes/<int:programme_id>/goals")
def add_goal(programme_id):
    programme = services.load_programme(programme_id, "edit")
    form = GoalForm(prefix="goal")
    if not form.validate_on_submit():
        return refused(page_url(programme, "passport"), _("Цель не добавлена: %(e)s", e=form_errors(form)))
    services.add_goal(current_user, programme, {f: getattr(form, f).data for f in services.GOAL_FIELDS})
    return redirect(page_url(programme, "passport"))


@bp.get("/goals/<int:goal_id>")
def goal(goal_id):
    goal = policy.load(Goal, goal_id, "view")
    return inline("goal", services.load_programme(goal.programme_id), "passport-h", goal=goal)


@bp.route("/goals/<int:goal_id>/edit", methods=["GET", "POST"])
def edit_goal(goal_id):
    goal = policy.load(Goal, goal_id, "edit")
    programme = services.load_programme(goal.programme_id)
    if request.method == "GET":
        form = GoalForm(obj=goal)
        form.version.data = goal.version
        return inline("goal_form", programme, "passport-h", goal=goal, form=form)
    form = GoalForm()
    if not form.validate_on_submit():
        return inline("goal_form", programme, "passport-h", 422, goal=goal, form=form)
    try:
        services.save_goal(current_user, goal, {f: getattr(form, f).data for f in services.GOAL_FIELDS},
                           form.version.data)
    except Conflict as exc:
        form.version.data = exc.current.version
        return inline("goal_form", programme, "passport-h", 409, goal=goal, form=form, conflict=exc,
                      labels=GOAL_LABELS)
    return inline("goal", programme, "passport-h", goal=goal)
