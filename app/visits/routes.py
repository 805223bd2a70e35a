"""Visits, lesson observations, recommendations and events."""
from datetime import date

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectField

from ..activity.labels import N_
from ..forms import db_int, form_errors

from .. import policy
from ..collab import uploads
from .access import can_host_event
from ..accounts.models import User
from ..activity.services import history_of
from ..collab import services as collab
from ..collab.forms import AttachmentForm, CommentForm
from ..teachers.models import Teacher
from ..editing import Conflict
from ..extensions import db
from ..timeutil import today
from ..htmx import is_fragment_request, render
from ..orgs.models import Organisation, Partnership
from ..programmes.models import Section
from . import bp, services
from .forms import (RECOMMENDATION_STATUS_LABELS, VISIT_STATUS_LABELS, CoverageForm, CriterionForm, EventForm,
                    ObservationForm, RecommendationForm, RespondForm, ToTaskForm, VisitForm)
from .models import Event, LessonObservation, ObservationCriterion, Recommendation, Visit

VISIT_LABELS = {"visit_date": _("Дата"), "format": _("Формат"), "purpose": _("Цель"), "findings": _("Выводы")}



def _labels():
    return {"visit_formats": services.VISIT_FORMATS, "event_formats": services.EVENT_FORMATS,
            "rec_labels": RECOMMENDATION_STATUS_LABELS, "visit_status_labels": VISIT_STATUS_LABELS,
            "rating_labels": services.RATING_LABELS}


def _people_choices():
    users = db.session.scalars(select(User).where(User.municipality_id == current_user.municipality_id,
                                                  User.is_active_account.is_(True),
                                                  User.role.in_(("admin", "curator", "tutor")))
                               .order_by(User.full_name)).all()
    return [(u.id, f"{u.full_name}{' — ' + u.organisation.short_name if u.organisation else ''}") for u in users]


def _org_choices():
    return [(o.id, o.short_name) for o in services.event_hosts(current_user.municipality_id)]


def _pick(model, ids):
    """Only objects of the user's municipality; unknown ids are ignored by the choices check."""
    if not ids:
        return []
    return db.session.scalars(select(model).where(model.id.in_(ids),
                                                  model.municipality_id == current_user.municipality_id)).all()


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
    filters = {"school": args.get("school", type=db_int), "format": args.get("format", ""),
               "person": args.get("person", type=db_int), "date_from": _date(args.get("date_from")),
               "date_to": _date(args.get("date_to"))}
    found = services.search_visits(filters)
    gaps = services.coverage_gaps(current_user.municipality) if policy.can("compare_schools", current_user.municipality) \
        else []
    schools = [p.school for p in db.session.scalars(policy.visible(Partnership)
                                                     .where(Partnership.is_active.is_(True)))]
    next_visits = services.next_planned_visits([p.id for p, _last in gaps], current_user.municipality)
    return render("visits/list.html", block="results", visits=found, filters=filters, gaps=gaps, schools=schools,
                  next_visits=next_visits,
                  people=_people_choices(), coverage_form=CoverageForm(weeks=current_user.municipality.visit_coverage_weeks),
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
        flash(form_errors(form), "error")
        return redirect(url_for("visits.visits")), 303
    municipality.visit_coverage_weeks = form.weeks.data
    db.session.flush()
    flash(_("Порог предупреждения: %(n)s нед.", n=form.weeks.data), "success")
    return redirect(url_for("visits.visits"))


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
    observations = db.session.scalars(select(LessonObservation).where(LessonObservation.visit_id == visit.id)
                                      .order_by(LessonObservation.id)).all()
    recs = db.session.scalars(select(Recommendation).where(Recommendation.visit_id == visit.id)
                              .order_by(Recommendation.id)).all()
    programme, sections = services.sections_for(recs[0]) if recs else (None, [])
    obs_form = extra.pop("obs_form", None) or _observation_form(visit, criteria)
    rec_form = extra.pop("rec_form", None) or _recommendation_form(visit)
    return render("visits/visit.html", status=status, visit=visit, criteria=criteria, observations=observations,
                  recommendations=recs, to_check=services.open_recommendations_of(visit.partnership_id, visit),
                  programme=programme, sections=sections, obs_form=obs_form, rec_form=rec_form,
                  respond_form=RespondForm(), comment_form=CommentForm(), upload_form=AttachmentForm(),
                  comments=collab.comments_of(visit), attachments=uploads.attachments_of(visit),
                  history=history_of(visit), today=today(), **_labels(), **extra)


def _observation_form(visit, criteria, obj=None, formdata=True):
    class Form(ObservationForm):
        pass

    for c in criteria:
        setattr(Form, f"r{c.id}", SelectField(c.text, choices=[("", "—")] + [(str(k), v) for k, v in
                                                                          services.RATING_LABELS.items()],
                                              default=str((obj.ratings or {}).get(str(c.id), "")) if obj else ""))
    form = Form(prefix="obs") if formdata else Form(prefix="obs", obj=obj)
    teachers = db.session.scalars(select(Teacher).where(Teacher.school_id == visit.school_id,
                                                        Teacher.is_archived.is_(False)).order_by(Teacher.full_name)).all()
    form.teacher_id.choices = [(0, "—")] + [(t.id, f"{t.full_name}, {t.subjects}") for t in teachers]
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
    users = db.session.scalars(select(User).where(User.municipality_id == visit.municipality_id,
                                                  User.is_active_account.is_(True),
                                                  User.organisation_id == visit.school_id)
                               .order_by(User.full_name)).all()
    form.owner_user_id.choices = [(0, "—")] + [(u.id, u.full_name) for u in users]
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
        except Conflict as exc:
            db.session.rollback()
            form.version.data = policy.load(Visit, visit_id, "edit").version
            return render("visits/form.html", form=form, visit=visit, conflict=exc, labels=VISIT_LABELS, status=409)
        flash(_("Выезд сохранён."), "success")
        return redirect(url_for("visits.visit", visit_id=visit.id))
    return render("visits/form.html", form=form, visit=visit, status=422 if request.method == "POST" else 200)


@bp.post("/visits/<int:visit_id>/submit")
def submit_visit(visit_id):
    visit = policy.load(Visit, visit_id, "edit")
    if visit.status == "planned":
        flash(_("Выезд ещё не проведён: откройте «Изменить», снимите отметку «Запланирован» и заполните выводы."),
              "error")
        return redirect(url_for("visits.visit", visit_id=visit.id)), 303
    if visit.status != "draft":
        flash(_("Выезд уже отправлен."), "info")
        return redirect(url_for("visits.visit", visit_id=visit.id)), 303
    if not visit.findings.strip():
        flash(_("Перед отправкой заполните выводы выезда."), "error")
        return redirect(url_for("visits.visit", visit_id=visit.id)), 303
    try:
        services.submit_visit(current_user, visit)
    except Conflict:
        flash(_("Выезд изменил другой участник. Проверьте и отправьте ещё раз."), "warning")
        return redirect(url_for("visits.visit", visit_id=visit.id)), 303
    flash(_("Выезд отправлен: школа получила уведомление с выводами."), "success")
    return redirect(url_for("visits.visit", visit_id=visit.id))


@bp.post("/visits/<int:visit_id>/comments")
def comment_visit(visit_id):
    visit = policy.load(Visit, visit_id, "comment")
    form = CommentForm()
    if form.validate_on_submit():
        participants = db.session.scalars(select(User).where(
            User.municipality_id == visit.municipality_id, User.is_active_account.is_(True),
            User.organisation_id.in_((visit.school_id, visit.partnership.tutor_school_id))
            | (User.id == visit.partnership.curator_id))).all()
        collab.add_comment(current_user, visit, form.body.data, visit.scope,
                           url_for("visits.visit", visit_id=visit.id), participants)
    else:
        flash(form_errors(form), "error")
    return redirect(url_for("visits.visit", visit_id=visit.id, _anchor="comments"))


@bp.post("/visits/<int:visit_id>/attachments")
def upload_visit(visit_id):
    visit = policy.load(Visit, visit_id, "edit")
    attachment, message, category = uploads.attach_from_form(AttachmentForm(), current_user, visit, visit.scope)
    flash(message, category)
    target = redirect(url_for("visits.visit", visit_id=visit.id, _anchor="files"))
    return target if attachment else (target, 303)

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
            services.save_changes(current_user, obs, data, form.version.data, scope=visit.scope,
                                  message=N_("Посещение урока"))
        except Conflict as exc:
            form.version.data = exc.current.version
            return render("visits/observation_form.html", form=form, obs=obs, visit=visit, conflict=exc,
                          labels={}, status=409)
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
    form = _recommendation_form(rec.visit or rec, rec, formdata=False) if rec.visit else None
    return render("visits/recommendation.html", rec=rec, form=form, respond_form=RespondForm(),
                  programme=programme, sections=sections, history=history_of(rec), today=today(), **_labels())


@bp.post("/recommendations/<int:rec_id>/edit")
def edit_recommendation(rec_id):
    rec = policy.load(Recommendation, rec_id, "edit")
    form = _recommendation_form(rec.visit, rec) if rec.visit else abort(404)
    if not form.validate_on_submit():
        flash(form_errors(form), "error")
        return redirect(url_for("visits.recommendation", rec_id=rec.id)), 303
    data = {f: getattr(form, f).data for f in services.RECOMMENDATION_FIELDS}
    data["owner_user_id"] = data["owner_user_id"] or None
    try:
        services.save_recommendation(current_user, rec, data, form.version.data)
    except Conflict:
        flash(_("Рекомендацию уже изменил другой участник: ниже текущая версия. Внесите правку заново."), "warning")
        return redirect(url_for("visits.recommendation", rec_id=rec.id)), 303
    flash(_("Рекомендация сохранена."), "success")
    return redirect(url_for("visits.recommendation", rec_id=rec.id))


@bp.post("/recommendations/<int:rec_id>/status")
def respond(rec_id):
    """Status of a recommendation: from its page, from the school's list, or while a later
    visit checks the open ones (`visit` names that visit)."""
    rec = policy.load(Recommendation, rec_id, "respond")
    checking = request.form.get("visit", type=db_int)
    visit = policy.load(Visit, checking, "edit") if checking else None
    form = RespondForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.respond(current_user, rec, form.status.data, form.reason.data, form.version.data, visit)
        except Conflict as exc:
            db.session.rollback()
            rec = policy.load(Recommendation, rec_id, "respond")
            return _rec_answer(rec, visit, form, 409, conflict=exc)
    else:
        status = 422
    return _rec_answer(rec, visit, form, status)


def _rec_answer(rec, visit, form, status, **extra):
    if is_fragment_request():
        return render("visits/_recommendation_row.html", status=status, rec=rec, checking=visit, form=form,
                      respond_form=RespondForm(), today=today(), **_labels(), **extra)
    if status >= 400:
        flash(form_errors(form) or _("Рекомендацию уже изменил другой участник."), "error")
    target = url_for("visits.visit", visit_id=visit.id, _anchor="to-check") if visit else \
        url_for("visits.recommendation", rec_id=rec.id)
    return redirect(target), (303 if status >= 400 else 302)


@bp.post("/recommendations/<int:rec_id>/task")
def recommendation_to_task(rec_id):
    rec = policy.load(Recommendation, rec_id, "edit")
    programme, sections = services.sections_for(rec)
    if programme is None:
        flash(_("У школы нет действующей программы: рекомендацию некуда добавить."), "error")
        return redirect(url_for("visits.recommendation", rec_id=rec.id)), 303
    policy.authorize("edit", programme)
    if rec.task_id:
        flash(_("Рекомендация уже в программе."), "info")
        return redirect(url_for("programmes.task", task_id=rec.task_id)), 303
    form = ToTaskForm()
    form.section_id.choices = [(s.id, s.title) for s in sections]
    if not form.validate_on_submit():
        flash(form_errors(form), "error")
        return redirect(url_for("visits.recommendation", rec_id=rec.id)), 303
    section = policy.load(Section, form.section_id.data, "edit")
    try:
        task = services.to_task(current_user, rec, section)
    except Conflict:
        db.session.rollback()  # the task added a moment ago goes too: the action is whole or nothing
        flash(_("Рекомендацию только что изменил другой участник. Проверьте её и повторите."), "warning")
        return redirect(url_for("visits.recommendation", rec_id=rec.id)), 303
    flash(_("Рекомендация стала мероприятием программы."), "success")
    return redirect(url_for("programmes.task", task_id=task.id))


# --- Views by school and by curator ---------------------------------------------------------

@bp.get("/schools/<int:org_id>/timeline")
def school_timeline(org_id):
    school = policy.load(Organisation, org_id, "view")
    items, recs = services.school_timeline(school)
    return render("visits/school.html", school=school, items=items, recs=recs, today=today(), **_labels())


@bp.get("/visits/curators")
def curators():
    policy.require("summarize")
    if current_user.role == "curator":  # a curator sees their own schools; the others, every curator's
        people = [current_user._get_current_object()]
    else:
        people = db.session.scalars(select(User).where(User.municipality_id == current_user.municipality_id,
                                                       User.role == "curator").order_by(User.full_name)).all()
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
            return redirect(url_for("visits.checklist"))
    return render("visits/checklist.html", items=services.checklist(municipality.id, active_only=False), form=form,
                  status=422 if request.method == "POST" else 200)


@bp.post("/visits/checklist/<int:criterion_id>")
def toggle_criterion(criterion_id):
    item = policy.load(ObservationCriterion, criterion_id, "edit")
    item.is_active = not item.is_active
    db.session.flush()
    return redirect(url_for("visits.checklist"))


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
    items = db.session.scalars(select(Event).where(Event.municipality_id == current_user.municipality_id)
                               .order_by(Event.event_date.desc())).all()
    return render("visits/events.html", events=items, can_create=policy.can("create_event", current_user.municipality),
                  **_labels())


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
        item.schools = _pick(Organisation, form.schools.data)
        try:
            services.save_changes(current_user, item, {f: getattr(form, f).data for f in services.EVENT_FIELDS},
                                  form.version.data, scope=item.scope, message=N_("Мероприятие: %(title)s"),
                                  params={"title": item.title})
            db.session.flush()
        except Conflict as exc:
            db.session.rollback()
            return render("visits/event_form.html", form=form, event=item, conflict=exc, labels={}, status=409)
        flash(_("Мероприятие сохранено."), "success")
        return redirect(url_for("visits.event", event_id=item.id))
    return render("visits/event_form.html", form=form, event=item, status=422 if request.method == "POST" else 200)
