"""Optimistic concurrency for every editable row.

Each versioned row carries `version`; SQLAlchemy adds `WHERE version = <loaded>` to
every UPDATE and bumps it, so two transactions can never both win. A save also names
the version the user edited: if the row moved on since, it is a conflict, shown to
the user with both sides, and nothing is written.
"""
from contextlib import contextmanager

from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.orm.exc import StaleDataError

from .extensions import db


class Versioned:
    version: Mapped[int] = mapped_column(default=1, nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.__table__.c.version}


class Conflict(Exception):
    """The row changed since the user loaded it; `current` is the row as it is now."""

    def __init__(self, current, mine):
        super().__init__("stale version")
        self.current = current
        self.mine = mine


def check_version(obj, submitted_version, mine=None):
    """Raise Conflict when the user edited an older version than the stored one."""
    if submitted_version is None or int(submitted_version) != obj.version:
        raise Conflict(obj, mine or {})


@contextmanager
def stale_as_conflict(obj, mine=None):
    """Wrap the flush and commit of a change: if a concurrent writer got there first
    (SQLAlchemy's UPDATE … WHERE version = ? matched nothing), roll back and raise Conflict."""
    try:
        yield
    except StaleDataError:
        db.session.rollback()
        fresh = db.session.get(type(obj), obj.id, populate_existing=True)
        raise Conflict(fresh, mine or {}) from None
