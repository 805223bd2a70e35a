from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow


class ActivityEvent(db.Model):
    """One change to one object. `scope` groups events for a live feed (e.g. a programme)."""

    __tablename__ = "activity_event"
    __table_args__ = (
        Index("ix_activity_event_object", "object_type", "object_id"),
        Index("ix_activity_event_scope", "scope", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int]
    scope: Mapped[str | None] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(20))
    # Rows before c12a00000002 kept Russian text here; new rows store message + params instead.
    summary: Mapped[str] = mapped_column(String(300), default="")
    message: Mapped[str | None] = mapped_column(String(300))  # msgid, see activity.labels
    params: Mapped[dict | None] = mapped_column(JSON)
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor = relationship("User", lazy="joined")
