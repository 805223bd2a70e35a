"""Signing in, throttling, one-time setup links and managing users.

A login attempt is committed on its own (`transaction.commit()`) before the password is checked:
a refused login answers 4xx, whose request rolls back, and the attempt must count all the same.
Everything else flushes and leaves the commit to the request.
"""
import math
import secrets
from collections import namedtuple
from datetime import timedelta

from flask import current_app, url_for
from sqlalchemy import delete, distinct, func, or_, update
from sqlalchemy.orm.attributes import set_committed_value

from .. import transaction
from ..activity.labels import N_
from ..activity.services import record
from ..extensions import db
from ..timeutil import utcnow
from .models import LoginAttempt, SetupLink, User, password_matches, token_digest

# --- Signing in and throttling ---------------------------------------------------------

LoginResult = namedtuple("LoginResult", "user wait")  # wait: seconds to wait before trying again


def _delay(count, free, cap):
    """Seconds the next attempt waits after `count` failures when `free` of them cost nothing:
    2, 4, 8 … seconds, never more than `cap`. A delay, never a lockout."""
    if count < free:
        return 0
    return min(cap, 2 ** min(count - free + 1, 30))


def throttle_wait(email, ip, now=None, before_id=None):
    """Seconds the (e-mail, address) pair must still wait before its next attempt; 0: go ahead.

    Failures count for the pair together, so an attacker's failures never hold up the owner
    signing in from another address, and colleagues behind one office address do not hold
    each other up. An address whose failures name many e-mails (spraying) waits too, briefly.
    `before_id` counts only the attempts recorded before that one (attempts made in parallel)."""
    cfg = current_app.config
    now = now or utcnow()
    pair = db.select(func.count(), func.max(LoginAttempt.created_at)).where(
        LoginAttempt.email == email, LoginAttempt.ip == ip,
        LoginAttempt.created_at >= now - timedelta(minutes=cfg["LOGIN_WINDOW_MINUTES"]))
    spray = db.select(func.count(distinct(LoginAttempt.email)), func.max(LoginAttempt.created_at)).where(
        LoginAttempt.ip == ip, LoginAttempt.created_at >= now - timedelta(minutes=cfg["LOGIN_IP_WINDOW_MINUTES"]))
    if before_id is not None:
        pair, spray = pair.where(LoginAttempt.id < before_id), spray.where(LoginAttempt.id < before_id)
    wait = 0.0
    for query, free, cap in ((pair, cfg["LOGIN_MAX_FAILURES"], cfg["LOGIN_MAX_DELAY_SECONDS"]),
                             (spray, cfg["LOGIN_IP_MAX_ACCOUNTS"], cfg["LOGIN_IP_MAX_DELAY_SECONDS"])):
        count, last = db.session.execute(query).one()
        delay = _delay(count, free, cap)
        if delay and last is not None:
            wait = max(wait, delay - (now - last).total_seconds())
    return math.ceil(wait) if wait > 0 else 0


def attempt_login(email, password, ip):
    """One login attempt: LoginResult(user, 0) when it succeeds, (None, 0) when refused,
    (None, seconds) while the pair must wait (the password is then not even checked).

    The attempt is recorded (and committed) before the password is checked, so attempts sent
    in parallel see each other and a burst gets no more tries than a sequence. Unknown e-mails,
    accounts without a password and disabled ones cost one password check like the others:
    the answer's timing says nothing about which e-mails have accounts."""
    email = (email or "").strip().lower()[:254]
    ip = (ip or "")[:64]
    wait = throttle_wait(email, ip)
    if wait:
        return LoginResult(None, wait)
    now = utcnow()
    prune_attempts()
    attempt = LoginAttempt(email=email, ip=ip, created_at=now)
    db.session.add(attempt)
    db.session.flush()
    attempt_id = attempt.id
    # Durable before the password is checked: a refused login's request rolls back, and
    # parallel attempts must see this one.
    transaction.commit()
    wait = throttle_wait(email, ip, now, before_id=attempt_id)
    if wait:  # a parallel attempt of the same pair got in first: this one is withdrawn
        db.session.execute(delete(LoginAttempt).where(LoginAttempt.id == attempt_id))
        transaction.commit()  # the answer is a 429, whose request rolls back
        return LoginResult(None, wait)
    user = db.session.scalar(db.select(User).where(func.lower(User.email) == email))
    if password_matches(user, password) and user.is_active:
        # Signed in: the request (a redirect) commits these with the session's start.
        db.session.execute(delete(LoginAttempt).where(LoginAttempt.email == email, LoginAttempt.ip == ip))
        _touch_last_login(user)
        return LoginResult(user, 0)
    return LoginResult(None, 0)  # the attempt is already committed; the 401 rolls back nothing else


def _touch_last_login(user):
    """A plain UPDATE that neither checks nor bumps the row's version: two logins at once (a
    double-clicked form, two tabs) never conflict with each other or with an edit of the user."""
    now = utcnow()
    db.session.execute(update(User.__table__).where(User.__table__.c.id == user.id).values(last_login_at=now))
    set_committed_value(user, "last_login_at", now)


def prune_attempts():
    """Attempts older than every window no longer count: remove them."""
    cfg = current_app.config
    minutes = max(cfg["LOGIN_WINDOW_MINUTES"], cfg["LOGIN_IP_WINDOW_MINUTES"])
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.created_at < utcnow() - timedelta(minutes=minutes)))


def logout(user):
    """Sessions signed in elsewhere with the old token end too (the POST's request commits)."""
    user.rotate_session()
    db.session.flush()


def change_password(user, new_password):
    was_temporary = user.must_change_password
    user.set_password(new_password)
    user.must_change_password = False
    changes = {"must_change_password": [True, False]} if was_temporary else {}
    record(user, user, "password", changes, message=N_("Пароль изменён"))
    db.session.flush()


# --- One-time links to set a password --------------------------------------------------

IssuedLink = namedtuple("IssuedLink", "user url expires_at")


def issue_setup_link(actor, user):
    """A fresh one-time link for `user` to set their own password (valid SETUP_LINK_DAYS days);
    the user's older unused links stop working. Only the token's digest is stored, so the link
    can be shown (or, later, e-mailed) only now: this is the one place that makes links."""
    now = utcnow()
    db.session.execute(delete(SetupLink).where(SetupLink.user_id == user.id, SetupLink.used_at.is_(None)))
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(days=current_app.config["SETUP_LINK_DAYS"])
    db.session.add(SetupLink(user_id=user.id, token_hash=token_digest(token), created_at=now, expires_at=expires_at,
                             created_by_id=getattr(actor, "id", None)))
    record(actor, user, "setup_link", message=N_("Выдана ссылка для входа, действует до %(link_expires_at)s"),
           params={"link_expires_at": expires_at.isoformat()})
    db.session.flush()
    return IssuedLink(user, url_for("accounts.setup", token=token, _external=True), expires_at)


class LinkRefused(Exception):
    """The link cannot be used: `message` says why, in words, `status` is the answer's code."""

    def __init__(self, message, status):
        super().__init__(message)
        self.message, self.status = message, status


def setup_link(token):
    """The usable link for this token, or LinkRefused saying why not."""
    from flask_babel import gettext as _

    link = db.session.scalar(db.select(SetupLink).where(SetupLink.token_hash == token_digest(token or "")))
    if link is None:
        raise LinkRefused(_("Ссылка недействительна: её заменили новой или адрес скопирован не полностью. "
                            "Попросите администратора выдать новую ссылку."), 404)
    if link.used_at is not None:
        raise LinkRefused(_("Эта ссылка уже использована. Войдите со своим паролем; если вы его не помните, "
                            "попросите администратора выдать новую ссылку."), 410)
    if link.expires_at <= utcnow():
        raise LinkRefused(_("Срок действия ссылки истёк. Попросите администратора выдать новую ссылку."), 410)
    if not link.user.is_active:
        raise LinkRefused(_("Учётная запись отключена. Обратитесь к администратору."), 403)
    return link


def use_setup_link(link, password):
    """Set the password by the link, once: of two submissions at the same moment only one wins
    (the link is marked used by a conditional UPDATE). The user's sessions elsewhere end."""
    from flask_babel import gettext as _

    now = utcnow()
    claimed = db.session.execute(update(SetupLink).where(
        SetupLink.id == link.id, SetupLink.used_at.is_(None), SetupLink.expires_at > now).values(used_at=now)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        raise LinkRefused(_("Эта ссылка уже использована. Войдите со своим паролем; если вы его не помните, "
                            "попросите администратора выдать новую ссылку."), 410)
    user = link.user
    before = user.must_change_password
    user.set_password(password)  # rotates the session token
    user.must_change_password = False
    record(user, user, "setup_password", {"must_change_password": [True, False]} if before else {},
           message=N_("Пароль задан по ссылке для входа"))
    db.session.flush()
    return user


def pending_link(user):
    """The user's unused, unexpired link (to say on their page until when it works), or None."""
    return db.session.scalar(db.select(SetupLink).where(
        SetupLink.user_id == user.id, SetupLink.used_at.is_(None), SetupLink.expires_at > utcnow())
        .order_by(SetupLink.id.desc()).limit(1))


def search_users(municipality_id, text="", role=""):
    query = db.select(User).where(User.municipality_id == municipality_id)
    if text:
        like = f"%{text.strip().lower()}%"
        query = query.where(or_(func.lower(User.full_name).like(like), func.lower(User.email).like(like)))
    if role:
        query = query.where(User.role == role)
    return db.session.scalars(query.order_by(User.is_active_account.desc(), User.full_name)).all()


USER_FIELDS = ("email", "full_name", "position", "role", "organisation_id")
SCHOOL_ROLES = ("school", "tutor")  # a school's team and its tutors belong to that school


def organisation_choices(municipality_id):
    """[(id, name)] for the user form's organisation list; 0 is «none»."""
    from ..orgs.services import organisations

    return [(0, "—")] + [(o.id, o.short_name) for o in organisations(municipality_id)]


def organisation_error(role, organisation_id):
    """Why `organisation_id` does not fit `role`, or None."""
    from flask_babel import gettext as _

    from ..orgs.models import Organisation

    if role not in SCHOOL_ROLES:
        return None
    org = db.session.get(Organisation, organisation_id) if organisation_id else None
    if org is None or not org.is_school:
        return _("Для этой роли выберите школу.")
    return None


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
        if data.get("password"):
            # A password the administrator hands out is temporary: changed at the first login.
            user.set_password(data["password"])
            user.must_change_password = True
        db.session.add(user)
    db.session.flush()
    changes = diff(before, snapshot(user, USER_FIELDS))
    if creating and user.must_change_password:
        changes["must_change_password"] = [None, True]
    record(actor, user, "create" if creating else "update", changes)
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
    """A temporary password from the administrator: the user must change it at the next login."""
    before = user.must_change_password
    user.set_password(password)
    user.must_change_password = True
    record(actor, user, "reset_password", {"must_change_password": [before, True]} if not before else {})
    db.session.flush()


def admin_actions(municipality_id, object_type="", limit=300):
    from ..activity.models import ActivityEvent

    query = db.select(ActivityEvent).join(User, User.id == ActivityEvent.actor_id).where(
        ActivityEvent.municipality_id == municipality_id, User.role == "admin")
    if object_type:
        query = query.where(ActivityEvent.object_type == object_type)
    return db.session.scalars(query.order_by(ActivityEvent.id.desc()).limit(limit)).all()
