"""Saving an edit to a versioned row: one path for every area.

The user's form carries the version they started from. If the row moved on, the
save is refused with a Conflict (the route answers 409 with theirs and mine); else
the change and its history are flushed together, and commit with the rest of the user's
action when the request ends (app/transaction.py).
"""
from sqlalchemy.exc import IntegrityError

from .activity.services import diff, record, snapshot
from .extensions import db
from .versioning import Conflict, check_version, stale_as_conflict


def save_changes(actor, obj, data, submitted_version, *, scope=None, message=None, params=None, before_commit=None):
    """Apply `data` ({field: value}) to `obj`; returns the recorded changes (may be empty).
    `before_commit(changes)` runs inside the same transaction (notifications, other areas'
    reactions), so the change and everything it causes commit together. A stale version is
    found at the flush and raised as a Conflict."""
    fields = tuple(data)
    check_version(obj, submitted_version, mine=data)
    before = snapshot(obj, fields)
    for name, value in data.items():
        setattr(obj, name, value)
    changes = diff(before, snapshot(obj, fields))
    if not changes:
        return {}
    # Everything is prepared before the first write, and written in one flush: the version
    # check (UPDATE … WHERE version = ?) answers here, inside the request.
    with db.session.no_autoflush:
        record(actor, obj, "update", changes, message=message, params=params, scope=scope)
        if before_commit is not None:
            before_commit(changes)
    with stale_as_conflict(obj, mine=data):
        db.session.flush()
    return changes


def create(actor, obj, fields, *, scope=None, message=None, params=None):
    db.session.add(obj)
    db.session.flush()
    record(actor, obj, "create", {f: [None, v] for f, v in snapshot(obj, fields).items()},
           message=message, params=params, scope=scope)
    db.session.flush()
    return obj


def save_or_create(actor, obj, new, data, version, *, conflict_with, scope=None, message=None, params=None):
    """A cell that exists only once someone fills it in (a score, a risk assessment): save
    `data` onto `obj`, or, when there is none yet, create `new()` with it. The first save names
    version 0; a form older than the stored cell, or another user creating the same cell a
    moment earlier (the unique key refuses the second row), is a Conflict about `conflict_with`."""
    if obj is not None:
        save_changes(actor, obj, data, version, scope=scope, message=message, params=params)
        return obj
    if str(version or "0") != "0":
        raise Conflict(conflict_with, data)
    obj = new()
    for name, value in data.items():
        setattr(obj, name, value)
    try:
        return create(actor, obj, tuple(data), scope=scope, message=message, params=params)
    except IntegrityError:
        db.session.rollback()
        raise Conflict(conflict_with, data) from None


__all__ = ["Conflict", "create", "save_changes", "save_or_create"]
