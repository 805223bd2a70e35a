from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow


class ScopeRevision(db.Model):
    """How many changing transactions a scope (a programme, a school's teachers…) has seen.
    Bumped in the transaction of every change recorded in the scope (activity.services), so its
    row lock puts the writers of one scope in commit order; writers of other scopes never wait.
    A reader who saw revision R has seen every change of revision R and below."""

    __tablename__ = "scope_revision"

    scope: Mapped[str] = mapped_column(String(60), primary_key=True)
    revision: Mapped[int] = mapped_column(default=0)


class ActivityEvent(db.Model):
    """One change to one object. `scope` groups events for a live feed (e.g. a programme);
    `revision` is the scope's revision of the transaction that recorded it."""

    __tablename__ = "activity_event"
    __table_args__ = (
        Index("ix_activity_event_object", "object_type", "object_id"),
        Index("ix_activity_event_scope", "scope", "id"),
        Index("ix_activity_event_scope_revision", "scope", "revision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int]
    scope: Mapped[str | None] = mapped_column(String(60))
    revision: Mapped[int | None]  # None for events without a scope (and rows before c14a00000001)
    action: Mapped[str] = mapped_column(String(20))
    # Rows before c12a00000002 kept Russian text here; new rows store message + params instead.
    summary: Mapped[str] = mapped_column(String(300), default="")
    message: Mapped[str | None] = mapped_column(String(300))  # msgid, see activity.labels
    params: Mapped[dict | None] = mapped_column(JSON)
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor = relationship("User", lazy="joined")
