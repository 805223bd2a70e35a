"""Recording history. Callers record inside their transaction, so a change and its
history commit or roll back together."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import event, inspect, text

from ..extensions import db
from .models import ActivityEvent

# Any fixed number: the one PostgreSQL advisory lock that orders writers (see below).
WRITERS_LOCK = 0x4F706F7261


@event.listens_for(db.session, "before_flush")
def _writers_in_commit_order(session, flush_context, instances):
    """PostgreSQL hands out event ids at INSERT, not at COMMIT: of two writers, the one with
    id 100 may commit after the one with 101, and a reader who saw 101 would never look for
    100 (the live feed asks for ids above the last it saw; cached pages key on the newest id).
    So every ORM write transaction takes one transaction-scoped lock at its first flush, before
    any row lock (so it cannot deadlock with them), and holds it to its commit: ids follow
    commit order. SQLite already lets one writer at a time; there this costs nothing.
    The rule that keeps it deadlock-free: DML run outside the ORM flush (`session.execute(
    update(...))`) does not take the lock, so it may only touch rows that no event-writing
    transaction waits for (presence, notifications, login attempts)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITERS_LOCK})


def _plain(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "id") and hasattr(value, "__table__"):
        return str(value)
    return value


def snapshot(obj, fields):
    return {name: _plain(getattr(obj, name)) for name in fields}


def diff(before, after):
    """Fields whose value changed, as {field: [before, after]}."""
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}


def record(actor, obj, action, changes=None, message=None, params=None, scope=None, municipality_id=None):
    """`message` is a msgid marked with labels.N_ and `params` its values (codes and ids as
    stored, put into words when shown). Without a message the entry reads «<type>: <name>»."""
    if message is None and params is None:
        params = {"name": str(obj)[:200]}
    event = ActivityEvent(
        municipality_id=municipality_id or obj.municipality_id,
        actor_id=getattr(actor, "id", None),
        object_type=inspect(obj).mapper.class_.__name__.lower(),
        object_id=obj.id,
        scope=scope,
        action=action,
        message=message,
        params=params or {},
        changes=changes or {},
    )
    db.session.add(event)
    return event


def history_of(obj, limit=100):
    object_type = inspect(obj).mapper.class_.__name__.lower()
    return db.session.scalars(
        db.select(ActivityEvent)
        .where(ActivityEvent.object_type == object_type, ActivityEvent.object_id == obj.id)
        .order_by(ActivityEvent.id.desc())
        .limit(limit)
    ).all()
