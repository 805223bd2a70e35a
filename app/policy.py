"""Who may do what: the one place where access is decided.

Routes load objects through `load()` (object-level check) or guard a page with
`require()` (municipality-level check); lists are filtered with the `visible_*`
scopes. Nobody reaches another municipality's objects: they answer 404, as if
they did not exist. Templates may ask `can()` to hide buttons, never to decide.
"""
from flask import abort
from flask_login import current_user
from sqlalchemy import false

from .accounts.models import User
from .collab.models import Notification
from .extensions import db
from .orgs.models import ContextFactor, Municipality, Organisation, Partnership
from .programmes.models import (Goal, Indicator, IndicatorValue, PeriodReport, Programme, ReportingPeriod, Section,
                                Task, TaskAttachment)

READ_ROLES = ("admin", "curator", "tutor", "school", "observer")


def partnership_role(user, partnership):
    """The part the user plays in a partnership: the key to its programme, visits, diagnostics."""
    if user.municipality_id != partnership.municipality_id:
        return None
    if user.role == "admin":
        return "admin"
    if user.role == "curator" and partnership.curator_id == user.id:
        return "curator"
    if user.role == "tutor" and partnership.tutor_school_id == user.organisation_id:
        return "tutor"
    if user.role == "school" and partnership.school_id == user.organisation_id:
        return "school"
    if user.role == "observer":
        return "observer"
    return None


def _municipality(user, action, obj):
    if action == "view":
        return True
    return user.role == "admin"  # "manage": users, organisations, partnerships, criteria


def _organisation(user, action, org):
    if action == "view":
        return user.role != "school" or org.id == user.organisation_id
    return user.role == "admin"


def _partnership(user, action, partnership):
    role = partnership_role(user, partnership)
    if action == "view":
        return role is not None
    return role == "admin"


def _user(user, action, other):
    if action == "view" and other.id == user.id:
        return True
    return user.role == "admin"


def _context_factor(user, action, factor):
    return action == "view" or user.role == "admin"


EDITOR_ROLES = ("admin", "curator", "tutor", "school")
FROZEN_PROGRAMME = ("completed", "closed")


def programme_role(user, programme):
    return partnership_role(user, programme.partnership)


def _programme(user, action, programme):
    """view: everyone in the partnership (and observers); edit: the three partners and the admin,
    until the programme is completed; approve / review reports: the curator or the admin;
    submit reports: the school team (or the admin)."""
    role = programme_role(user, programme)
    if role is None:
        return False
    if action == "view":
        return True
    if action == "edit":
        return role in EDITOR_ROLES and programme.status not in FROZEN_PROGRAMME
    if action in ("approve", "review"):
        return role in ("admin", "curator")
    if action == "submit":
        return role in ("admin", "school")
    if action == "status":  # propose, start: any partner; approve/close are checked as "approve"
        return role in EDITOR_ROLES
    return False


def _programme_part(user, action, obj):
    programme = obj.programme if hasattr(obj, "programme") and obj.programme is not None else \
        db.session.get(Programme, obj.programme_id)
    return _programme(user, action, programme)


def _attachment(user, action, attachment):
    return _programme_part(user, action, attachment.task)


def _notification(user, action, notification):
    return notification.user_id == user.id


RULES = {
    Municipality: _municipality,
    Organisation: _organisation,
    Partnership: _partnership,
    User: _user,
    ContextFactor: _context_factor,
    Programme: _programme,
    Goal: _programme_part,
    Section: _programme_part,
    Task: _programme_part,
    Indicator: _programme_part,
    IndicatorValue: _programme_part,
    ReportingPeriod: _programme_part,
    PeriodReport: _programme_part,
    TaskAttachment: _attachment,
    Notification: _notification,
}


def register(model, rule):
    """Areas add their own object rules here, so every decision still lives in this module's table."""
    RULES[model] = rule


def can(action, obj, user=None):
    user = user or current_user
    if not getattr(user, "is_authenticated", False) or obj is None:
        return False
    if getattr(obj, "municipality_id", None) != user.municipality_id:
        return False
    rule = RULES.get(type(obj))
    if rule is None:
        raise LookupError(f"no access rule for {type(obj).__name__}")
    return bool(rule(user, action, obj))


def authorize(action, obj):
    if not can(action, obj):
        abort(403)
    return obj


def load(model, ident, action="view", options=()):
    """Load an object by id and authorize `action` on it; unknown or foreign ids are 404.
    `options` are loader options (eager loads) for the one query."""
    if not isinstance(ident, int) or not 0 < ident < 2**31:
        abort(404)  # ids beyond any integer column are not ours; no driver overflow errors
    obj = db.session.get(model, ident, options=options)
    if obj is None or getattr(obj, "municipality_id", None) != current_user.municipality_id:
        abort(404)
    return authorize(action, obj)


def require(action):
    """Municipality-level guard for pages that are not about one object (lists, forms to create)."""
    return authorize(action, current_user.municipality)


# --- Scopes for lists -------------------------------------------------------------

def visible_organisations(user=None):
    user = user or current_user
    query = db.select(Organisation).where(Organisation.municipality_id == user.municipality_id)
    if user.role == "school":
        query = query.where(Organisation.id == user.organisation_id)
    return query


def visible_partnerships(user=None):
    user = user or current_user
    query = db.select(Partnership).where(Partnership.municipality_id == user.municipality_id)
    if user.role == "curator":
        query = query.where(Partnership.curator_id == user.id)
    elif user.role == "tutor":
        query = query.where(Partnership.tutor_school_id == user.organisation_id)
    elif user.role == "school":
        query = query.where(Partnership.school_id == user.organisation_id)
    elif user.role not in ("admin", "observer"):
        query = query.where(false())
    return query




def visible_programmes(user=None):
    user = user or current_user
    return db.select(Programme).join(Programme.partnership).where(
        Partnership.id.in_(visible_partnerships(user).with_only_columns(Partnership.id)))
