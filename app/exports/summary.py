"""The numbers of the department summary, computed with a fixed number of aggregate queries
whatever the size of the region; the dashboard shows the same rows it exports."""
from collections import defaultdict
from datetime import date, timedelta

import pandas as pd
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, or_, select

from .. import catalogue, timeutil
from ..accounts.models import User
from ..extensions import db
from ..orgs.models import Municipality, Organisation, Partnership
from ..programmes.access import catalogue_titles
from ..programmes.forms import PROGRAMME_STATUS_LABELS
from ..programmes.models import Indicator, IndicatorValue, Programme, ReportingPeriod, Section, Task
from ..programmes.progress import meets
from ..selection.models import CardCriterion, CardScore
from ..teachers.models import DEFICIT_CATEGORIES, DeficitArea, DeficitFinding, DiagnosticSession
from ..teachers.services import MIN_GROUP
from ..visits.models import Recommendation, Visit
from ..visits.services import VISIT_FORMATS

# The workbook is a Russian document whoever exports it: its period names and column names are
# Russian text, and the rows below use those column names as keys. Pages show PERIOD_LABELS and
# their own headers (dashboard.services) in the reader's language.
PERIODS = {"": "весь учебный год", "nov": "сентябрь–ноябрь", "jan": "декабрь–январь", "mar": "февраль–март",
           "jun": "апрель–июнь"}
PERIOD_LABELS = {"": _l("весь учебный год"), "nov": _l("сентябрь–ноябрь"), "jan": _l("декабрь–январь"),
                 "mar": _l("февраль–март"), "jun": _l("апрель–июнь")}
DEFICIT_CATEGORY_NAMES = {c["code"]: c["name"] for c in catalogue.DEFICIT_CATEGORIES}  # Russian, as in the regulation
# Summary column of each deficit category's share of teachers.
DEFICIT_COLUMNS = {code: f"Дефициты: {name}, %" for code, name in DEFICIT_CATEGORY_NAMES.items()}
NO_PROGRAMME = "нет программы"


def period_range(year, period=""):
    """Dates of a school year (September–August) or of one reporting period within it."""
    ranges = {"": (date(year, 9, 1), date(year + 1, 8, 31)), "nov": (date(year, 9, 1), date(year, 11, 30)),
              "jan": (date(year, 12, 1), date(year + 1, 1, 31)), "mar": (date(year + 1, 2, 1), date(year + 1, 3, 31)),
              "jun": (date(year + 1, 4, 1), date(year + 1, 6, 30))}
    return ranges[period]


def partnerships_in_scope(scope_query, since=None):
    """[(partnership, school, tutor school, curator)] from a policy.visible(Partnership) query:
    the active ones, and those that ended on or after `since` (a school that left the ШНОР list
    in June still belongs to that school year's summary)."""
    tutor = db.aliased(Organisation)
    school = db.aliased(Organisation)
    in_scope = Partnership.is_active.is_(True)
    if since is not None:
        in_scope = or_(in_scope, Partnership.ended_on >= since)
    return db.session.execute(
        scope_query.where(in_scope)
        .join(school, school.id == Partnership.school_id).join(tutor, tutor.id == Partnership.tutor_school_id)
        .join(User, User.id == Partnership.curator_id)
        .add_columns(school.short_name, tutor.short_name, User.full_name)
        .order_by(school.short_name)).all()


def current_programmes(partnership_ids):
    rows = db.session.execute(select(Programme.id, Programme.partnership_id, Programme.status, Programme.start_year)
                              .where(Programme.partnership_id.in_(partnership_ids))).all()
    best = {}
    for pid, partnership_id, status, start_year in rows:
        key = (status not in ("completed", "closed"), start_year)
        if partnership_id not in best or key > best[partnership_id][0]:
            best[partnership_id] = (key, pid, status)
    return {k: (v[1], v[2]) for k, v in best.items()}


def task_totals(programme_ids, today):
    active = Task.status.in_(("planned", "in_progress"))
    rows = db.session.execute(select(
        Task.programme_id, func.count(),
        func.sum(case((Task.status == "done", 1), else_=0)),
        func.sum(case((Task.status == "cancelled", 1), else_=0)),
        func.sum(case((and_(active, Task.due_date < today), 1), else_=0)),
        func.sum(case((and_(active, Task.due_date >= today, Task.due_date <= today + timedelta(days=14)), 1), else_=0)),
    ).where(Task.programme_id.in_(programme_ids)).group_by(Task.programme_id)).all()
    return {r[0]: {"total": r[1] - (r[3] or 0), "done": r[2] or 0, "overdue": r[4] or 0, "due_soon": r[5] or 0}
            for r in rows}


def indicator_lights(programme_ids):
    """{indicator id: light} with the same rule as the programme page, from one query of values."""
    indicators = {i.id: i for i in
                  db.session.scalars(select(Indicator).where(Indicator.programme_id.in_(programme_ids)))}
    rows = db.session.execute(
        select(IndicatorValue.indicator_id, ReportingPeriod.position, IndicatorValue.target, IndicatorValue.actual)
        .join(ReportingPeriod, ReportingPeriod.id == IndicatorValue.period_id)
        .where(IndicatorValue.programme_id.in_(programme_ids))
        .order_by(IndicatorValue.indicator_id, ReportingPeriod.position)).all()
    latest = {}
    for indicator_id, _position, target, actual in rows:
        if actual is not None:
            latest[indicator_id] = (target, actual)
    lights = {}
    for iid, ind in indicators.items():
        if iid not in latest:
            lights[iid] = "grey"
            continue
        target, actual = latest[iid]
        if target is not None and meets(ind.direction, actual, target):
            lights[iid] = "green"
        elif ind.baseline is not None and actual != ind.baseline and meets(ind.direction, actual, ind.baseline):
            lights[iid] = "yellow"
        else:
            lights[iid] = "red"
    return indicators, lights


def deficit_shares(school_ids):
    """Latest session per school: teachers assessed and share with a deficit per category."""
    latest = (select(DiagnosticSession.school_id, func.max(DiagnosticSession.session_date).label("d"))
              .where(DiagnosticSession.school_id.in_(school_ids)).group_by(DiagnosticSession.school_id).subquery())
    sessions = dict(db.session.execute(select(DiagnosticSession.id, DiagnosticSession.school_id).join(
        latest, and_(latest.c.school_id == DiagnosticSession.school_id,
                     latest.c.d == DiagnosticSession.session_date))).all())
    rows = db.session.execute(select(DeficitFinding.session_id, DeficitFinding.teacher_id, DeficitArea.category,
                                     DeficitFinding.level)
                              .join(DeficitArea, DeficitArea.id == DeficitFinding.area_id)
                              .where(DeficitFinding.session_id.in_(list(sessions)))).all()
    assessed, deficit = defaultdict(set), defaultdict(lambda: defaultdict(set))
    for session_id, teacher_id, category, level in rows:
        assessed[session_id].add(teacher_id)
        if level in ("partial", "significant"):
            deficit[session_id][category].add(teacher_id)
    result = {}
    for session_id, school_id in sessions.items():
        n = len(assessed[session_id])
        result[school_id] = {"n": n, **{c: (len(deficit[session_id][c]) / n if n >= MIN_GROUP else None)
                                        for c in DEFICIT_CATEGORIES}}
    return result


def card_totals(municipality_id, year):
    rows = db.session.execute(select(CardScore.school_id, func.sum(CardScore.points)).join(CardCriterion).where(
        CardCriterion.municipality_id == municipality_id, CardCriterion.year == year,
        CardCriterion.is_active.is_(True)).group_by(CardScore.school_id)).all()
    return dict(rows)


def summary_rows(scope_query, municipality_id, year, period="", today=None):
    """One row per supported school in scope: the «Сводка» sheet and the dashboard table."""
    # The municipality's today (overdue, due within 14 days), also in jobs and CLI commands.
    today = today or timeutil.today(db.session.get(Municipality, municipality_id))
    start, end = period_range(year, period)
    partnerships = partnerships_in_scope(scope_query, since=start)
    ids = [p.id for p, *_ in partnerships]
    programmes = current_programmes(ids)
    programme_ids = [v[0] for v in programmes.values()]
    tasks = task_totals(programme_ids, today)
    indicators, lights = indicator_lights(programme_ids)
    on_track, total_ind = defaultdict(int), defaultdict(int)
    for iid, ind in indicators.items():
        total_ind[ind.programme_id] += 1
        on_track[ind.programme_id] += lights[iid] == "green"
    visits = {r[0]: (r[1], r[2]) for r in db.session.execute(
        select(Visit.partnership_id,
               func.sum(case((and_(Visit.visit_date >= start, Visit.visit_date <= end), 1), else_=0)),
               func.max(Visit.visit_date))
        .where(Visit.partnership_id.in_(ids), Visit.status == "submitted").group_by(Visit.partnership_id))}
    recs = dict(db.session.execute(select(Recommendation.partnership_id, func.count()).where(
        Recommendation.partnership_id.in_(ids), Recommendation.status.in_(("open", "in_work")))
        .group_by(Recommendation.partnership_id)).all())
    shares = deficit_shares([p.school_id for p, *_ in partnerships])
    card = card_totals(municipality_id, year)
    rows = []
    for p, school, tutor, curator in partnerships:
        programme_id, status = programmes.get(p.id, (None, None))
        t = tasks.get(programme_id, {"total": 0, "done": 0, "overdue": 0, "due_soon": 0})
        v = visits.get(p.id, (0, None))
        sh = shares.get(p.school_id, {})
        rows.append({
            "partnership_id": p.id, "school_id": p.school_id, "programme_id": programme_id,
            "programme_status": status,  # the code, for pages (labels in the reader's language)
            "Школа": school, "Школа-тьютор": tutor, "Куратор": curator,
            "Статус программы": str(PROGRAMME_STATUS_LABELS[status]) if status else NO_PROGRAMME,
            "Мероприятий всего": t["total"], "Выполнено": t["done"],
            "Выполнено, %": round(100 * t["done"] / t["total"]) if t["total"] else 0,
            "Просрочено": t["overdue"], "Срок в ближайшие 14 дней": t["due_soon"],
            "Показателей в плане": on_track[programme_id], "Показателей всего": total_ind[programme_id],
            "Выездов за период": int(v[0] or 0), "Последний выезд": v[1],
            "Открытых рекомендаций": recs.get(p.id, 0),
            **{DEFICIT_COLUMNS[c]: (round(100 * sh[c]) if sh.get(c) is not None else None)
               for c in DEFICIT_CATEGORIES},
            "Диагностическая карта, баллов": card.get(p.school_id),
        })
    return rows


# --- The other sheets ------------------------------------------------------------------------

def tasks_frame(programme_ids, school_names, today, start=None, end=None):
    query = (select(Programme.partnership_id, Section.position, Section.title, Task.position, Task.title,
                    Task.due_date, Task.expected_result, Task.responsible, Task.status)
             .join(Section, Section.id == Task.section_id).join(Programme, Programme.id == Task.programme_id)
             .where(Task.programme_id.in_(programme_ids)).order_by(Programme.partnership_id, Section.position,
                                                                   Task.position))
    if start is not None:
        query = query.where(Task.due_date >= start, Task.due_date <= end)
    df = pd.DataFrame(db.session.execute(query).all(), columns=[
        "partnership", "s", "Раздел", "n", "Мероприятие", "Срок исполнения", "Ожидаемый результат", "Ответственный",
        "Статус"])
    if df.empty:
        return pd.DataFrame(columns=["Школа", "Раздел", "Мероприятие", "Срок исполнения", "Ожидаемый результат",
                                     "Ответственный", "Статус", "Просрочено"])
    df.insert(0, "Школа", df["partnership"].map(school_names))
    overdue = df["Статус"].isin(["planned", "in_progress"]) & (df["Срок исполнения"] < today)
    df["Просрочено"] = overdue.map({True: "да", False: ""})
    df["Статус"] = df["Статус"].map({"planned": "запланировано", "in_progress": "выполняется", "done": "выполнено",
                                     "cancelled": "отменено"})
    return df.drop(columns=["partnership", "s", "n"])


TASK_STATUS_NAMES = {"planned": "запланировано", "in_progress": "выполняется", "done": "выполнено",
                     "cancelled": "отменено"}


def task_counts_frame(programme_ids, school_names, today, start=None, end=None):
    """The plan without its texts, for readers who see no free text: per school and section
    (catalogue names only), how many tasks and in which state."""
    sections = db.session.scalars(select(Section).where(Section.programme_id.in_(programme_ids))).all()
    titles = catalogue_titles(sections)
    query = (select(Programme.partnership_id, Section.id, Section.position, Task.status, Task.due_date)
             .join(Section, Section.id == Task.section_id).join(Programme, Programme.id == Task.programme_id)
             .where(Task.programme_id.in_(programme_ids)))
    if start is not None:
        query = query.where(Task.due_date >= start, Task.due_date <= end)
    counts = {}
    for partnership_id, section_id, position, status, due in db.session.execute(query):
        key = (school_names[partnership_id], position, section_id)
        row = counts.setdefault(key, dict.fromkeys(("total", *TASK_STATUS_NAMES, "overdue"), 0))
        row["total"] += 1
        row[status] += 1
        row["overdue"] += status in ("planned", "in_progress") and due is not None and due < today
    columns = ["Школа", "Раздел", "Мероприятий", "Выполнено", "Выполняется", "Запланировано", "Отменено",
               "Просрочено"]
    rows = [(school, titles.get(section_id, f"Дополнительный раздел {position}"), r["total"], r["done"],
             r["in_progress"], r["planned"], r["cancelled"], r["overdue"])
            for (school, position, section_id), r in sorted(counts.items())]
    return pd.DataFrame(rows, columns=columns)


def indicators_frame(programme_ids, school_by_programme, names=True):
    """names=False: indicators are named by people, so only their number in the programme."""
    indicators, lights = indicator_lights(programme_ids)
    rows = db.session.execute(
        select(IndicatorValue.indicator_id, ReportingPeriod.title, ReportingPeriod.deadline, IndicatorValue.target,
               IndicatorValue.actual).join(ReportingPeriod, ReportingPeriod.id == IndicatorValue.period_id)
        .where(IndicatorValue.programme_id.in_(programme_ids))
        .order_by(IndicatorValue.indicator_id, ReportingPeriod.position)).all()
    light_names = {"green": "в плане", "yellow": "есть продвижение", "red": "отстаёт", "grey": "нет данных"}
    data = []
    for iid, period, deadline, target, actual in rows:
        ind = indicators[iid]
        data.append((school_by_programme[ind.programme_id], ind.name if names else ind.position, ind.unit,
                     ind.source, "больше — лучше" if ind.direction == "higher" else "меньше — лучше", ind.baseline,
                     period, deadline, target, actual, light_names[lights[iid]]))
    return pd.DataFrame(data, columns=["Школа", "Показатель" if names else "№ показателя", "Единица", "Источник",
                                       "Направление", "База", "Период", "Срок отчёта", "План", "Факт", "Состояние"])


def visits_frame(partnership_ids, school_names, start, end):
    rows = db.session.execute(select(Visit.partnership_id, Visit.visit_date, Visit.format, Visit.purpose,
                                     Visit.findings, Visit.status)
                              .where(Visit.partnership_id.in_(partnership_ids), Visit.visit_date >= start,
                                     Visit.visit_date <= end).order_by(Visit.visit_date)).all()
    return pd.DataFrame([(school_names[r[0]], r[1], VISIT_FORMATS.get(r[2], r[2]), r[3], r[4],
                          "отправлен школе" if r[5] == "submitted" else "черновик") for r in rows],
                        columns=["Школа", "Дата", "Формат", "Цель", "Выводы", "Статус"])


def recommendations_frame(partnership_ids, school_names, today):
    rows = db.session.execute(select(Recommendation.partnership_id, Visit.visit_date, Recommendation.text,
                                     Recommendation.owner, Recommendation.deadline, Recommendation.status,
                                     Recommendation.task_id)
                              .outerjoin(Visit, Visit.id == Recommendation.visit_id)
                              .where(Recommendation.partnership_id.in_(partnership_ids))
                              .order_by(Recommendation.partnership_id, Recommendation.deadline)).all()
    names = {"open": "открыта", "in_work": "в работе", "done": "выполнена", "rejected": "не принята"}
    return pd.DataFrame([(school_names[r[0]], r[1], r[2], r[3], r[4], names[r[5]],
                          "да" if r[5] in ("open", "in_work") and r[4] is not None and r[4] < today else "",
                          "да" if r[6] else "") for r in rows],
                        columns=["Школа", "Выезд", "Рекомендация", "Кому", "Срок", "Статус", "Просрочена",
                                 "В программе"])


def deficits_frame(school_ids, school_names_by_school):
    shares = deficit_shares(school_ids)
    rows = []
    for school_id, sh in shares.items():
        suppressed = sh["n"] < MIN_GROUP
        rows.append((school_names_by_school[school_id], f"<{MIN_GROUP}" if suppressed else sh["n"],
                     *[("скрыто" if suppressed else round(100 * sh[c])) for c in DEFICIT_CATEGORIES]))
    return pd.DataFrame(sorted(rows), columns=["Школа", "Педагогов оценено",
                                               *[f"{DEFICIT_CATEGORY_NAMES[c]}, %" for c in DEFICIT_CATEGORIES]])


def card_frame(municipality_id, year, school_ids=None):
    from ..selection.models import column_names
    from ..selection.services import grid

    card, crits, rows = grid(municipality_id, year)
    data = []
    for r in rows:
        if school_ids is not None and r["school"].id not in school_ids:
            continue
        data.append((r["rank"], r["school"].short_name,
                     *[(r["cells"][c.id].points if r["cells"][c.id] else 0) for c in crits], r["total"],
                     "да" if r["candidate"] else ""))
    return pd.DataFrame(data, columns=["Место", "Школа", *column_names(crits), "Сумма", "Кандидат"]), card
