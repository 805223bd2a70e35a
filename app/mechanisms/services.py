"""The municipal mechanisms self-assessment (seeds 000, 001, 003) and the management cycle (seeds 001, 004).

The catalogue of mechanisms and criteria is the municipality's own (created from the
seeds on first use, editable by the admin); a self-assessment is a set of scores, one per
criterion and school year. Totals and percents are computed, never typed.
"""
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from .. import catalogue as regulations
from .. import policy
from ..activity.labels import N_
from ..editing import create, save_changes, save_or_create
from ..extensions import db
from ..formats import show_date
from ..formats import show_number as num
from ..orgs.models import Organisation, Partnership
from ..programmes.models import Goal, Indicator, IndicatorValue, PeriodReport, Programme, ReportingPeriod, Task
from ..timeutil import school_year
from ..visits.models import Recommendation, Visit
from .models import MECHANISM_GROUPS, Mechanism, MechanismCriterion, MechanismScore

MIN_YEAR, MAX_YEAR = 2015, 2040
CRITERION_FIELDS = ("text", "max_points", "is_active")
# The groups of regulations.MECHANISM_GROUPS in the reader's language, in the page's order.
GROUP_NAMES = {
    "results": _l("Механизмы управления качеством образовательных результатов"),
    "activity": _l("Механизмы управления качеством образовательной деятельности"),
}

# Maximum points per criterion, in the order of regulations.MECHANISMS[...]["criteria"].
# Seed 000 gives the maxima of three mechanisms (low-result schools 23, objectivity 29,
# school leaders 55) and the total (321); the rest are Opora's defaults, chosen so that the
# total is 321 and the leaders' monitoring is «более 30 %» of the activity mechanisms
# (55 of 182), as seed 000 says. The admin edits them.
DEFAULT_MAX_POINTS = {
    "student_assessment": (8, 8, 6, 6, 8),           # 36
    "low_results_schools": (5, 5, 5, 4, 4),          # 23 (seed 000)
    "talents": (6, 7, 7, 7, 7, 6),                   # 40
    "career_guidance": (6, 7, 7, 7, 7, 6),           # 40
    "objectivity": (8, 7, 7, 7),                     # 29 (seed 000)
    "leaders_efficiency": (16, 13, 13, 13),          # 55 (seed 000)
    "teacher_development": (12, 12, 12),             # 36
    "upbringing": (5, 6, 6, 6, 6, 5),                # 34
    "preschool": (4, 5, 5, 5, 5, 4),                 # 28
}

# The steps of regulations.MANAGEMENT_CYCLE (seed 001) in the reader's language, and what a
# step without any evidence lacks.
CYCLE_STEPS = {
    "goals": (_l("Обоснованные цели"),
              _l("Нет действующей программы улучшения образовательных результатов со сформулированными целями.")),
    "indicators_methods": (_l("Выбор показателей, методов сбора информации"),
                           _l("В программах не заданы показатели (с источником данных — методом сбора информации).")),
    "monitoring": (_l("Проведение мониторинга"),
                   _l("Нет сданных отчётов за периоды и не внесены фактические значения показателей.")),
    "analysis_recommendations": (_l("Проведение анализа и подготовку адресных рекомендаций"),
                                 _l("Нет отправленных школе выездов с адресными рекомендациями.")),
    "measures_decisions": (_l("Принятие мер и управленческих решений"),
                           _l("Нет выполненных мероприятий программ и рекомендаций, ставших мероприятиями.")),
    "effect_analysis": (_l("Анализ эффективности принятых мер"),
                        _l("Нет показателей с фактом хотя бы за два периода против базового значения и нет "
                           "принятых отчётов с отзывом куратора.")),
}
CYCLE_CODES = tuple(CYCLE_STEPS)
EVIDENCE_SHOWN = 10
# A step of the cycle is done for the municipality only when its data show it for more than this
# share of the supported schools (ШНОР with an active partnership): one programme with one goal
# is one school's work, not the department's management cycle.
CYCLE_DONE_SHARE = 0.5


# --- Numbers ------------------------------------------------------------------------------

def percent(points, maximum):
    """Whole percent, half rounded up (not banker's rounding); None without a maximum."""
    if not maximum:
        return None
    return int(points * 100 / maximum + 0.5)


def default_year(municipality_id):
    """The latest year with a self-assessment, else the school year under way."""
    latest = db.session.scalar(select(func.max(MechanismScore.year)).where(
        MechanismScore.municipality_id == municipality_id))
    return latest or school_year()


# --- Catalogue ----------------------------------------------------------------------------

def _load(municipality_id):
    mechanisms = db.session.scalars(select(Mechanism).where(Mechanism.municipality_id == municipality_id)
                                    .order_by(Mechanism.position, Mechanism.id)).all()
    criteria = db.session.scalars(select(MechanismCriterion).where(
        MechanismCriterion.municipality_id == municipality_id)
        .order_by(MechanismCriterion.position, MechanismCriterion.id)).all()
    return mechanisms, criteria


def create_default_catalogue(municipality_id):
    """The seeds' mechanisms and criteria for a municipality that has none yet (flushes, never
    commits): written when the municipality is provisioned, never by a page."""
    if db.session.scalar(select(Mechanism.id).where(Mechanism.municipality_id == municipality_id)
                         .limit(1)) is not None:
        return False
    for position, item in enumerate(regulations.MECHANISMS, start=1):
        mechanism = Mechanism(municipality_id=municipality_id, group=item["group"], code=item["code"],
                              name=item["name"], position=position)
        db.session.add(mechanism)
        db.session.flush()
        maxima = DEFAULT_MAX_POINTS[item["code"]]
        for number, (criterion, maximum) in enumerate(zip(item["criteria"], maxima), start=1):
            text = criterion["text"]
            db.session.add(MechanismCriterion(municipality_id=municipality_id, mechanism_id=mechanism.id,
                                              text=text[0].upper() + text[1:], max_points=maximum, position=number))
    db.session.flush()
    return True


def catalogue(municipality_id, active_only=True):
    """[(mechanism, [criteria])] in the order of the seeds, results before activity. Only
    reads (the default catalogue comes with the municipality: create_default_catalogue)."""
    mechanisms, criteria = _load(municipality_id)
    by_mechanism = {}
    for c in criteria:
        if c.is_active or not active_only:
            by_mechanism.setdefault(c.mechanism_id, []).append(c)
    order = {code: i for i, code in enumerate(MECHANISM_GROUPS)}
    mechanisms = sorted((m for m in mechanisms if m.is_active or not active_only),
                        key=lambda m: (order.get(m.group, 9), m.position, m.id))
    return [(m, by_mechanism.get(m.id, [])) for m in mechanisms]


def add_criterion(actor, mechanism, data):
    position = (db.session.scalar(select(func.max(MechanismCriterion.position)).where(
        MechanismCriterion.mechanism_id == mechanism.id)) or 0) + 1
    criterion = MechanismCriterion(municipality_id=mechanism.municipality_id, mechanism_id=mechanism.id,
                                   position=position, **data)
    return create(actor, criterion, ("text", "max_points"), scope=f"assessment:{mechanism.municipality_id}",
                  message=N_("Критерий механизма «%(mechanism)s»: %(text)s"),
                  params={"mechanism": mechanism.name[:80], "text": criterion.text[:120]})


def highest_score(criterion):
    return db.session.scalar(select(func.max(MechanismScore.points)).where(
        MechanismScore.criterion_id == criterion.id))


def save_criterion(actor, criterion, data, version):
    return save_changes(actor, criterion, data, version, scope=f"assessment:{criterion.municipality_id}")


# --- Scores and totals ---------------------------------------------------------------------

def scores(municipality_id, year):
    """{criterion id: score} of one year."""
    return {s.criterion_id: s for s in db.session.scalars(select(MechanismScore).where(
        MechanismScore.municipality_id == municipality_id, MechanismScore.year == year))}


def score_for(criterion, year):
    """The stored score, or a new one at version 0 (its first save must name version 0)."""
    score = db.session.scalar(select(MechanismScore).where(MechanismScore.criterion_id == criterion.id,
                                                           MechanismScore.year == year))
    if score is None:
        score = MechanismScore(municipality_id=criterion.municipality_id, criterion_id=criterion.id, year=year,
                               comment="", evidence="", version=0)
        score.criterion = criterion
    return score


def save_score(actor, score, data, version):
    """Points, comment and evidence of one criterion in one year, with the version check and
    history; `score` is the stored one or the unsaved one from score_for()."""
    criterion_id, year = score.criterion_id, score.year
    return save_or_create(
        actor, score if score.id is not None else None, lambda: score, data, version, conflict_with=score,
        # Two first saves of one cell at once: the unique key refuses the second, shown the first.
        reload=lambda: score_for(db.session.get(MechanismCriterion, criterion_id), year),
        scope=f"assessment:{score.municipality_id}:{year}",
        message=N_("Самооценка %(year)s/%(next_year)s: %(criterion)s"),
        params={"year": year, "next_year": year + 1, "criterion": score.criterion.text[:100]})


def _sum(criteria, year_scores):
    points = sum((year_scores[c.id].points or 0) for c in criteria
                 if c.id in year_scores and year_scores[c.id].points is not None)
    maximum = sum(c.max_points for c in criteria)
    scored = sum(1 for c in criteria if c.id in year_scores and year_scores[c.id].points is not None)
    return {"points": points, "max": maximum, "percent": percent(points, maximum), "scored": scored,
            "criteria": len(criteria)}


def totals(municipality_id, year, items=None, year_scores=None):
    """Per mechanism, per group and overall: points, max, percent (whole), criteria scored.
    Active criteria only: a switched-off criterion leaves both the points and the maximum."""
    items = items if items is not None else catalogue(municipality_id)
    year_scores = year_scores if year_scores is not None else scores(municipality_id, year)
    result = {"mechanisms": {}, "groups": {}, "overall": None}
    for mechanism, criteria in items:
        result["mechanisms"][mechanism.id] = _sum(criteria, year_scores)
    for group in MECHANISM_GROUPS:
        criteria = [c for m, cs in items if m.group == group for c in cs]
        result["groups"][group] = _sum(criteria, year_scores)
    result["overall"] = _sum([c for _m, cs in items for c in cs], year_scores)
    return result


def years_assessed(municipality_id):
    return db.session.scalars(select(MechanismScore.year).distinct().where(
        MechanismScore.municipality_id == municipality_id).order_by(MechanismScore.year)).all()


def comparison(municipality_id, year, items=None):
    """The selected year against the years before it that have a self-assessment:
    [{"year", "totals"}], oldest first, against today's catalogue."""
    items = items if items is not None else catalogue(municipality_id)
    years = sorted({y for y in years_assessed(municipality_id) if y < year} | {year})
    return [{"year": y, "totals": totals(municipality_id, y, items)} for y in years]


# --- Management cycle (work with low-result schools) ----------------------------------------

def _visible(obj, user):
    return user is None or policy.can("view", obj, user)


def _school_of(obj):
    """The school a piece of evidence is about (a programme, a visit, a task)."""
    if isinstance(obj, Task):
        return obj.programme.school_id
    return obj.school_id


def supported_schools(municipality_id):
    """The schools the cycle is about: ШНОР with an active partnership."""
    return db.session.scalars(select(Organisation).where(Organisation.id.in_(
        select(Partnership.school_id).where(Partnership.municipality_id == municipality_id,
                                            Partnership.is_active.is_(True))))
        .order_by(Organisation.short_name)).all()


def _step(code, found, user, supported):
    """found: [(label, url, object for the policy)]; evidence the user may not open is counted, not shown.
    Done when the evidence covers more than CYCLE_DONE_SHARE of the supported schools."""
    visible = [(label, url) for label, url, obj in found if _visible(obj, user)]
    covered = {_school_of(obj) for _label, _url, obj in found} & {s.id for s in supported}
    lacking = [s for s in supported if s.id not in covered]
    share = len(covered) / len(supported) if supported else 0
    lacking_shown = [s.short_name for s in lacking if _visible(s, user)]
    title, hint = CYCLE_STEPS[code]
    return {"code": code, "title": title, "hint": hint, "done": share > CYCLE_DONE_SHARE,
            "covered": len(covered), "total": len(supported), "percent": round(100 * share),
            "lacking": lacking_shown, "lacking_hidden": len(lacking) - len(lacking_shown),
            "evidence": visible[:EVIDENCE_SHOWN], "more": max(len(visible) - EVIDENCE_SHOWN, 0),
            "hidden": len(found) - len(visible)}


def management_cycle(municipality_id, user=None):
    """The six steps of the management cycle for the work with low-result schools, each done
    or missing as Opora's own data show, with links to the evidence (only those `user` may open)."""
    m = municipality_id
    programmes = db.session.scalars(select(Programme).where(Programme.municipality_id == m)
                                    .options(joinedload(Programme.school)).order_by(Programme.id)).all()
    by_id = {p.id: p for p in programmes}
    running = [p for p in programmes if p.status != "closed"]

    def programme_url(p, anchor):
        return url_for("programmes.programme", programme_id=p.id, _anchor=anchor)

    # 1. Goals: programmes (not closed early) that state at least one goal.
    goals = dict(db.session.execute(select(Goal.programme_id, func.count(Goal.id)).where(
        Goal.municipality_id == m).group_by(Goal.programme_id)).all())
    found_goals = [(_("%(school)s: цели программы (%(n)s)", school=p.school.short_name, n=goals[p.id]),
                    programme_url(p, "passport-h"), p) for p in running if goals.get(p.id)]

    # 2. Indicators and methods: programmes with indicators; their sources are the methods.
    sources = {}
    for programme_id, source in db.session.execute(select(Indicator.programme_id, Indicator.source).where(
            Indicator.municipality_id == m).distinct()):
        sources.setdefault(programme_id, set()).add(source)
    counts = dict(db.session.execute(select(Indicator.programme_id, func.count(Indicator.id)).where(
        Indicator.municipality_id == m).group_by(Indicator.programme_id)).all())
    found_indicators = [(_("%(school)s: показатели (%(n)s), источники: %(sources)s", school=p.school.short_name,
                           n=counts[p.id], sources=", ".join(sorted(sources.get(p.id, ())))),
                         programme_url(p, "indicators-h"), p) for p in running if counts.get(p.id)]

    # 3. Monitoring: period reports handed in, or indicator actuals entered.
    reports = db.session.execute(select(PeriodReport, ReportingPeriod).join(
        ReportingPeriod, ReportingPeriod.id == PeriodReport.period_id).where(
        PeriodReport.municipality_id == m, PeriodReport.status.in_(("submitted", "accepted")))
        .order_by(ReportingPeriod.deadline, PeriodReport.id)).all()
    actuals = dict(db.session.execute(select(IndicatorValue.programme_id, func.count(IndicatorValue.id)).where(
        IndicatorValue.municipality_id == m, IndicatorValue.actual.is_not(None))
        .group_by(IndicatorValue.programme_id)).all())
    found_monitoring = [(_("%(school)s: отчёт за период «%(period)s»", school=by_id[r.programme_id].school.short_name,
                           period=period.title),
                         url_for("programmes.report", programme_id=r.programme_id, period_id=r.period_id),
                         by_id[r.programme_id]) for r, period in reports]
    found_monitoring += [(_("%(school)s: фактические значения показателей (%(n)s)", school=p.school.short_name,
                            n=actuals[p.id]), programme_url(p, "indicators-h"), p)
                         for p in programmes if actuals.get(p.id)]

    # 4. Analysis and targeted recommendations: submitted visits that gave recommendations.
    rec_counts = dict(db.session.execute(select(Recommendation.visit_id, func.count(Recommendation.id)).where(
        Recommendation.municipality_id == m, Recommendation.visit_id.is_not(None))
        .group_by(Recommendation.visit_id)).all())
    visits = db.session.scalars(select(Visit).where(Visit.municipality_id == m, Visit.status == "submitted",
                                                    Visit.id.in_(list(rec_counts) or [0]))
                                .options(joinedload(Visit.school)).order_by(Visit.visit_date)).all()
    found_recs = [(_("%(school)s, выезд %(date)s: адресные рекомендации (%(n)s)", school=v.school.short_name,
                     date=show_date(v.visit_date), n=rec_counts[v.id]),
                   url_for("visits.visit", visit_id=v.id, _anchor="recommendations"), v) for v in visits]

    # 5. Measures and decisions: recommendations turned into programme tasks, tasks done.
    from_recs = set(db.session.scalars(select(Recommendation.task_id).where(
        Recommendation.municipality_id == m, Recommendation.task_id.is_not(None))))
    tasks = db.session.scalars(select(Task).where(Task.municipality_id == m).where(
        (Task.id.in_(list(from_recs) or [0])) | (Task.status == "done"))
        .options(joinedload(Task.programme).joinedload(Programme.school))
        .order_by(Task.completed_at.desc(), Task.id.desc())).all()
    found_measures = [((_("%(school)s: мероприятие по рекомендации — %(title)s") if t.id in from_recs
                        else _("%(school)s: выполнено — %(title)s")) % {
                           "school": t.programme.school.short_name, "title": t.title[:120]},
                       url_for("programmes.task", task_id=t.id), t)
                      for t in sorted(tasks, key=lambda t: t.id not in from_recs)]

    # 6. Analysis of the effect: indicators with actuals in two or more periods against their
    # baseline, or accepted period reports with the curator's feedback.
    values = db.session.execute(select(IndicatorValue.indicator_id, IndicatorValue.actual, ReportingPeriod.position)
                                .join(ReportingPeriod, ReportingPeriod.id == IndicatorValue.period_id)
                                .where(IndicatorValue.municipality_id == m, IndicatorValue.actual.is_not(None))
                                .order_by(ReportingPeriod.position)).all()
    series = {}
    for indicator_id, actual, _position in values:
        series.setdefault(indicator_id, []).append(actual)
    compared = db.session.scalars(select(Indicator).where(
        Indicator.id.in_([i for i, s in series.items() if len(s) >= 2] or [0]), Indicator.baseline.is_not(None))
        .order_by(Indicator.programme_id, Indicator.position)).all()
    found_effect = [(_("%(school)s: «%(name)s» — база %(base)s, последний факт %(last)s",
                       school=by_id[i.programme_id].school.short_name, name=i.name[:90], base=num(i.baseline),
                       last=num(series[i.id][-1])), programme_url(by_id[i.programme_id], "indicators-h"),
                     by_id[i.programme_id]) for i in compared]
    found_effect += [(_("%(school)s: отзыв куратора на отчёт «%(period)s»",
                        school=by_id[r.programme_id].school.short_name, period=period.title),
                      url_for("programmes.report", programme_id=r.programme_id, period_id=r.period_id),
                      by_id[r.programme_id]) for r, period in reports
                     if r.status == "accepted" and (r.feedback or "").strip()]

    found = (found_goals, found_indicators, found_monitoring, found_recs, found_measures, found_effect)
    supported = supported_schools(m)
    return [_step(code, items, user, supported) for code, items in zip(CYCLE_CODES, found)]
