"""Access to the municipality's self-assessment: everyone in it reads; the admin scores and
edits criteria."""
from .. import policy
from ..orgs.access import reference_list
from .models import Mechanism, MechanismCriterion, MechanismScore

policy.register(Mechanism, MechanismCriterion, MechanismScore)(reference_list)
