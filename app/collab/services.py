"""Comments, mentions, notifications, presence, and the change feed read from history."""
import functools
import re
from collections import namedtuple
from datetime import timedelta

from flask import current_app
from sqlalchemy import String, cast, func, update
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..accounts.sessions import active_user_id
from ..activity.labels import N_
from ..activity.models import ActivityEvent, ScopeRevision
from ..activity.services import record
from ..extensions import db
from ..timeutil import utcnow
from ..transaction import commit
from .models import Comment, Notification, Presence

MENTION = re.compile(r"@([\w.\-]+)", re.UNICODE)


# --- Notifications -----------------------------------------------------------------

def notify(users, kind, message, params=None, url="", obj=None, actor=None):
    """One notification per user, never to the actor themself. Part of the caller's transaction.
    `message` is a msgid marked with activity.labels.N_, `params` its values: the text is put
    together in the reader's language when shown (activity.labels.present)."""
    seen = set()
    for user in users:
        if user is None or user.id in seen or (actor is not None and user.id == actor.id) or not user.is_active:
            continue
        seen.add(user.id)
        db.session.add(Notification(
            municipality_id=user.municipality_id, user_id=user.id, kind=kind, message=message, params=params or {},
            url=url[:300],
            object_type=type(obj).__name__.lower() if obj is not None else "",
            object_id=getattr(obj, "id", None), actor_id=getattr(actor, "id", None)))


def notify_once(user, kind, message, params, url, obj):
    """For reminders (an overdue task): at most one notification per user, kind and object."""
    exists = db.session.scalar(db.select(Notification.id).where(
        Notification.user_id == user.id, Notification.kind == kind,
        Notification.object_type == type(obj).__name__.lower(), Notification.object_id == obj.id))
    if exists is None:
        notify([user], kind, message, params, url, obj)
        return True
    return False


def unread_count(user):
    return db.session.scalar(db.select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)))


def notifications_of(user, limit=100):
    return db.session.scalars(db.select(Notification).where(Notification.user_id == user.id)
                              .order_by(Notification.id.desc()).limit(limit)).all()


def mark_read(user, notification_id=None):
    """Part of the POST that asked for it (the request commits)."""
    query = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    db.session.execute(query.values(read_at=utcnow()))


# --- Comments and mentions --------------------------------------------------------

def mentioned_users(body, candidates):
    """Users named in the text as @login (e-mail before @) or @Фамилия, among the candidates."""
    names = {m.lower().rstrip(".") for m in MENTION.findall(body)}
    found = []
    for user in candidates:
        login = user.email.split("@")[0].lower()
        surname = user.full_name.split()[0].lower() if user.full_name else ""
        if login in names or surname in names:
            found.append(user)
    return found


def comments_of(obj):
    return db.session.scalars(db.select(Comment).where(
        Comment.object_type == type(obj).__name__.lower(), Comment.object_id == obj.id).order_by(Comment.id)).all()


def add_comment(actor, obj, body, scope, url, participants):
    comment = Comment(municipality_id=obj.municipality_id, scope=scope, object_type=type(obj).__name__.lower(),
                      object_id=obj.id, author_id=actor.id, body=body)
    db.session.add(comment)
    mentioned = mentioned_users(body, participants)
    notify(mentioned, "mentioned", N_("%(actor)s упоминает вас: «%(text)s»"),
           {"actor": actor.full_name, "text": body[:120]}, url, obj, actor)
    record(actor, obj, "comment", message=N_("Комментарий: %(text)s"), params={"text": body[:200]}, scope=scope)
    db.session.flush()
    return comment, mentioned


# --- Presence and the change feed ---------------------------------------------------

@functools.cache
def _state_statement(page):
    """Built once per kind; see live_state()."""
    scope = db.bindparam("scope")
    present = db.select(func.aggregate_strings(cast(Presence.user_id, String), ",")).where(
        Presence.scope == scope, Presence.last_seen >= db.bindparam("since")).scalar_subquery()
    mine = db.select(Presence.last_seen).where(
        Presence.scope == scope, Presence.user_id == active_user_id()).scalar_subquery()
    latest = db.select(ScopeRevision.revision).where(ScopeRevision.scope == scope).scalar_subquery()
    columns = [active_user_id().label("user_id"), latest.label("latest"), present.label("present"),
               mine.label("my_last_seen")]
    if page:
        columns.append(db.select(func.count()).select_from(Notification).where(
            Notification.user_id == active_user_id(), Notification.read_at.is_(None)
        ).scalar_subquery().label("unread"))
    return db.select(*columns)


def live_state(scope, session_token, page=False):
    """What an open page's "anything new?" check needs, in one statement and one round trip:
    the session's user id (None when the session is not valid), the scope's revision (one
    primary-key lookup), the presence key of who is here, and when this user was last marked
    present. With `page`, also the user's unread notifications (the page's ETag holds them)."""
    since = utcnow() - timedelta(seconds=current_app.config["PRESENCE_SECONDS"])
    row = db.session.connection().execute(_state_statement(page), {
        "scope": scope, "since": since, "session_token": session_token or ""}).one()
    if row.user_id is None:
        return None
    ids = {int(i) for i in (row.present or "").split(",") if i} | {row.user_id}
    return LiveState(row.user_id, row.latest or 0, "-".join(str(i) for i in sorted(ids)), row.my_last_seen,
                     (row.unread or 0) if page else None)


# `latest`: the scope's revision.
LiveState = namedtuple("LiveState", "user_id latest presence_key my_last_seen unread")


def touch_presence(user_id, scope, last_seen=None):
    """Mark the user present: a write at most every few seconds per user and page (the live
    check runs every second). `last_seen` (from live_state) spares the read. The one write a
    read (GET) makes, so it commits itself: call it last in a request, since the commit
    expires the objects loaded before it."""
    now = utcnow()
    fresh_enough = now - timedelta(seconds=max(1, current_app.config["PRESENCE_SECONDS"] // 3))
    if last_seen is not None and last_seen >= fresh_enough:
        return
    row = db.session.execute(db.select(Presence.id, Presence.last_seen).where(
        Presence.user_id == user_id, Presence.scope == scope)).first()
    if row is None:
        db.session.add(Presence(user_id=user_id, scope=scope, last_seen=now))
    elif row.last_seen < fresh_enough:
        db.session.execute(update(Presence).where(Presence.id == row.id).values(last_seen=now))
    else:
        return
    try:
        commit()
    except IntegrityError:  # the same user's other tab inserted it a moment ago
        db.session.rollback()


def present_users(state):
    """The users of a LiveState's presence key (me included), by name: exactly who the key
    says, so a page never shows other people than its key names."""
    ids = [int(i) for i in state.presence_key.split("-")]
    return db.session.scalars(db.select(User).where(User.id.in_(ids)).order_by(User.full_name)).all()


def events_since(scope, revision, limit=200):
    """The scope's changes a page that saw `revision` has not shown yet."""
    return db.session.scalars(db.select(ActivityEvent).where(ActivityEvent.scope == scope,
                                                             ActivityEvent.revision > revision)
                              .order_by(ActivityEvent.revision, ActivityEvent.id).limit(limit)).all()


def recent_events(scope, limit=15):
    return db.session.scalars(db.select(ActivityEvent).where(ActivityEvent.scope == scope)
                              .order_by(ActivityEvent.id.desc()).limit(limit)).all()
