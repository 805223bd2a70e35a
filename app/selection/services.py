"""The diagnostic card, context index, risk profile, decisions and the watchlist."""
import math
from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import catalogue, policy, signals
from ..activity.labels import N_
from ..activity.models import ActivityEvent
from ..activity.services import record
from ..editing import create, save_changes, save_or_create
from ..extensions import db
from ..formats import show_date
from ..orgs import services as orgs_services
from ..orgs.models import ContextFactor, ContextValue, Partnership
from ..orgs.services import schools
from ..programmes import services as programmes
from ..programmes.forms import PROGRAMME_STATUS_LABELS
from ..programmes.models import Programme
from ..timeutil import today
from .models import CardCriterion, CardScore, CardYear, RiskFactor, SchoolRisk, ShnorDecision

# Labels in the reader's language (lazy: built when shown); the forms offer the same.
RISK_LEVEL_NAMES = {"low": _l("низкий"), "medium": _l("средний"), "high": _l("высокий")}
SCORING_NAMES = {"binary": _l("да/нет (1/0)"), "per_sign": _l("баллы по признакам (до максимума)")}
# How a school's decision reads on the card.
DECISION_NAMES = {"confirmed": _l("подтверждён"), "declined": _l("не присвоен"), "exited": _l("выведена из ШНОР")}


# --- Diagnostic card ------------------------------------------------------------------------
# Reading never writes (a GET, an export): a year nobody has worked on yet shows the card it
# would start as — the previous year's threshold and criteria, or seed 004's — built in memory
# and not added to the session. The first change that needs the rows (a score, the threshold,
# a criterion, an import) stores them: ensure_card_year().

def stored_card_year(municipality_id, year):
    return db.session.scalar(select(CardYear).where(CardYear.municipality_id == municipality_id,
                                                    CardYear.year == year))


def _previous_card_year(municipality_id, year):
    return db.session.scalar(select(CardYear).where(CardYear.municipality_id == municipality_id,
                                                    CardYear.year < year).order_by(CardYear.year.desc()))


def card_year(municipality_id, year):
    """The card of a year as stored; before anyone changed it, the card it would start as
    (transient: id None, never flushed)."""
    card = stored_card_year(municipality_id, year)
    if card is not None:
        return card
    previous = _previous_card_year(municipality_id, year)
    return CardYear(municipality_id=municipality_id, year=year, threshold=previous.threshold if previous else 4.0)


def _default_criteria(municipality_id, year):
    """The criteria a new year starts with, in memory: the previous card's active ones, or seed 004's."""
    previous = _previous_card_year(municipality_id, year)
    if previous is not None:
        source = [(c.code, c.text, c.scoring, c.max_points) for c in criteria(municipality_id, previous.year)]
    else:
        source = [(c["code"], c["text"], c["scoring"], c["max_points"]) for c in catalogue.DIAGNOSTIC_CARD_CRITERIA]
    return [CardCriterion(municipality_id=municipality_id, year=year, position=position, code=code, text=text,
                          scoring=scoring, max_points=max_points, is_active=True)
            for position, (code, text, scoring, max_points) in enumerate(source, start=1)]


def ensure_card_year(municipality_id, year, actor=None):
    """The stored card of a year, created now (with its default criteria) if there is none.
    Only for requests that change the card; the change is recorded when there is an actor.
    Two first changes at once: the unique key keeps one card, the other request reads it."""
    card = stored_card_year(municipality_id, year)
    if card is not None:
        return card
    card = card_year(municipality_id, year)
    crits = _default_criteria(municipality_id, year)
    try:
        db.session.add(card)
        db.session.add_all(crits)
        db.session.flush()
    except IntegrityError:
        db.session.rollback()  # the first write of the request: nothing else is lost
        return stored_card_year(municipality_id, year)
    if actor is not None:
        record(actor, card, "create", {"threshold": [None, card.threshold]}, scope=f"card:{municipality_id}:{year}",
               message=N_("Диагностическая карта %(name)s начата: критериев — %(count)s"),
               params={"name": str(card), "count": len(crits)})
        db.session.flush()
    return card


def criteria(municipality_id, year, active_only=True):
    """The year's criteria by position; for a card not stored yet, the ones it would start with
    (transient, id None)."""
    if stored_card_year(municipality_id, year) is None:
        return _default_criteria(municipality_id, year)
    query = select(CardCriterion).where(CardCriterion.municipality_id == municipality_id, CardCriterion.year == year)
    if active_only:
        query = query.where(CardCriterion.is_active.is_(True))
    return db.session.scalars(query.order_by(CardCriterion.position, CardCriterion.id)).all()


def criterion_at(municipality_id, year, position):
    """The stored active criterion at a position (a cell posted from a card shown before it was stored)."""
    return db.session.scalar(select(CardCriterion).where(
        CardCriterion.municipality_id == municipality_id, CardCriterion.year == year,
        CardCriterion.position == position, CardCriterion.is_active.is_(True)).order_by(CardCriterion.id))


def grid(municipality_id, year):
    """Rows for every school: scores per criterion, total, rank (1 = most problems), candidate flag.
    Read-only (the dashboard and the exports call it too)."""
    card = card_year(municipality_id, year)
    crits = criteria(municipality_id, year)
    all_schools = schools(municipality_id)
    stored_ids = [c.id for c in crits if c.id is not None]
    scores = {(s.school_id, s.criterion_id): s for s in db.session.scalars(
        select(CardScore).where(CardScore.criterion_id.in_(stored_ids)))} if stored_ids else {}
    rows = []
    for school in all_schools:
        cells = {c.id: scores.get((school.id, c.id)) for c in crits}
        total = sum(cell.points for cell in cells.values() if cell is not None)
        rows.append({"school": school, "cells": cells, "total": total, "candidate": total >= card.threshold})
    # Competition ranking: equal totals share a rank.
    ordered = sorted(rows, key=lambda r: (-r["total"], r["school"].short_name))
    for row in ordered:
        row["rank"] = 1 + sum(1 for other in rows if other["total"] > row["total"])
    decisions = {d.school_id: d for d in db.session.scalars(select(ShnorDecision).where(
        ShnorDecision.municipality_id == municipality_id, ShnorDecision.year == year)
        .order_by(ShnorDecision.decided_at))}
    for row in ordered:
        row["decision"] = decisions.get(row["school"].id)
    return card, crits, ordered


def card_row(municipality_id, year, school_id):
    """One school's row of the year's grid (total, rank, decision); None for no school of the card."""
    return next((r for r in grid(municipality_id, year)[2] if r["school"].id == school_id), None)


def candidates(municipality_id, year):
    return {r["school"].id for r in grid(municipality_id, year)[2] if r["candidate"]}


def year_changes(municipality_id, year):
    """Who entered the candidates list this year and who left it, against the previous year."""
    previous = db.session.scalar(select(CardYear.year).where(CardYear.municipality_id == municipality_id,
                                                             CardYear.year < year).order_by(CardYear.year.desc()))
    if previous is None:
        return None, [], []
    now, before = candidates(municipality_id, year), candidates(municipality_id, previous)
    names = {s.id: s for s in schools(municipality_id)}
    return previous, [names[i] for i in sorted(now - before)], [names[i] for i in sorted(before - now)]


def save_threshold(actor, municipality_id, year, threshold):
    """The card's threshold; the year's card is stored now if this is its first change."""
    card = ensure_card_year(municipality_id, year, actor)
    return save_changes(actor, card, {"threshold": threshold}, card.version, scope=f"card:{municipality_id}:{year}",
                        message=N_("Порог карты %(name)s"), params={"name": str(card)})


def add_criterion(actor, municipality_id, year, data):
    """A criterion of the year's card, after the others (the card is stored first if need be)."""
    ensure_card_year(municipality_id, year, actor)
    position = len(criteria(municipality_id, year, active_only=False)) + 1
    criterion = CardCriterion(municipality_id=municipality_id, year=year, position=position, **data)
    return create(actor, criterion, tuple(data), scope=f"card:{municipality_id}:{year}")


def save_criterion(actor, criterion, data, version):
    return save_changes(actor, criterion, data, version, scope=f"card:{criterion.municipality_id}:{criterion.year}")


def validate_points(criterion, points):
    if points is None or not math.isfinite(points):
        return _("введите число")
    if points < 0 or points > criterion.max_points:
        return _("баллы от 0 до %(max)s", max=criterion.max_points)
    if criterion.scoring == "binary" and points not in (0, 1):
        return _("да/нет: 1 или 0")
    if points != int(points):
        return _("целое число баллов")
    return None


def save_score(actor, criterion, school, points, version):
    score = db.session.scalar(select(CardScore).where(CardScore.criterion_id == criterion.id,
                                                      CardScore.school_id == school.id))
    return save_or_create(
        actor, score, lambda: CardScore(municipality_id=criterion.municipality_id, criterion_id=criterion.id,
                                        school_id=school.id),
        {"points": points}, version, conflict_with=criterion,
        scope=f"card:{criterion.municipality_id}:{criterion.year}", message=N_("%(school)s: %(criterion)s"),
        params={"school": school.short_name, "criterion": criterion.text[:120]})


def card_history(municipality_id, year, limit=30):
    """The card's recent history (threshold, cells, criteria, imports) for the department."""
    return db.session.scalars(select(ActivityEvent).where(
        ActivityEvent.municipality_id == municipality_id, ActivityEvent.scope == f"card:{municipality_id}:{year}")
        .order_by(ActivityEvent.id.desc()).limit(limit)).all()


def decide(actor, school, year, total, data):
    """The one form: record the decision; on confirmation flag the school, create the partnership
    and a programme draft from the template. Raises ValueError (nothing written) when the
    partnership or its programme would break the department's rules."""
    if data["decision"] == "confirmed":
        error = orgs_services.tutor_school_error(data["tutor_school_id"]) or programmes.programme_years_error(
            Partnership(school_id=school.id, start_year=data["start_year"], end_year=data["start_year"] + 2),
            data["start_year"])
        if error:
            raise ValueError(error)
    decision = ShnorDecision(municipality_id=school.municipality_id, year=year, school_id=school.id,
                             decision=data["decision"], reason=data["reason"], total=total, decided_by_id=actor.id)
    db.session.add(decision)
    programme = None
    if data["decision"] == "confirmed":
        school.is_low_results = True
        partnership = Partnership(municipality_id=school.municipality_id, school_id=school.id,
                                  tutor_school_id=data["tutor_school_id"], curator_id=data["curator_id"],
                                  start_year=data["start_year"], end_year=data["start_year"] + 2,
                                  agreement_number=data.get("agreement_number") or "",
                                  agreement_date=data.get("agreement_date"))
        db.session.add(partnership)
        db.session.flush()
        decision.partnership_id = partnership.id
        record(actor, partnership, "create", {"school_id": [None, school.id]},
               message=N_("Сопровождение по решению о статусе ШНОР: %(school)s"), params={"school": school.short_name})
        record(actor, school, "update", {"is_low_results": [False, True]},
               message=N_("Статус ШНОР подтверждён: %(reason)s"), params={"reason": data["reason"][:150]})
        db.session.flush()
        programme = programmes.create_programme(actor, partnership, data["start_year"])
    else:
        db.session.flush()
    return decision, programme


def exit_shnor(actor, school, year, reason, decision_date):
    """Take a school off the ШНОР list by a recorded decision. The school leaves when its
    programme is over: while one is unfinished the exit is refused (ValueError, nothing written),
    because a department head ends the support at the programme's end, not in the middle of it.
    The decision clears the flag and ends the school's active partnership with the same reason."""
    if not school.is_low_results:
        raise ValueError(_("Школа не в списке ШНОР."))
    programme = current_programme_of(school.id)
    if programme is not None:
        raise ValueError(_("Программа «%(name)s» ещё не завершена (%(status)s): сначала завершите её "
                           "или закройте досрочно, затем выводите школу из списка ШНОР.",
                           name=programme.name, status=PROGRAMME_STATUS_LABELS[programme.status]))
    partnership = db.session.scalar(select(Partnership).where(Partnership.school_id == school.id,
                                                              Partnership.is_active.is_(True))
                                    .order_by(Partnership.start_year.desc()))
    row = card_row(school.municipality_id, year, school.id)
    total = row["total"] if row else 0
    decision = ShnorDecision(municipality_id=school.municipality_id, year=year, school_id=school.id,
                             decision="exited", reason=reason, total=total or 0, decided_by_id=actor.id,
                             decision_date=decision_date, partnership_id=partnership.id if partnership else None)
    db.session.add(decision)
    school.is_low_results = False
    record(actor, school, "update", {"is_low_results": [True, False]},
           message=N_("Выведена из списка ШНОР (%(exit_date)s): %(reason)s"),
           params={"exit_date": decision_date.isoformat(), "reason": reason[:150]})
    if partnership is not None:
        partnership.is_active = False
        partnership.ended_on = decision_date
        partnership.ended_reason = reason
        record(actor, partnership, "update",
               {"is_active": [True, False], "ended_on": [None, decision_date.isoformat()]},
               message=N_("Сопровождение завершено: школа выведена из списка ШНОР (%(school)s)"),
               params={"school": school.short_name})
    db.session.flush()
    return decision


def exits(municipality_id, year):
    """Decisions of the school year `year` that took schools off the ШНОР list, by date."""
    return db.session.scalars(select(ShnorDecision).where(
        ShnorDecision.municipality_id == municipality_id, ShnorDecision.year == year,
        ShnorDecision.decision == "exited").order_by(ShnorDecision.decision_date, ShnorDecision.id)).all()


# --- Context index ----------------------------------------------------------------------------

# Without a threshold set by the department, a school is in unfavourable context when its index
# is at least one standard deviation above the municipality's mean (seed 002 gives the factors
# and their direction, not a cut-off; the mean + 1 SD rule marks the schools that stand out from
# their own municipality, roughly the top sixth of a normal spread). Too few schools: no rule.
AUTO_THRESHOLD_MIN_SCHOOLS = 3


def context_years(municipality_id):
    """School years that have context data, newest first."""
    return db.session.scalars(select(ContextValue.school_year).distinct()
                              .join(ContextFactor, ContextFactor.id == ContextValue.factor_id)
                              .where(ContextFactor.municipality_id == municipality_id)
                              .order_by(ContextValue.school_year.desc())).all()


def context_indices(municipality_id, year):
    """Per school: index of unfavourable context in the school year `year`, 0–100 — the mean over
    the factors of that year's share of students affected by a negative factor, or not reached
    by a positive one."""
    factors = {f.id: f for f in db.session.scalars(select(ContextFactor).where(
        ContextFactor.municipality_id == municipality_id))}
    values = db.session.execute(select(ContextValue.organisation_id, ContextValue.factor_id, ContextValue.share)
                                .where(ContextValue.factor_id.in_(list(factors)),
                                       ContextValue.school_year == year)).all()
    parts = {}
    for org_id, factor_id, share in values:
        if share is None:
            continue
        factor = factors[factor_id]
        parts.setdefault(org_id, []).append(share if factor.direction == "negative" else 100 - share)
    result = []
    for school in schools(municipality_id):
        own = parts.get(school.id, [])
        index = round(sum(own) / len(own), 1) if own else None
        result.append({"school": school, "index": index, "factors": len(own)})
    return sorted(result, key=lambda r: (r["index"] is None, -(r["index"] or 0)))


def context_threshold(municipality, rows):
    """The threshold in effect for `rows` (context_indices of one year) and how it was found:
    {"value": float or None, "automatic": bool, "mean", "sd", "schools"}."""
    indices = [r["index"] for r in rows if r["index"] is not None]
    if municipality.context_index_threshold is not None:
        return {"value": municipality.context_index_threshold, "automatic": False, "schools": len(indices)}
    if len(indices) < AUTO_THRESHOLD_MIN_SCHOOLS:
        return {"value": None, "automatic": True, "schools": len(indices)}
    mean = sum(indices) / len(indices)
    sd = (sum((x - mean) ** 2 for x in indices) / len(indices)) ** 0.5
    return {"value": round(mean + sd, 1), "automatic": True, "mean": round(mean, 1), "sd": round(sd, 1),
            "schools": len(indices)}


def set_context_threshold(actor, municipality, threshold):
    """The department's threshold of the context index (None: the automatic one)."""
    if threshold == municipality.context_index_threshold:
        return False
    record(actor, municipality, "update",
           {"context_index_threshold": [municipality.context_index_threshold, threshold]},
           message=N_("Порог индекса неблагоприятного контекста"), municipality_id=municipality.id)
    municipality.context_index_threshold = threshold
    db.session.flush()
    return True


def flag_unfavourable(rows, threshold):
    """Mark each row: at or above the threshold in effect (False when there is none)."""
    for r in rows:
        r["unfavourable"] = threshold["value"] is not None and r["index"] is not None \
            and r["index"] >= threshold["value"]
    return rows


# --- Risk profile -----------------------------------------------------------------------------

def stored_risk_factors(municipality_id, year):
    return db.session.scalars(select(RiskFactor).where(
        RiskFactor.municipality_id == municipality_id, RiskFactor.year == year).order_by(RiskFactor.position)).all()


def risk_factors(municipality_id, year):
    """The catalogue of a year. Before anyone changed it: the one it would start with — the
    previous year's, or the federal «500+» list — in memory (transient, id None)."""
    items = stored_risk_factors(municipality_id, year)
    if items:
        return items
    previous = db.session.scalar(select(func.max(RiskFactor.year)).where(
        RiskFactor.municipality_id == municipality_id, RiskFactor.year < year))
    source = [(f.code, f.name) for f in stored_risk_factors(municipality_id, previous)] if previous else \
        [(f["code"], f["name"]) for f in catalogue.RISK_FACTORS]
    return [RiskFactor(municipality_id=municipality_id, year=year, code=code, name=name, position=position)
            for position, (code, name) in enumerate(source, start=1)]


def ensure_risk_factors(municipality_id, year):
    """The stored catalogue of a year, created now from the defaults if there is none. Only for
    requests that change risks. Two first changes at once: the unique key keeps one catalogue."""
    items = stored_risk_factors(municipality_id, year)
    if items:
        return items
    try:
        db.session.add_all(risk_factors(municipality_id, year))
        db.session.flush()
    except IntegrityError:
        db.session.rollback()  # the first write of the request: nothing else is lost
    return stored_risk_factors(municipality_id, year)


def risk_factor_at(municipality_id, year, position):
    return next((f for f in ensure_risk_factors(municipality_id, year) if f.position == position), None)


def add_risk_factor(municipality_id, year, name):
    position = len(ensure_risk_factors(municipality_id, year)) + 1
    db.session.add(RiskFactor(municipality_id=municipality_id, year=year, code=f"custom-{position}", name=name,
                              position=position))
    db.session.flush()


def school_risks(school, year):
    """[(factor, the school's assessment or None)]; read-only."""
    factors = risk_factors(school.municipality_id, year)
    ids = [f.id for f in factors if f.id is not None]
    existing = {r.factor_id: r for r in db.session.scalars(select(SchoolRisk).where(
        SchoolRisk.school_id == school.id, SchoolRisk.factor_id.in_(ids)))} if ids else {}
    return [(f, existing.get(f.id)) for f in factors]


def save_risk(actor, school, factor, data, version):
    risk = db.session.scalar(select(SchoolRisk).where(SchoolRisk.school_id == school.id,
                                                      SchoolRisk.factor_id == factor.id))
    return save_or_create(
        actor, risk, lambda: SchoolRisk(municipality_id=school.municipality_id, school_id=school.id,
                                        factor_id=factor.id),
        data, version, conflict_with=factor, scope=f"risks:{school.id}", message=N_("%(school)s: %(factor)s"),
        params={"school": school.short_name, "factor": factor.name})


def risk_to_section(actor, risk, programme):
    """An actual risk becomes an antirisk direction of the programme (a section of its own)."""
    section = programmes.add_section(actor, programme, f"Антирисковое направление: {risk.factor.name}")
    risk.section_id = section.id
    record(actor, risk, "update", {"section_id": [None, section.id]}, scope=f"risks:{risk.school_id}",
           message=N_("%(factor)s: антирисковое направление в программе"), params={"factor": risk.factor.name})
    db.session.flush()
    return section


def current_programme_of(school_id):
    return db.session.scalar(select(Programme).where(
        Programme.school_id == school_id, Programme.status.not_in(("completed", "closed")))
        .order_by(Programme.start_year.desc()))


# --- Watchlist ------------------------------------------------------------------------------

def watchlist(user):
    """Supported schools that need attention now, each with the reasons."""
    from ..visits.models import Visit

    now = today(user.municipality)
    weeks = user.municipality.visit_coverage_weeks
    rows = []
    for partnership in db.session.scalars(policy.visible(Partnership, user).where(Partnership.is_active.is_(True))):
        reasons = []
        programme = current_programme_of(partnership.school_id)
        if programme is None:
            reasons.append(_("нет действующей программы"))
        else:
            data = programmes.page_data(programme)
            o = data["overview"]
            if o["tasks_overdue"]:
                reasons.append(_("просрочено мероприятий: %(n)s", n=o["tasks_overdue"]))
            if o["indicators_off_track"]:
                reasons.append(_("показателей без продвижения: %(n)s", n=o["indicators_off_track"]))
            if o["missed_periods"]:
                missed = ", ".join(programmes.period_name(p) for p in o["missed_periods"])
                reasons.append(_("не сдан отчёт: %(periods)s", periods=missed))
        last = db.session.scalar(select(func.max(Visit.visit_date)).where(Visit.partnership_id == partnership.id,
                                                                          Visit.status == "submitted"))
        if last is None or last < now - timedelta(weeks=weeks):
            reasons.append(_("нет выезда %(weeks)s нед. (последний %(date)s)", weeks=weeks, date=show_date(last))
                           if last else _("нет выезда %(weeks)s нед.", weeks=weeks))
        if reasons:
            rows.append({"partnership": partnership, "programme": programme, "reasons": reasons})
    return rows


def schools_and_curators(municipality_id):
    from ..orgs.services import curators

    return schools(municipality_id), curators(municipality_id)



# --- What programmes hear from selection (see app/signals.py) --------------------------------

@signals.section_titles.connect
def antirisk_titles(section_ids):
    """An antirisk direction is named after the risk factor it was made from."""
    return {risk.section_id: _("Антирисковое направление: %(factor)s", factor=risk.factor.name)
            for risk in db.session.scalars(select(SchoolRisk).where(SchoolRisk.section_id.in_(section_ids)))}


@signals.section_removed.connect
def detach_risks(section, actor):
    """The risk a deleted direction was made from stays, and says in its history that it no
    longer points at a section."""
    for risk in db.session.scalars(select(SchoolRisk).where(SchoolRisk.section_id == section.id)):
        risk.section_id = None
        record(actor, risk, "update", {"section_id": [section.id, None]}, scope=f"risks:{risk.school_id}",
               message=N_("%(factor)s: раздел «%(title)s» удалён из программы"),
               params={"factor": risk.factor.name, "title": section.title})
