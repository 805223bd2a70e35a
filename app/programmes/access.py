"""Access to a programme and its parts: a part (goal, section, task, indicator, period,
report) asks its programme, and the programme asks its partnership."""

from .. import policy, signals
from ..collab.access import attachable
from ..extensions import db
from ..orgs.access import partnership_role, visible_partnerships
from ..orgs.models import Partnership
from .models import Goal, Indicator, IndicatorValue, PeriodReport, Programme, ReportingPeriod, Section, Task

FROZEN_PROGRAMME = ("completed", "closed")


def programme_role(user, programme):
    return partnership_role(user, programme.partnership)


@policy.register(Programme)
def programme(user, action, obj):
    """view: everyone in the partnership (and observers); edit: the three partners and the admin,
    until the programme is completed; approve / review reports: the curator or the admin;
    submit reports: the school team (or the admin)."""
    role = programme_role(user, obj)
    if role is None:
        return False
    if action == "view":
        return True
    if action == "edit":
        return role in policy.EDITOR_ROLES and obj.status not in FROZEN_PROGRAMME
    if action in ("approve", "review"):
        return role in ("admin", "curator")
    if action == "submit":
        return role in ("admin", "school")
    if action == "status":  # propose, start: any partner; approve/close are checked as "approve"
        return role in policy.EDITOR_ROLES
    if action == "read_text":  # passport, goals, task texts, evidence, files, comments, reports, history
        return role in policy.TEXT_READERS
    return False


@policy.register(Goal, Section, Task, Indicator, IndicatorValue, ReportingPeriod, PeriodReport)
def programme_part(user, action, obj):
    parent = obj.programme if getattr(obj, "programme", None) is not None else \
        db.session.get(Programme, obj.programme_id)
    return programme(user, action, parent)


@policy.register_scope(Programme)
def visible_programmes(user):
    return db.select(Programme).join(Programme.partnership).where(
        Partnership.id.in_(visible_partnerships(user).with_only_columns(Partnership.id)))


attachable("task", Task)


def catalogue_titles(sections):
    """{section id: title} for the sections whose names come from reference catalogues, which
    every reader may see: the mandatory sections of the programme template, and sections other
    areas name after their catalogues (an antirisk direction after its risk factor, see
    signals.section_titles). Sections people added and named themselves are not in it."""
    titles = {s.id: s.title for s in sections if s.is_mandatory}
    others = [s.id for s in sections if not s.is_mandatory]
    if others:
        for answer in signals.collect(signals.section_titles, others):
            titles.update(answer)
    return titles
