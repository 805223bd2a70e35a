import functools
import hashlib
import secrets
from datetime import datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..timeutil import utcnow
from ..versioning import Versioned

ROLES = ("admin", "curator", "tutor", "school", "observer")


class User(UserMixin, Versioned, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    # None: no password yet (an imported account, or one created without): it can only sign in
    # after setting one through a one-time link (SetupLink).
    password_hash: Mapped[str | None] = mapped_column(String(256))
    # A temporary password handed out by an administrator: the first thing to do is change it.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Rotated at logout and password change: every older session cookie stops working.
    session_token: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_hex(16), index=True)
    is_active_account: Mapped[bool] = mapped_column("is_active", default=True)
    locale: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    municipality = relationship("Municipality")
    organisation = relationship("Organisation")

    @property
    def is_active(self):
        return self.is_active_account

    def get_id(self):
        return self.session_token

    def set_password(self, password):
        # The method is configurable so tests can hash fast; production keeps the strong default.
        self.password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])
        self.rotate_session()

    @property
    def has_password(self):
        return bool(self.password_hash)

    def check_password(self, password):
        return password_matches(self, password)

    def rotate_session(self):
        self.session_token = secrets.token_hex(16)

    def __str__(self):
        return self.full_name


def password_matches(user, password):
    """Whether `password` is the user's. Always spends exactly one hash check, also for no user
    (an unknown e-mail) or a user without a password, against a dummy hash of the configured
    method: the time an answer takes does not tell which e-mails have accounts."""
    stored = user.password_hash if user is not None and user.password_hash else None
    matches = check_password_hash(stored or dummy_hash(), password)
    return matches and stored is not None


def dummy_hash():
    """A hash of a random password by the configured method: checking a password against it
    costs what checking a real one costs (an unknown e-mail, an account without a password),
    so response times do not tell which e-mails have accounts."""
    return _dummy_hash_for(current_app.config["PASSWORD_HASH_METHOD"])


@functools.cache
def _dummy_hash_for(method):
    return generate_password_hash(secrets.token_hex(16), method=method)


class LoginAttempt(db.Model):
    """Login attempts of an (e-mail, address) pair, kept in the database so throttling holds
    across processes and hosts. A row is written before the password is checked (so parallel
    attempts see each other) and stays if the attempt failed; a success removes the pair's rows."""

    __table_args__ = (Index("ix_login_attempt_pair_time", "email", "ip", "created_at"),
                      Index("ix_login_attempt_ip_time", "ip", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def token_digest(token):
    """Setup links are random (256 bits), so a plain SHA-256 is enough to store them unusable."""
    return hashlib.sha256(token.encode()).hexdigest()


class SetupLink(db.Model):
    """A one-time link by which a person sets their own password (an imported account, or a
    new password instead of one handed out). Only the token's digest is stored."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    user = relationship("User", foreign_keys=[user_id])
