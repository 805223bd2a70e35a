import secrets
from datetime import datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String
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
    password_hash: Mapped[str] = mapped_column(String(256))
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

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    def rotate_session(self):
        self.session_token = secrets.token_hex(16)

    def __str__(self):
        return self.full_name


class LoginAttempt(db.Model):
    """Failed logins, kept in the database so throttling holds across processes and hosts."""

    __table_args__ = (Index("ix_login_attempt_email_time", "email", "created_at"),
                      Index("ix_login_attempt_ip_time", "ip", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
