"""Access to teachers, their diagnostics, findings and route steps: personal data, for the
school's own team, its curator and tutor school, and the admin (never observers)."""
from .. import policy
from ..orgs.access import reference_list, school_role
from .models import DeficitArea, DeficitFinding, DiagnosticSession, RouteStep, Teacher


@policy.register(Teacher)
def _teacher(user, action, teacher):
    """Individual teachers are personal data: never for observers or other schools."""
    return school_role(user, teacher.school_id) is not None


@policy.register(DiagnosticSession, DeficitFinding, RouteStep)
def _school_people(user, action, obj):
    """Sessions, findings and route steps follow the school they belong to."""
    school_id = obj.school_id if hasattr(obj, "school_id") else obj.teacher.school_id
    return school_role(user, school_id) is not None


policy.register(DeficitArea)(reference_list)
