"""Programme work: creating from the template, tasks, indicators, periods, reports, status.

Every change goes through editing.save_changes/create (version check + history in the
programme's scope, which is also the live change feed).
"""
import calendar
import functools
from datetime import date

from flask import url_for
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload

from .. import catalogue, policy, signals, transaction
from ..accounts.models import User
from ..activity.labels import N_
from ..activity.services import record
from ..collab import services as collab
from ..editing import create, save_changes, save_or_create
from ..extensions import db
from ..orgs.models import Municipality, Partnership
from ..timeutil import today, utcnow
from ..versioning import Conflict, check_version, stale_as_conflict
from .models import Goal, Indicator, IndicatorValue, PeriodReport, Programme, ReportingPeriod, Section, Task
from .progress import group_values, indicator_status, section_totals

PERIOD_MONTHS = ((11, 0), (1, 1), (3, 1), (6, 1))  # (month, years after the start year) — seed 002
MONTH_NAMES = {1: "Январь", 3: "Март", 6: "Июнь", 11: "Ноябрь"}

# Who may move a programme from one status to another (policy action checked on the programme).
TRANSITIONS = {
    ("draft", "on_approval"): "status",
    ("on_approval", "draft"): "approve",
    ("on_approval", "approved"): "approve",
    ("approved", "in_progress"): "status",
    ("in_progress", "completed"): "approve",
    ("in_progress", "closed"): "approve",
    ("approved", "closed"): "approve",
}

TASK_FIELDS = ("section_id", "title", "due_date", "expected_result", "responsible", "owner_id", "status", "evidence")
INDICATOR_FIELDS = ("name", "unit", "direction", "source", "baseline", "baseline_date")
PASSPORT_FIELDS = ("name", "main_idea", "risks", "resources")
GOAL_FIELDS = ("text", "justification", "realism")


def period_name(period):
    """A reporting period as the reader says it: a period named by the template («Ноябрь 2026»)
    reads in the reader's language (November 2026); a title someone typed stays as typed."""
    deadline = period.deadline
    if deadline is not None and period.title == f"{MONTH_NAMES.get(deadline.month)} {deadline.year}":
        name = format_date(deadline, "LLLL y")
        return name[:1].upper() + name[1:]
    return period.title


def default_periods(start_year):
    periods = []
    for year_offset in (0, 1):
        for month, extra in PERIOD_MONTHS:
            year = start_year + year_offset + extra
            last_day = calendar.monthrange(year, month)[1]
            periods.append((f"{MONTH_NAMES[month]} {year}", date(year, month, last_day)))
    return periods


PROGRAMME_YEARS = 2  # end_year = start_year + 2: the school years start_year … end_year - 1
FINISHED = ("completed", "closed")


def programme_years_error(partnership, start_year, exclude_id=None):
    """Why a programme of `partnership` for start_year … start_year + 2 cannot exist, or None:
    its years must lie within the partnership's, and the school cannot have two unfinished
    programmes for overlapping years (the department would not know which one is in force)."""
    end_year = start_year + PROGRAMME_YEARS
    if start_year < partnership.start_year or end_year > partnership.end_year:
        return _("Годы программы (%(years)s) должны лежать в годах сопровождения (%(partnership)s).",
                 years=f"{start_year}/{start_year + 1}–{end_year - 1}/{end_year}",
                 partnership=partnership.years_label)
    query = select(Programme).where(Programme.school_id == partnership.school_id,
                                    Programme.status.not_in(FINISHED),
                                    Programme.start_year < end_year, Programme.end_year > start_year)
    if exclude_id is not None:
        query = query.where(Programme.id != exclude_id)
    other = db.session.scalar(query.limit(1))
    if other is not None:
        return _("У школы уже есть незавершённая программа на пересекающиеся годы: «%(name)s» (%(years)s).",
                 name=other.name, years=other.years_label)
    return None


def create_programme(actor, partnership, start_year=None):
    """A draft programme from the template: four mandatory sections (seed 000), eight periods (seed 002)."""
    start_year = start_year or partnership.start_year
    error = programme_years_error(partnership, start_year)
    if error:  # callers check first and show it on their form; this keeps the rule for every caller
        raise ValueError(error)
    school = partnership.school
    programme = Programme(
        municipality_id=partnership.municipality_id, partnership_id=partnership.id, school_id=partnership.school_id,
        start_year=start_year, end_year=start_year + 2,
        name=f"Программа улучшения образовательных результатов {school.name} на {start_year}–{start_year + 2} гг.",
    )
    db.session.add(programme)
    db.session.flush()
    for position, section in enumerate(catalogue.MANDATORY_SECTIONS, start=1):
        db.session.add(Section(municipality_id=programme.municipality_id, programme_id=programme.id,
                               code=section["code"], title=section["title"], position=position, is_mandatory=True))
    for position, (title, deadline) in enumerate(default_periods(start_year), start=1):
        db.session.add(ReportingPeriod(municipality_id=programme.municipality_id, programme_id=programme.id,
                                       position=position, title=title, deadline=deadline))
    record(actor, programme, "create", message=N_("Создана программа: %(name)s"), params={"name": programme.name},
           scope=programme.scope)
    db.session.flush()
    return programme


def partnerships_for_new_programme(user):
    """Partnerships the user may start a programme in (the admin: any; a curator: their own)."""
    return [p for p in db.session.scalars(policy.visible(Partnership, user)).all()
            if policy.can("start_programme", p, user)]


def programme_exists(partnership, start_year):
    return db.session.scalar(select(Programme.id).where(Programme.partnership_id == partnership.id,
                                                        Programme.start_year == start_year)) is not None


def sections_of(programme):
    return db.session.scalars(select(Section).where(Section.programme_id == programme.id)
                              .order_by(Section.position, Section.id)).all()


def section_of(task):
    return db.session.get(Section, task.section_id)


def participants(programme):
    """Everyone who works on the programme: school team, tutor-school staff, curator, admins."""
    p = programme.partnership
    return db.session.scalars(select(User).where(
        User.municipality_id == programme.municipality_id, User.is_active_account.is_(True),
        or_(User.organisation_id.in_((p.school_id, p.tutor_school_id)), User.id == p.curator_id,
            User.role == "admin")).order_by(User.full_name)).all()


# --- Reading a programme -------------------------------------------------------------

PROGRAMME_LOAD = (joinedload(Programme.partnership).joinedload(Partnership.tutor_school),
                  joinedload(Programme.partnership).joinedload(Partnership.curator),
                  joinedload(Programme.school), joinedload(Programme.status_changed_by))


# A task with what deciding on it needs (its programme's partnership), in one query.
TASK_LOAD = (joinedload(Task.programme).joinedload(Programme.partnership),)


def load_task(task_id, action="view"):
    return policy.load(Task, task_id, action, options=TASK_LOAD)


def load_programme(programme_id, action="view"):
    """The programme with its partnership and school in one query, authorized."""
    return policy.load(Programme, programme_id, action, options=PROGRAMME_LOAD)


def page_data(programme, filters=None):
    """Everything the programme page shows, in a fixed number of queries whatever the size."""
    filters = filters or {}
    sections = db.session.scalars(select(Section).where(Section.programme_id == programme.id)
                                  .order_by(Section.position, Section.id)).all()
    all_tasks = db.session.scalars(select(Task).where(Task.programme_id == programme.id)
                                   .options(joinedload(Task.owner))
                                   .order_by(Task.section_id, Task.position, Task.id)).all()
    indicators = db.session.scalars(select(Indicator).where(Indicator.programme_id == programme.id)
                                    .order_by(Indicator.position)).all()
    periods = db.session.scalars(select(ReportingPeriod).where(ReportingPeriod.programme_id == programme.id)
                                 .order_by(ReportingPeriod.position)).all()
    values = group_values(db.session.scalars(select(IndicatorValue).where(
        IndicatorValue.programme_id == programme.id)).all())
    reports = {r.period_id: r for r in db.session.scalars(select(PeriodReport).where(
        PeriodReport.programme_id == programme.id))}
    goals = db.session.scalars(select(Goal).where(Goal.programme_id == programme.id).order_by(Goal.position)).all()
    now = today()
    tasks = [t for t in all_tasks if _matches(t, filters, now)]
    by_section = {s.id: [] for s in sections}
    for task in tasks:
        by_section.setdefault(task.section_id, []).append(task)
    numbers = {}
    for s_index, section in enumerate(sections, start=1):
        for t_index, task in enumerate([t for t in all_tasks if t.section_id == section.id], start=1):
            numbers[task.id] = f"{s_index}.{t_index}"
    lights = {i.id: indicator_status(i, values.get(i.id, {}), periods) for i in indicators}
    return {
        "sections": sections, "tasks_by_section": by_section, "numbers": numbers, "all_tasks": all_tasks,
        "indicators": indicators, "periods": periods, "values": values, "lights": lights, "reports": reports,
        "goals": goals, "today": now, "filters": filters,
        "overview": overview(programme, sections, all_tasks, indicators, lights, periods, reports, now),
    }


def _matches(task, filters, now):
    if filters.get("section") and str(task.section_id) != filters["section"]:
        return False
    status = filters.get("status")
    if status == "overdue":
        if not task.is_overdue(now):
            return False
    elif status and task.status != status:
        return False
    owner = filters.get("owner")
    if owner == "none" and task.owner_id is not None:
        return False
    if owner and owner != "none" and str(task.owner_id) != owner:
        return False
    return True


def overview(programme, sections, tasks, indicators, lights, periods, reports, now):
    totals = section_totals(sections, tasks, now)
    on_track = sum(1 for i in indicators if lights[i.id][0] == "green")
    next_period = next((p for p in periods if p.deadline >= now and
                        (reports.get(p.id) is None or reports[p.id].status in ("draft", "returned"))), None)
    missed = [p for p in periods if p.deadline < now and (reports.get(p.id) is None or
                                                           reports[p.id].status in ("draft", "returned"))]
    all_total = sum(t["total"] - t["cancelled"] for t in totals.values())
    all_done = sum(t["done"] for t in totals.values())
    return {
        "totals": totals, "indicators_on_track": on_track, "indicators_total": len(indicators),
        "indicators_off_track": sum(1 for i in indicators if lights[i.id][0] == "red"),
        "next_period": next_period, "missed_periods": missed,
        "tasks_total": all_total, "tasks_done": all_done,
        "tasks_overdue": sum(t["overdue"] for t in totals.values()),
        "percent": round(100 * all_done / all_total) if all_total else 0,
    }


def task_numbers(programme_id, section_id):
    """{task id: "2.3"} for the tasks of one section, in one query (numbered as on the page:
    sections by position, then id)."""
    rows = db.session.execute(_task_numbers_statement(), {"programme_id": programme_id,
                                                           "section_id": section_id}).all()
    return {task_id: f"{s_index}.{n}" for n, (task_id, s_index) in enumerate(rows, start=1)}


@functools.cache
def _task_numbers_statement():
    """Built once: every task save answers with its row, numbered."""
    programme_id, section_id = db.bindparam("programme_id"), db.bindparam("section_id")
    this = select(Section.position, Section.id).where(Section.id == section_id).subquery()
    index = select(func.count(Section.id)).where(
        Section.programme_id == programme_id,
        or_(Section.position < this.c.position, and_(Section.position == this.c.position, Section.id <= this.c.id)),
    ).scalar_subquery()
    return select(Task.id, index).where(Task.programme_id == programme_id, Task.section_id == section_id
                                        ).order_by(Task.position, Task.id)


# --- Programme passport and status ------------------------------------------------------

def save_passport(actor, programme, data, version):
    return save_changes(actor, programme, data, version, scope=programme.scope, message=N_("Паспорт программы"))


def change_status(actor, programme, new_status, version):
    action = TRANSITIONS.get((programme.status, new_status))
    if action is None or not policy.can(action, programme, actor):
        return False
    check_version(programme, version, mine={"status": new_status})
    old = programme.status
    programme.status = new_status
    programme.status_changed_at = utcnow()
    programme.status_changed_by_id = actor.id
    # The event before the first write (activity.services: the scope's revision is the first lock).
    with stale_as_conflict(programme, mine={"status": new_status}), db.session.no_autoflush:
        record(actor, programme, "status", {"status": [old, new_status]},
               message=N_("Статус программы: %(status)s"), params={"status": new_status}, scope=programme.scope)
        collab.notify(participants(programme), "status", N_("%(actor)s: статус программы «%(school)s» — %(status)s"),
                      {"actor": actor.full_name, "school": programme.school.short_name, "status": new_status},
                      url_for("programmes.programme", programme_id=programme.id), programme, actor)
        db.session.flush()
    return True


def allowed_transitions(programme, user):
    """[(target status, button label, is a step back)] the user may take the programme to now."""
    from .forms import TRANSITION_LABELS

    return [(target, TRANSITION_LABELS[target], target in STEPS_BACK)
            for (source, target), action in TRANSITIONS.items()
            if source == programme.status and policy.can(action, programme, user)]


STEPS_BACK = ("draft", "closed")  # shown as secondary buttons

def add_goal(actor, programme, data):
    position = (db.session.scalar(select(func.max(Goal.position)).where(Goal.programme_id == programme.id)) or 0) + 1
    goal = Goal(municipality_id=programme.municipality_id, programme_id=programme.id, position=position, **data)
    return create(actor, goal, GOAL_FIELDS, scope=programme.scope)


def save_goal(actor, goal, data, version):
    return save_changes(actor, goal, data, version, scope=f"programme:{goal.programme_id}")


def add_section(actor, programme, title):
    position = (db.session.scalar(select(func.max(Section.position)).where(
        Section.programme_id == programme.id)) or 0) + 1
    section = Section(municipality_id=programme.municipality_id, programme_id=programme.id, title=title,
                      position=position, code=f"extra-{position}")
    return create(actor, section, ("title",), scope=programme.scope)


def delete_section(actor, section):
    """Only an added (not mandatory) and empty section can go. What pointed at it stays, and
    says in its history that it no longer does: the risk it was created from (an antirisk
    direction, selection.risk_to_section) and indicators of its own, which become
    indicators of the whole programme."""
    if section.is_mandatory or db.session.scalar(select(func.count()).select_from(Task).where(
            Task.section_id == section.id)):
        return False
    scope = f"programme:{section.programme_id}"
    signals.section_removed.send(section, actor=actor)  # a risk made into this direction lets go of it
    for indicator in db.session.scalars(select(Indicator).where(Indicator.section_id == section.id)):
        indicator.section_id = None
        record(actor, indicator, "update", {"section_id": [section.id, None]}, scope=scope,
               message=N_("%(name)s: раздел «%(title)s» удалён, показатель относится ко всей программе"),
               params={"name": indicator.name[:80], "title": section.title})
    db.session.flush()  # the links go before the section: foreign keys are checked at once
    record(actor, section, "delete", {"title": [section.title, None]}, message=N_("Удалён раздел: %(title)s"),
           params={"title": section.title},
           scope=f"programme:{section.programme_id}")
    db.session.delete(section)
    db.session.flush()
    return True


# --- Tasks -------------------------------------------------------------------------

def add_task(actor, programme, data):
    position = (db.session.scalar(select(func.max(Task.position)).where(
        Task.programme_id == programme.id, Task.section_id == data["section_id"])) or 0) + 1
    task = Task(municipality_id=programme.municipality_id, programme_id=programme.id, position=position, **data)
    if task.status == "done":
        task.completed_at = utcnow()
    create(actor, task, TASK_FIELDS, scope=programme.scope)
    if task.owner_id:
        _after_task_change(actor, task, {"owner_id": [None, task.owner_id]})
        db.session.flush()
    return task


def save_task(actor, task, data, version):
    def before_commit(changes):
        # Only once the version check passed: a refused save (one of a bulk change) leaves
        # nothing behind in the session for the next commit to write.
        if changes.get("status", [None, None])[1] == "done":
            task.completed_at = utcnow()
        _after_task_change(actor, task, changes)

    return save_changes(actor, task, data, version, scope=f"programme:{task.programme_id}",
                        before_commit=before_commit)


def _after_task_change(actor, task, changes):
    """Notifications follow a saved change (assigned to me, my task's status changed), and hooks of other areas."""
    url = url_for("programmes.task", task_id=task.id)
    if "owner_id" in changes and task.owner_id:
        owner = db.session.get(User, task.owner_id)
        collab.notify([owner], "assigned", N_("%(actor)s назначает вам мероприятие «%(title)s»"),
                      {"actor": actor.full_name, "title": task.title[:150]}, url, task, actor)
    elif "status" in changes and task.owner is not None:
        collab.notify([task.owner], "status", N_("%(actor)s: «%(title)s» — %(status)s"),
                      {"actor": actor.full_name, "title": task.title[:120], "status": task.status}, url, task, actor)
    if changes:
        signals.task_changed.send(task, actor=actor, changes=changes)


def task_links(task):
    """Where the task came from, as other areas say it: [(label, url)]."""
    return [link for links in signals.collect(signals.task_links, task) for link in links]
def move_task(actor, task, direction):
    """Swap with the neighbour above or below in the same section."""
    siblings = db.session.scalars(select(Task).where(Task.programme_id == task.programme_id,
                                                     Task.section_id == task.section_id)
                                                     .order_by(Task.position, Task.id)).all()
    index = siblings.index(task)
    other_index = index - 1 if direction == "up" else index + 1
    if not 0 <= other_index < len(siblings):
        return False
    # Renumber densely first so that equal or gapped positions cannot make the swap a no-op.
    for n, sibling in enumerate(siblings, start=1):
        sibling.position = n
    other = siblings[other_index]
    task.position, other.position = other.position, task.position
    with stale_as_conflict(task), db.session.no_autoflush:
        record(actor, task, "move", {"position": [other.position, task.position]},
               message=N_("Порядок: %(title)s"), params={"title": task.title[:100]},
               scope=f"programme:{task.programme_id}")
        db.session.flush()
    return True


def bulk_status(actor, programme, versions, status):
    """Set a status on several tasks; each is checked against the version the user saw.
    Returns (changed, stale) lists of tasks; stale ones are left as they are."""
    tasks = db.session.scalars(select(Task).where(Task.programme_id == programme.id,
                                                  Task.id.in_(list(versions)))).all()
    changed, stale = [], []
    for task in tasks:
        try:
            if save_task(actor, task, {"status": status}, versions[task.id]):
                changed.append(task)
        except Conflict:
            stale.append(task)
    return changed, stale


def overdue_reminders(now=None, owner=None):
    """Notify owners of overdue tasks once per task: daily by `flask remind-overdue` (`owner`:
    one person's only). Never from a page: opening the notifications only reads them. Commits
    every `transaction.BATCH` tasks: no single transaction over thousands of reminders, and
    what was sent stays sent if the job stops half way."""
    sent = 0
    # Overdue by each municipality's own today: the cron job runs at one server hour for all zones.
    municipalities = [owner.municipality] if owner is not None else db.session.scalars(select(Municipality)).all()
    task_ids = []
    for municipality in municipalities:
        query = select(Task.id).where(Task.municipality_id == municipality.id,
                                      Task.status.in_(("planned", "in_progress")),
                                      Task.due_date < (now or today(municipality)),
                                      Task.owner_id.is_not(None)).order_by(Task.id)
        if owner is not None:
            query = query.where(Task.owner_id == owner.id)
        task_ids += db.session.scalars(query).all()
    for batch in transaction.batches(task_ids):
        # Loaded per batch: a commit expires what was loaded before it.
        for task in db.session.scalars(select(Task).where(Task.id.in_(batch)).options(joinedload(Task.owner))):
            if collab.notify_once(task.owner, "overdue", N_("Просрочено мероприятие «%(title)s» (срок %(due_date)s)"),
                                  {"title": task.title[:150], "due_date": task.due_date.isoformat()},
                                  url_for("programmes.task", task_id=task.id), task):
                sent += 1
    return sent


# --- Indicators ----------------------------------------------------------------------

def add_indicator(actor, programme, data):
    position = (db.session.scalar(select(func.max(Indicator.position)).where(
        Indicator.programme_id == programme.id)) or 0) + 1
    indicator = Indicator(municipality_id=programme.municipality_id, programme_id=programme.id, position=position,
                          **data)
    return create(actor, indicator, INDICATOR_FIELDS, scope=programme.scope)


def save_indicator(actor, indicator, data, version):
    return save_changes(actor, indicator, data, version, scope=f"programme:{indicator.programme_id}")


def value_for(indicator, period):
    value = db.session.scalar(select(IndicatorValue).where(IndicatorValue.indicator_id == indicator.id,
                                                           IndicatorValue.period_id == period.id))
    if value is None:
        value = IndicatorValue(municipality_id=indicator.municipality_id, programme_id=indicator.programme_id,
                               indicator_id=indicator.id, period_id=period.id, version=0)
    return value


def period_locked(period):
    report = db.session.scalar(select(PeriodReport).where(PeriodReport.period_id == period.id))
    return report is not None and report.is_locked


def save_value(actor, value, data, version):
    """Target/actual of one indicator in one period (`value` stored, or new at version 0). Two
    first saves of one cell at once: the second is a Conflict about the first one's value."""
    indicator_id, period_id = value.indicator_id, value.period_id
    return save_or_create(actor, value if value.id is not None else None, lambda: value, data, version,
                          conflict_with=value, reload=lambda: _stored_value(indicator_id, period_id),
                          scope=f"programme:{value.programme_id}", message=N_("%(indicator)s · %(period)s"),
                          params=_value_params(value))


def _value_params(value):
    # By id: a cell saved for the first time is not in the session yet, so its relationships are unloaded.
    indicator, period = db.session.get(Indicator, value.indicator_id), db.session.get(ReportingPeriod, value.period_id)
    return {"indicator": indicator.name[:80], "period": period.title}


def _stored_value(indicator_id, period_id):
    return db.session.scalar(select(IndicatorValue).where(IndicatorValue.indicator_id == indicator_id,
                                                          IndicatorValue.period_id == period_id))


# --- Period reports --------------------------------------------------------------------

def report_for(programme, period):
    report = db.session.scalar(select(PeriodReport).where(PeriodReport.programme_id == programme.id,
                                                          PeriodReport.period_id == period.id))
    if report is None:
        # Not added to the session: a period nobody has reported on yet is shown as an empty
        # draft, with the defaults the row will get when the school first saves it.
        report = PeriodReport(municipality_id=programme.municipality_id, programme=programme,
                              period=period, version=0, status="draft", narrative="", feedback="",
                              snapshot={})
    return report


def save_report(actor, report, narrative, version):
    """The narrative of a period's report (`report` stored, or the unsaved draft of report_for)."""
    programme_id, period = report.programme.id, report.period
    return save_or_create(
        actor, report if report.id is not None else None, lambda: report, {"narrative": narrative}, version,
        conflict_with=report, reload=lambda: db.session.scalar(select(PeriodReport).where(
            PeriodReport.programme_id == programme_id, PeriodReport.period_id == period.id)),
        scope=f"programme:{programme_id}", message=N_("Отчёт за период: %(period)s"),
        params={"period": period.title})


def submit_report(actor, programme, report):
    """Snapshot the period's indicator actuals and hand the report to the curator."""
    values = db.session.scalars(select(IndicatorValue).where(IndicatorValue.period_id == report.period_id)
                                .options(joinedload(IndicatorValue.indicator))).all()
    report.snapshot = {str(v.indicator_id): {"name": v.indicator.name, "unit": v.indicator.unit,
                                             "target": v.target, "actual": v.actual} for v in values}
    old = report.status
    report.status = "submitted"
    report.submitted_at = utcnow()
    report.submitted_by_id = actor.id
    with stale_as_conflict(report), db.session.no_autoflush:
        record(actor, report, "status", {"status": [old, "submitted"]}, message=N_("Отчёт сдан: %(period)s"),
               params={"period": report.period.title}, scope=programme.scope)
        curator = programme.partnership.curator
        collab.notify([curator], "report", N_("%(school)s: сдан отчёт за период «%(period)s»"),
                      {"school": programme.school.short_name, "period": report.period.title},
                      url_for("programmes.report", programme_id=programme.id, period_id=report.period_id),
                      report, actor)
        db.session.flush()


def review_report(actor, programme, report, feedback, accept):
    old = report.status
    report.feedback = feedback
    report.feedback_by_id = actor.id
    report.status = "accepted" if accept else "returned"
    report.accepted_at = utcnow() if accept else None
    with stale_as_conflict(report), db.session.no_autoflush:
        record(actor, report, "status", {"status": [old, report.status], "feedback": [None, feedback]},
               message=N_("Отчёт принят: %(period)s") if accept else N_("Отчёт возвращён: %(period)s"),
               params={"period": report.period.title}, scope=programme.scope)
        school_team = [u for u in participants(programme) if u.organisation_id == programme.school_id]
        collab.notify(school_team, "report",
                      N_("Куратор принял отчёт за «%(period)s»") if accept
                      else N_("Куратор вернул отчёт за «%(period)s»"),
                      {"period": report.period.title},
                      url_for("programmes.report", programme_id=programme.id, period_id=report.period_id), report,
                      actor)
        db.session.flush()


def programmes_for_user():
    return db.session.scalars(policy.visible(Programme).options(
        joinedload(Programme.school)).order_by(Programme.start_year.desc())).all()



@signals.partnership_years.connect
def programmes_outside_years(partnership, start_year, end_year):
    """A partnership's programmes must stay inside its years."""
    outside = db.session.scalar(select(Programme).where(
        Programme.partnership_id == partnership.id,
        or_(Programme.start_year < start_year, Programme.end_year > end_year)).limit(1))
    if outside is not None:
        return _("Программа «%(name)s» (%(years)s) выйдет за годы сопровождения.",
                 name=outside.name, years=outside.years_label)
    return None
