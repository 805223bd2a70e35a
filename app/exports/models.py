from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


class ExportJob(db.Model):
    """A long export runs beside the request; its state is in the database, so any app
    process can report its progress and serve the file to its owner."""

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued | running | done | failed | interrupted
    progress: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(String(300), default="")
    filename: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The heartbeat: touched by every progress step and, while the job runs, every few seconds
    # by its process (services.Heartbeat). A job that stopped beating died with its worker.
    updated_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    def is_interrupted(self, now, seconds):
        """Queued or running, but silent for longer than `seconds`: its thread or process is gone."""
        beat = self.updated_at or self.created_at
        return self.status in ("queued", "running") and (now - beat).total_seconds() > seconds

    def shown_status(self, now, seconds):
        """The status as readers see it: an interrupted job is decided when read (a GET writes
        nothing); a write path (services.sweep_interrupted) records it."""
        return "interrupted" if self.is_interrupted(now, seconds) else self.status
