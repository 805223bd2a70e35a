"""Who may do what: the small core that every access decision goes through.

Each area decides about its own objects in `app/<area>/access.py` and registers its rules here
(`@register(Model)`) and its list scopes (`@register_scope(Model)`); a part asks its parent (a
task asks its programme), as indico's protection parent. This module imports no area: it only
knows that every object belongs to a municipality and that users have a role.

Routes load objects through `load()` (object-level check) or guard a page with `require()`
(municipality-level check); lists are filtered with `visible(Model)`. Nobody reaches another
municipality's objects: they answer 404, as if they did not exist. Templates may ask `can()` to
hide buttons, never to decide.
"""
from flask import abort
from flask_login import current_user

from .extensions import db

READ_ROLES = ("admin", "curator", "tutor", "school", "observer")
EDITOR_ROLES = ("admin", "curator", "tutor", "school")
# Who reads free text: whatever people typed (task titles, expected results, responsible,
# evidence, comments, files, indicator names, passports and goals, visit purposes and findings,
# recommendations, reports, history). It names teachers. Observers (regional experts) read
# aggregates and the names of reference catalogues only: criteria, mechanisms, risk factors,
# the mandatory sections of the programme template.
TEXT_READERS = ("admin", "curator", "tutor", "school")

RULES = {}   # model -> rule(user, action, obj) -> bool
SCOPES = {}  # model -> scope(user) -> select() of the objects the user may list


def register(*models):
    """Decorator: `rule(user, action, obj)` decides for objects of `models` (same municipality
    already checked)."""
    def decorator(rule):
        for model in models:
            RULES[model] = rule
        return rule
    return decorator


def register_scope(model):
    """Decorator: `scope(user)` returns a select() of the `model` rows the user may list."""
    def decorator(scope):
        SCOPES[model] = scope
        return scope
    return decorator


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


def visible(model, user=None):
    """A select() of the `model` rows the user may list (the area's registered scope)."""
    return SCOPES[model](user or current_user)


def reads_text(user=None):
    """May the user read free text at all (see TEXT_READERS)? Exports and lists across schools
    ask this; a page about one object asks can("read_text", obj)."""
    return can("read_text", (user or current_user).municipality, user)
