"""Optimistic concurrency for every editable row.

Each versioned row carries `version`; SQLAlchemy adds `WHERE version = <loaded>` to
every UPDATE and bumps it, so two transactions can never both win. A save also names
the version the user edited: if the row moved on since, it is a conflict, shown to
the user with both sides, and nothing is written.
"""
import re
from contextlib import contextmanager

from flask_babel import gettext as _
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import BadRequest

from .extensions import db

# What a form's hidden version field holds: a whole number the integer column can store.
VERSION = re.compile(r"[0-9]{1,9}")


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


class MalformedForm(BadRequest):
    """A form field no page of Opora sends (a version «abc», «1e9999», empty): the form was
    damaged on the way. 400 with a message (errors.py shows `description`), nothing written."""

    opora_message = True

    def __init__(self, description=None):
        super().__init__(description or _("Форма пришла повреждённой (неверный номер версии записи). "
                                          "Обновите страницу и внесите правку заново."))


def parse_version(value):
    """The version a form names, as an int; None stays None (no version named: a stale form for
    an existing row, a first save for a cell). Anything else but a whole number is MalformedForm."""
    if value is None or isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str) or not VERSION.fullmatch(value):
        raise MalformedForm()
    return int(value)


def check_version(obj, submitted_version, mine=None):
    """Raise Conflict when the user edited an older version than the stored one (MalformedForm
    when the form's version is no number at all)."""
    submitted = parse_version(submitted_version)
    if submitted is None or submitted != obj.version:
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
