"""Saving an edit to a versioned row: one path for every area.

The user's form carries the version they started from. If the row moved on, the
save is refused with a Conflict (the route answers 409 with theirs and mine); else
the change and its history are flushed together, and commit with the rest of the user's
action when the request ends (app/transaction.py).
"""
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError

from .activity.services import diff, record, snapshot
from .extensions import db
from .versioning import Conflict, check_version, parse_version, stale_as_conflict


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


@contextmanager
def first_save(current, mine):
    """Around the flush that inserts rows a unique key allows once (a cell filled in for the
    first time, a teacher's first findings in a session). Two people filling the same empty
    cell at once both find no row; the one who flushes second is refused by the key (SQLite
    and PostgreSQL alike, after the first one committed). That is a conflict, not an error:
    the session is rolled back (the action answers 409, which rolls it back anyway, and
    PostgreSQL reads nothing more in a failed transaction), `current()` loads what the other
    person saved, and Conflict(current, mine) shows theirs beside mine.

    Not a SAVEPOINT: with the sqlite3 driver's transaction handling, releasing a savepoint that
    opened the transaction commits it, which would break one-transaction-per-request. So a
    caller that catches the Conflict must not go on writing in the same request."""
    try:
        yield
    except IntegrityError:
        db.session.rollback()
        raise Conflict(current(), mine) from None


def first_version(version, mine, current):
    """A cell with no row yet is saved from a form that names version 0 (or none). A form that
    names another number was made when the cell existed: someone removed or changed it since."""
    if (parse_version(version) or 0) != 0:
        raise Conflict(current, mine)


def save_or_create(actor, obj, new, data, version, *, conflict_with, scope=None, message=None, params=None,
                   reload=None):
    """A cell that exists only once someone fills it in (a score, a risk assessment): save
    `data` onto `obj`, or, when there is none yet, create `new()` with it. The first save names
    version 0; a form older than the stored cell, or another user creating the same cell a
    moment earlier (the unique key refuses the second row), is a Conflict about the row the
    other user saved (`reload()` loads it) or, without `reload`, about `conflict_with`."""
    if obj is not None:
        save_changes(actor, obj, data, version, scope=scope, message=message, params=params)
        return obj
    first_version(version, data, conflict_with)
    obj = new()
    for name, value in data.items():
        setattr(obj, name, value)
    with first_save(lambda: (reload() if reload is not None else None) or conflict_with, data):
        return create(actor, obj, tuple(data), scope=scope, message=message, params=params)


__all__ = ["Conflict", "create", "first_save", "first_version", "save_changes", "save_or_create"]
