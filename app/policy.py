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
from .extensions import db
from .orgs.models import ContextFactor, Municipality, Organisation, Partnership

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


RULES = {
    Municipality: _municipality,
    Organisation: _organisation,
    Partnership: _partnership,
    User: _user,
    ContextFactor: _context_factor,
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


def load(model, ident, action="view"):
    """Load an object by id and authorize `action` on it; unknown or foreign ids are 404."""
    if not isinstance(ident, int) or not 0 < ident < 2**31:
        abort(404)  # ids beyond any integer column are not ours; no driver overflow errors
    obj = db.session.get(model, ident)
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


