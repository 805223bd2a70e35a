"""Visits, observations, recommendations, events; coverage and follow-through."""
from datetime import timedelta

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import flag_modified

from .. import catalogue, policy, signals, transaction
from ..accounts.models import User
from ..activity.labels import N_
from ..activity.services import diff, record
from ..collab import services as collab
from ..editing import create, save_changes
from ..extensions import db
from ..formats import show_date
from ..orgs.models import Municipality, Organisation, Partnership
from ..programmes import services as programmes
from ..programmes.models import Programme, Section
from ..timeutil import today, utcnow
from ..versioning import check_version, stale_as_conflict
from .forms import REASON_STATUSES
from .models import Event, LessonObservation, ObservationCriterion, Recommendation, Visit

VISIT_FORMATS = {f["code"]: f["name"] for f in catalogue.VISIT_FORMATS} | {"other": "другое"}
EVENT_FORMATS = {f["code"]: f["name"] for f in catalogue.EVENT_FORMATS} | {"other": "другое"}
VISIT_FIELDS = ("visit_date", "format", "purpose", "findings")
OBSERVATION_FIELDS = ("teacher_id", "subject", "grade", "topic", "notes")
RECOMMENDATION_FIELDS = ("text", "owner", "owner_user_id", "deadline")
EVENT_FIELDS = ("title", "format", "host_id", "event_date", "topic", "materials", "outcome")
DEFAULT_CHECKLIST = (
    "Цели урока сформулированы в деятельностной форме и понятны обучающимся",
    "Используются задания на формирование функциональной (читательской, математической) грамотности",
    "Организована дифференцированная работа, в том числе с обучающимися с низкой успеваемостью",
    "На уроке есть оценочные инструменты и обратная связь обучающимся",
    "Учебное время используется эффективно; темп соответствует возможностям класса",
    "Организован этап рефлексии",
    "Задания соответствуют формату ВПР/ОГЭ там, где это уместно",
)
RATING_LABELS = {0: "не проявлено", 1: "проявлено частично", 2: "проявлено", 3: "образец для других"}


# --- Checklist --------------------------------------------------------------------------

def checklist(municipality_id, active_only=True):
    """The municipality's observation checklist. Only reads: the default set (seed 002) is
    written when the municipality is provisioned (create_default_checklist), never by a page."""
    query = select(ObservationCriterion).where(ObservationCriterion.municipality_id == municipality_id)
    items = db.session.scalars(query.order_by(ObservationCriterion.position)).all()
    return [c for c in items if c.is_active or not active_only]


def create_default_checklist(municipality_id):
    """The regulations' checklist for a municipality that has none yet (flushes, never commits)."""
    if db.session.scalar(select(ObservationCriterion.id).where(
            ObservationCriterion.municipality_id == municipality_id).limit(1)) is not None:
        return False
    for position, text in enumerate(DEFAULT_CHECKLIST, start=1):
        db.session.add(ObservationCriterion(municipality_id=municipality_id, position=position, text=text))
    db.session.flush()
    return True


def add_criterion(actor, municipality_id, text):
    position = (db.session.scalar(select(func.max(ObservationCriterion.position)).where(
        ObservationCriterion.municipality_id == municipality_id)) or 0) + 1
    db.session.add(ObservationCriterion(municipality_id=municipality_id, position=position, text=text))
    db.session.flush()


def toggle_criterion(criterion):
    """Switch a criterion off (new observations no longer rate it) or back on."""
    criterion.is_active = not criterion.is_active
    db.session.flush()


# --- Who and what a visit names ------------------------------------------------------------

def pick(model, ids, municipality_id):
    """The `model` rows of these ids in the municipality (other ids are ignored: the form's
    choices already refused them)."""
    if not ids:
        return []
    return db.session.scalars(select(model).where(model.id.in_(ids), model.municipality_id == municipality_id)).all()


def visit_people(municipality_id):
    """Who may go on a visit: the municipality's active department, curator and tutor accounts."""
    return db.session.scalars(select(User).where(User.municipality_id == municipality_id,
                                                 User.is_active_account.is_(True),
                                                 User.role.in_(("admin", "curator", "tutor")))
                              .order_by(User.full_name)).all()


def school_people(visit):
    """The school's active accounts: whom a recommendation of the visit may be addressed to."""
    return db.session.scalars(select(User).where(User.municipality_id == visit.municipality_id,
                                                 User.is_active_account.is_(True),
                                                 User.organisation_id == visit.school_id)
                              .order_by(User.full_name)).all()


def visit_participants(visit):
    """Whom a comment on the visit concerns: the school team, the tutor school, the curator."""
    return db.session.scalars(select(User).where(
        User.municipality_id == visit.municipality_id, User.is_active_account.is_(True),
        User.organisation_id.in_((visit.school_id, visit.partnership.tutor_school_id))
        | (User.id == visit.partnership.curator_id))).all()


def curators(municipality_id):
    return db.session.scalars(select(User).where(User.municipality_id == municipality_id,
                                                 User.role == "curator").order_by(User.full_name)).all()


# --- Visits -----------------------------------------------------------------------------

def set_coverage_weeks(municipality, weeks):
    """After how many weeks without a visit a school is listed as not visited."""
    municipality.visit_coverage_weeks = weeks
    db.session.flush()


def supported_schools():
    """The schools of the active partnerships the current user sees (the list's school filter)."""
    return [p.school for p in db.session.scalars(policy.visible(Partnership).where(Partnership.is_active.is_(True))
                                                 .options(joinedload(Partnership.school)))]


def visitable_partnerships():
    """Partnerships whose school the current user may record visits for."""
    return [p for p in db.session.scalars(policy.visible(Partnership).where(Partnership.is_active.is_(True))
                                          .options(joinedload(Partnership.school)))
            if policy.can("visit", p)]


def visit_date_error(planned, visit_date, municipality):
    """A held visit is logged after it happened: it cannot be dated after the municipality's
    today. Only a planned one (status "planned", not yet held) may be dated in the future."""
    now = today(municipality)
    if not planned and visit_date is not None and visit_date > now:
        return _("Проведённый выезд не может быть датирован позже сегодняшнего дня (%(today)s). "
                 "Если выезд только предстоит, отметьте «Запланирован».", today=now.strftime("%d.%m.%Y"))
    return None


def next_planned_visits(partnership_ids, municipality):
    """{partnership_id: date of the nearest planned visit from today on}: shown apart from the
    last (held) visit, which only submitted visits make."""
    if not partnership_ids:
        return {}
    rows = db.session.execute(select(Visit.partnership_id, func.min(Visit.visit_date)).where(
        Visit.partnership_id.in_(partnership_ids), Visit.status == "planned",
        Visit.visit_date >= today(municipality)).group_by(Visit.partnership_id)).all()
    return dict(rows)


def create_visit(actor, partnership, data, people, organisations):
    visit = Visit(municipality_id=partnership.municipality_id, partnership_id=partnership.id,
                  school_id=partnership.school_id, created_by_id=actor.id, **data)
    visit.people = people
    visit.organisations = organisations
    db.session.add(visit)
    db.session.flush()
    return create(actor, visit, VISIT_FIELDS + ("status",), scope=visit.scope, **_visit_message(visit))


def save_visit(actor, visit, data, version, people, organisations):
    """Fields and participants in one save; participants are in the history as names."""
    check_version(visit, version, mine=data)
    before = {"people": ", ".join(sorted(u.full_name for u in visit.people)),
              "organisations": ", ".join(sorted(o.short_name for o in visit.organisations))}
    visit.people, visit.organisations = people, organisations
    participants = diff(before, {"people": ", ".join(sorted(u.full_name for u in people)),
                                 "organisations": ", ".join(sorted(o.short_name for o in organisations))})
    changes = save_changes(actor, visit, data, version, scope=visit.scope, **_visit_message(visit))
    if participants:
        if not changes:
            flag_modified(visit, "purpose")  # the row itself must move to a new version too
        with stale_as_conflict(visit):
            db.session.flush()
            record(actor, visit, "update", participants, scope=visit.scope, **_visit_message(visit))
            db.session.flush()
    return {**changes, **participants}


def visit_actions(visit, user=None):
    """What the visit page offers: a planned visit is filled in once held (the form records
    that), a draft is edited and sent to the school, a sent one is still edited."""
    if not policy.can("edit", visit, user):
        return frozenset()
    return {"planned": frozenset({"fill_in"}), "draft": frozenset({"edit", "submit"})}.get(
        visit.status, frozenset({"edit"}))


def submit_refusal(visit):
    """Why the visit cannot be sent to the school now, as (message, flash category), or None."""
    if visit.status == "planned":
        return _("Выезд ещё не проведён: откройте «Изменить», снимите отметку «Запланирован» и заполните "
                 "выводы."), "error"
    if visit.status != "draft":
        return _("Выезд уже отправлен."), "info"
    if not visit.findings.strip():
        return _("Перед отправкой заполните выводы выезда."), "error"
    return None


def submit_visit(actor, visit):
    """Draft → submitted; the school team learns of the findings at once."""
    visit.status = "submitted"
    visit.submitted_at = utcnow()
    with stale_as_conflict(visit):
        db.session.flush()
        record(actor, visit, "status", {"status": ["draft", "submitted"]},
               message=N_("Выезд отправлен: %(visit_date)s"), params={"visit_date": visit.visit_date.isoformat()},
               scope=visit.scope)
        team = db.session.scalars(select(User).where(User.organisation_id == visit.school_id,
                                                     User.role == "school")).all()
        collab.notify(team, "visit", N_("Итоги выезда %(visit_date)s (%(format)s): %(findings)s"),
                      {"visit_date": visit.visit_date.isoformat(), "format": visit.format,
                       "findings": visit.findings[:200]},
                      url_for("visits.visit", visit_id=visit.id), visit, actor)
        db.session.flush()


def search_visits(filters):
    """The visits the user sees, newest first. `q`: part of the school's name or of a
    participant's name (what every reader of the list sees; not the purpose, which only
    text readers do)."""
    query = policy.visible(Visit).options(joinedload(Visit.school), selectinload(Visit.people))
    if filters.get("q"):
        like = f"%{filters['q'].strip().lower()}%"
        query = query.where(or_(Visit.school.has(func.lower(Organisation.short_name).like(like)),
                                Visit.people.any(func.lower(User.full_name).like(like))))
    if filters.get("school"):
        query = query.where(Visit.school_id == filters["school"])
    if filters.get("format"):
        query = query.where(Visit.format == filters["format"])
    if filters.get("person"):
        query = query.where(Visit.people.any(User.id == filters["person"]))
    if filters.get("date_from"):
        query = query.where(Visit.visit_date >= filters["date_from"])
    if filters.get("date_to"):
        query = query.where(Visit.visit_date <= filters["date_to"])
    return db.session.scalars(query.order_by(Visit.visit_date.desc(), Visit.id.desc())).all()


def coverage_gaps(municipality, now=None):
    """Supported schools (active partnerships the user sees) without a submitted visit in the
    last N weeks: [(partnership, last visit date or None)]."""
    now = now or today(municipality)
    since = now - timedelta(weeks=municipality.visit_coverage_weeks)
    last = (select(Visit.partnership_id, func.max(Visit.visit_date).label("last"))
            .where(Visit.status == "submitted").group_by(Visit.partnership_id).subquery())
    rows = db.session.execute(
        policy.visible(Partnership).where(Partnership.is_active.is_(True)).add_columns(last.c.last)
        .outerjoin(last, last.c.partnership_id == Partnership.id)
        .options(joinedload(Partnership.school))).all()
    return sorted([(p, last_date) for p, last_date in rows if last_date is None or last_date < since],
                  key=lambda row: (row[1] is not None, row[1] or now))


def open_recommendations_of(partnership_id, exclude_visit=None):
    query = select(Recommendation).where(Recommendation.partnership_id == partnership_id,
                                         Recommendation.status.in_(("open", "in_work")))
    if exclude_visit is not None:
        query = query.where(or_(Recommendation.visit_id.is_(None), Recommendation.visit_id != exclude_visit.id))
    return db.session.scalars(query.order_by(Recommendation.deadline.is_(None), Recommendation.deadline)).all()


# --- Observations and recommendations ------------------------------------------------------

def observations_of(visit):
    return db.session.scalars(select(LessonObservation).where(LessonObservation.visit_id == visit.id)
                              .order_by(LessonObservation.id)).all()


def recommendations_of(visit):
    return db.session.scalars(select(Recommendation).where(Recommendation.visit_id == visit.id)
                              .order_by(Recommendation.id)).all()


def add_observation(actor, visit, data, ratings):
    obs = LessonObservation(municipality_id=visit.municipality_id, visit_id=visit.id, ratings=ratings, **data)
    return create(actor, obs, OBSERVATION_FIELDS, scope=visit.scope, message=N_("Посещение урока"))


def save_observation(actor, obs, data, version):
    return save_changes(actor, obs, data, version, scope=obs.visit.scope, message=N_("Посещение урока"))


def add_recommendation(actor, visit, data):
    rec = Recommendation(municipality_id=visit.municipality_id, partnership_id=visit.partnership_id,
                         school_id=visit.school_id, visit_id=visit.id, **data)
    create(actor, rec, RECOMMENDATION_FIELDS, scope=visit.scope, **_rec_message(rec))
    _notify_owner(actor, rec)
    return rec


def save_recommendation(actor, rec, data, version):
    changes = save_changes(actor, rec, data, version, scope=_rec_scope(rec), **_rec_message(rec))
    if "owner_user_id" in changes:
        _notify_owner(actor, rec)
    return changes


def _rec_message(rec):
    return {"message": N_("Рекомендация: %(text)s"), "params": {"text": rec.text[:120]}}


def _visit_message(visit):
    return {"message": N_("Выезд: %(visit_date)s"), "params": {"visit_date": visit.visit_date.isoformat()}}


def _rec_scope(rec):
    return f"visit:{rec.visit_id}" if rec.visit_id else None


def _notify_owner(actor, rec):
    if rec.owner_user_id:
        owner = db.session.get(User, rec.owner_user_id)
        collab.notify([owner], "assigned", N_("Вам адресована рекомендация: «%(text)s»"), {"text": rec.text[:150]},
                      url_for("visits.recommendation", rec_id=rec.id), rec, actor)
        db.session.flush()


def respond(actor, rec, status, reason, version, visit=None):
    """Change a recommendation's status (the follow-through of a later visit passes `visit`)."""
    data = {"status": status, "reason": reason if status in REASON_STATUSES else rec.reason}
    if status in ("done", "rejected"):
        data["closed_at"] = rec.closed_at or utcnow()
    else:
        data["closed_at"] = None
    if visit is not None:
        data["checked_at_visit_id"] = visit.id
    return save_changes(actor, rec, data, version, scope=_rec_scope(rec) or (visit.scope if visit else None),
                        **_rec_message(rec))


def current_programme(partnership_id):
    """The programme a recommendation turns into a task of: the newest one not finished."""
    return db.session.scalar(select(Programme).where(
        Programme.partnership_id == partnership_id, Programme.status.not_in(("completed", "closed")))
        .order_by(Programme.start_year.desc()))


def to_task(actor, rec, section):
    """One action: the recommendation becomes a programme task, linked both ways."""
    programme = db.session.get(Programme, section.programme_id)
    task = programmes.add_task(actor, programme, {
        "section_id": section.id, "title": rec.text, "due_date": rec.deadline,
        "expected_result": f"Выполнена адресная рекомендация"
                           f"{' по итогам выезда ' + rec.visit.visit_date.strftime('%d.%m.%Y') if rec.visit else ''}",
        "responsible": rec.owner, "owner_id": rec.owner_user_id, "status": "planned", "evidence": ""})
    rec.task_id = task.id
    if rec.status == "open":
        rec.status = "in_work"
    with stale_as_conflict(rec):
        db.session.flush()
        record(actor, rec, "to_task", {"task_id": [None, task.id]}, message=N_("Рекомендация → мероприятие программы"),
               scope=_rec_scope(rec))
    return task


@signals.task_changed.connect
def close_recommendations_of_done_task(task, actor, changes):
    """Marking the task done closes the recommendations it came from."""
    if "status" not in changes or task.status != "done":
        return
    for rec in db.session.scalars(select(Recommendation).where(Recommendation.task_id == task.id,
                                                               Recommendation.status.in_(("open", "in_work")))):
        rec.status, rec.closed_at = "done", utcnow()
        record(actor, rec, "update", {"status": ["in_work", "done"]},
               message=N_("Рекомендация выполнена: мероприятие «%(title)s»"), params={"title": task.title[:80]},
               scope=_rec_scope(rec))


@signals.task_links.connect
def task_links(task):
    """Shown on the task page: where the task came from."""
    return [(_("Рекомендация по итогам выезда %(date)s", date=show_date(r.visit.visit_date)) if r.visit
             else _("Рекомендация"), url_for("visits.recommendation", rec_id=r.id))
            for r in db.session.scalars(select(Recommendation).where(Recommendation.task_id == task.id))]


def deadline_reminders(days=3, now=None):
    """Notify owners of open recommendations whose deadline is within `days` (once each): daily
    by `flask remind-overdue`. Commits every `transaction.BATCH` recommendations, as the task
    reminders do: no long transaction, and what was sent stays sent if the job stops."""
    rec_ids = []
    for municipality in db.session.scalars(select(Municipality)).all():  # each by its own today
        day = now or today(municipality)
        rec_ids += db.session.scalars(select(Recommendation.id).where(
            Recommendation.municipality_id == municipality.id,
            Recommendation.status.in_(("open", "in_work")), Recommendation.owner_user_id.is_not(None),
            Recommendation.deadline <= day + timedelta(days=days)).order_by(Recommendation.id)).all()
    sent = 0
    for batch in transaction.batches(rec_ids):
        # Loaded per batch: a commit expires what was loaded before it.
        for rec in db.session.scalars(select(Recommendation).where(Recommendation.id.in_(batch))
                                      .options(joinedload(Recommendation.owner_user))):
            if collab.notify_once(rec.owner_user, "deadline", N_("Срок рекомендации %(deadline)s: «%(text)s»"),
                                  {"deadline": rec.deadline.isoformat(), "text": rec.text[:150]},
                                  url_for("visits.recommendation", rec_id=rec.id), rec):
                sent += 1
    return sent


# --- Views: per school, per curator -----------------------------------------------------------

def school_timeline(school):
    visits = db.session.scalars(policy.visible(Visit).where(Visit.school_id == school.id)
                                .order_by(Visit.visit_date.desc())).all()
    events = db.session.scalars(select(Event).where(Event.schools.any(Organisation.id == school.id))
                                .order_by(Event.event_date.desc())).all()
    items = [(v.visit_date, "visit", v) for v in visits] + [(e.event_date, "event", e) for e in events]
    recs = db.session.scalars(policy.visible(Recommendation).where(
        Recommendation.school_id == school.id, Recommendation.status.in_(("open", "in_work")))
        .order_by(Recommendation.deadline)).all()
    return sorted(items, key=lambda i: i[0], reverse=True), recs


def curator_overview(curator):
    """Per school the curator curates: last visit, open and overdue recommendations."""
    now = today(curator.municipality)
    rows = []
    for p in db.session.scalars(select(Partnership).where(Partnership.curator_id == curator.id,
                                                          Partnership.is_active.is_(True))
                                .options(joinedload(Partnership.school))):
        last = db.session.scalar(select(func.max(Visit.visit_date)).where(Visit.partnership_id == p.id,
                                                                          Visit.status == "submitted"))
        recs = db.session.scalars(select(Recommendation).where(Recommendation.partnership_id == p.id,
                                                               Recommendation.status.in_(("open", "in_work")))).all()
        rows.append({"partnership": p, "last_visit": last, "open": len(recs),
                     "next_visit": next_planned_visits([p.id], curator.municipality).get(p.id),
                     "overdue": [r for r in recs if r.is_overdue(now)]})
    return rows


# --- Events -------------------------------------------------------------------------------

def events_of(municipality_id):
    return db.session.scalars(select(Event).where(Event.municipality_id == municipality_id)
                              .order_by(Event.event_date.desc())).all()


def save_event(actor, event, data, version, schools):
    """Fields and participating schools in one save (the version is checked before anything
    changes, so a stale form touches neither)."""
    check_version(event, version, mine=data)
    event.schools = schools
    changes = save_changes(actor, event, data, version, scope=event.scope, message=N_("Мероприятие: %(title)s"),
                           params={"title": event.title})
    db.session.flush()
    return changes


def create_event(actor, data, schools):
    event = Event(municipality_id=actor.municipality_id, created_by_id=actor.id, **data)
    event.schools = schools
    db.session.add(event)
    db.session.flush()
    return create(actor, event, EVENT_FIELDS, scope=f"event:{event.id}", message=N_("Мероприятие: %(title)s"),
                  params={"title": event.title})


def event_hosts(municipality_id):
    return db.session.scalars(select(Organisation).where(
        Organisation.municipality_id == municipality_id, Organisation.is_archived.is_(False))
        .order_by(Organisation.kind, Organisation.short_name)).all()


def sections_for(rec):
    programme = current_programme(rec.partnership_id)
    if programme is None:
        return None, []
    return programme, db.session.scalars(select(Section).where(Section.programme_id == programme.id)
                                         .order_by(Section.position)).all()
