"""Access to the diagnostic card, ШНОР decisions and risk profiles."""
from flask_login import current_user

from .. import policy
from ..orgs.access import reference_list, school_role, works_with_school
from .models import CardCriterion, CardImport, CardScore, CardYear, RiskFactor, SchoolRisk, ShnorDecision


@policy.register(CardYear, CardCriterion, CardScore, ShnorDecision, CardImport)
def _municipal_card(user, action, obj):
    """The diagnostic card ranks schools: the department's tool (admin edits; curators and
    observers read); school teams do not see other schools' ranks."""
    if action == "view":
        return user.role in ("admin", "curator", "observer")
    return user.role == "admin"


@policy.register(SchoolRisk)
def _school_risk(user, action, risk):
    if action == "view" and user.role == "observer":
        return True
    return school_role(user, risk.school_id) is not None


policy.register(RiskFactor)(reference_list)


def can_view_risks_of(school, user=None):
    """Risk profiles: their keepers (see orgs.access.works_with_school), and observers (read only)."""
    user = user or current_user
    return works_with_school(school, user) or (school.municipality_id == user.municipality_id
                                               and user.role == "observer")
