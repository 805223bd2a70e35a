from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow


class Comment(db.Model):
    __table_args__ = (Index("ix_comment_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    scope: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int]
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author = relationship("User", lazy="joined")


class Notification(db.Model):
    __table_args__ = (Index("ix_notification_user_unread", "user_id", "read_at"),
                      Index("ix_notification_dedupe", "user_id", "kind", "object_type", "object_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(20))  # assigned | mentioned | status | overdue | report
    text: Mapped[str] = mapped_column(String(500), default="")  # rows before c12a00000002; now message + params
    message: Mapped[str | None] = mapped_column(String(300))  # msgid, see activity.labels
    params: Mapped[dict | None] = mapped_column(JSON)
    url: Mapped[str] = mapped_column(String(300), default="")
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[int | None]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    actor = relationship("User", foreign_keys=[actor_id])


class Presence(db.Model):
    """Who has a page open: refreshed by the page's live check, stale after a few seconds."""

    __table_args__ = (UniqueConstraint("user_id", "scope"), Index("ix_presence_scope_seen", "scope", "last_seen"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    scope: Mapped[str] = mapped_column(String(60))
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User", lazy="joined")


class Attachment(db.Model):
    """A file attached to a task, a visit…: kept by uploads.py outside static/."""

    __table_args__ = (Index("ix_attachment_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int]
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int]
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    uploaded_by = relationship("User")

    def __str__(self):
        return self.filename
