"""Signing in, throttling and managing users. Each function commits its own change."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, or_

from ..activity.labels import N_
from ..activity.services import record
from ..extensions import db
from ..timeutil import utcnow
from .models import LoginAttempt, User


def is_throttled(email, ip):
    """Too many failures for this address (or from this IP) within the window."""
    cfg = current_app.config
    since = utcnow() - timedelta(minutes=cfg["LOGIN_WINDOW_MINUTES"])
    by_email = db.session.scalar(
        db.select(func.count()).select_from(LoginAttempt).where(LoginAttempt.email == email, LoginAttempt.created_at >= since)
    )
    by_ip = db.session.scalar(
        db.select(func.count()).select_from(LoginAttempt).where(LoginAttempt.ip == ip, LoginAttempt.created_at >= since)
    )
    return by_email >= cfg["LOGIN_MAX_FAILURES"] or by_ip >= cfg["LOGIN_MAX_FAILURES"] * 4


def authenticate(email, password, ip):
    """The user for these credentials, or None (and the failure is counted)."""
    email = (email or "").strip().lower()
    user = db.session.scalar(db.select(User).where(func.lower(User.email) == email))
    if user is not None and user.is_active and user.check_password(password):
        db.session.execute(delete(LoginAttempt).where(LoginAttempt.email == email))
        user.last_login_at = utcnow()
        db.session.commit()
        return user
    db.session.add(LoginAttempt(email=email[:254], ip=(ip or "")[:64]))
    db.session.commit()
    return None


def logout(user):
    user.rotate_session()
    db.session.commit()


def change_password(user, new_password):
    user.set_password(new_password)
    record(user, user, "password", message=N_("Пароль изменён"))
    db.session.flush()


def search_users(municipality_id, text="", role=""):
    query = db.select(User).where(User.municipality_id == municipality_id)
    if text:
        like = f"%{text.strip().lower()}%"
        query = query.where(or_(func.lower(User.full_name).like(like), func.lower(User.email).like(like)))
    if role:
        query = query.where(User.role == role)
    return db.session.scalars(query.order_by(User.is_active_account.desc(), User.full_name)).all()


USER_FIELDS = ("email", "full_name", "position", "role", "organisation_id")


def save_user(actor, user, data):
    """Create or update a user from form data; history records what changed."""
    from ..activity.services import diff, snapshot

    creating = user.id is None
    before = {} if creating else snapshot(user, USER_FIELDS)
    for field in USER_FIELDS:
        value = data[field]
        setattr(user, field, value.strip().lower() if field == "email" else value)
    if creating:
        user.municipality_id = actor.municipality_id
        user.set_password(data["password"])
        db.session.add(user)
    db.session.flush()
    record(actor, user, "create" if creating else "update", diff(before, snapshot(user, USER_FIELDS)))
    return user


def email_taken(email, except_id=None):
    query = db.select(User.id).where(func.lower(User.email) == email.strip().lower())
    if except_id:
        query = query.where(User.id != except_id)
    return db.session.scalar(query) is not None


def set_active(actor, user, active):
    user.is_active_account = active
    if not active:
        user.rotate_session()
    record(actor, user, "activate" if active else "deactivate", {"is_active": [not active, active]})
    db.session.flush()


def reset_password(actor, user, password):
    user.set_password(password)
    record(actor, user, "reset_password")
    db.session.flush()


def admin_actions(municipality_id, object_type="", limit=300):
    from ..activity.models import ActivityEvent

    query = db.select(ActivityEvent).join(User, User.id == ActivityEvent.actor_id).where(
        ActivityEvent.municipality_id == municipality_id, User.role == "admin")
    if object_type:
        query = query.where(ActivityEvent.object_type == object_type)
    return db.session.scalars(query.order_by(ActivityEvent.id.desc()).limit(limit)).all()
