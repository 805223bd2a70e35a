"""Recording history. Callers record inside their transaction, so a change and its
history commit or roll back together."""
import functools
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import bindparam, event, inspect, select
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from .models import ActivityEvent, ScopeRevision


@event.listens_for(db.session, "before_flush")
def _bump_scope_revisions(session, flush_context, instances):
    """Every change recorded in a scope bumps the scope's revision in the same transaction,
    before the flush writes anything: the revision row's lock is then the first lock the
    transaction takes on shared rows, and is held to its commit. So writers of one scope (a
    programme) commit one after another and their revisions follow commit order (the live feed
    asks for "revisions above the last I saw", the page's ETag keys on it), while writers of
    other scopes never wait for each other. Scopes are bumped in sorted order (no deadlock
    between two transactions that touch the same scopes in one flush).

    The rule that keeps it deadlock-free: a service records its event before (or in) the flush
    that first updates a row of the scope; DML run outside the ORM flush (`session.execute(
    update(...))`) bumps nothing, so it may only touch rows no event-writing transaction waits
    for (presence, notifications, login attempts)."""
    events = [obj for obj in session.new if isinstance(obj, ActivityEvent) and obj.scope and obj.revision is None]
    if not events:
        return
    connection = session.connection()
    revisions = {scope: connection.execute(_bump_statement(connection.dialect.name), {"scope": scope}).scalar_one()
                 for scope in sorted({e.scope for e in events})}
    for e in events:
        e.revision = revisions[e.scope]


@functools.cache
def _bump_statement(dialect):
    """INSERT … ON CONFLICT (scope) DO UPDATE SET revision = revision + 1 RETURNING revision."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(ScopeRevision).values(scope=bindparam("scope"), revision=1)
    return statement.on_conflict_do_update(
        index_elements=[ScopeRevision.scope], set_={"revision": ScopeRevision.revision + 1}
    ).returning(ScopeRevision.revision)


def revision_of(scope):
    """The scope's current revision (0 before its first change): one primary-key lookup."""
    return db.session.scalar(select(ScopeRevision.revision).where(ScopeRevision.scope == scope)) or 0


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
