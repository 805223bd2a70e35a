"""Two-year improvement programmes: passport, sections, tasks, indicators, periods, reports."""
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow
from ..versioning import Versioned

PROGRAMME_STATUSES = ("draft", "on_approval", "approved", "in_progress", "completed", "closed")
TASK_STATUSES = ("planned", "in_progress", "done", "cancelled")
DIRECTIONS = ("higher", "lower")
SOURCES = ("ВПР", "ОГЭ", "ЕГЭ", "КДР", "внутренний мониторинг", "ЦНППМ", "другое")
REPORT_STATUSES = ("draft", "submitted", "returned", "accepted")


class Programme(Versioned, db.Model):
    __table_args__ = (UniqueConstraint("partnership_id", "start_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnership.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    start_year: Mapped[int]
    end_year: Mapped[int]
    name: Mapped[str] = mapped_column(String(300))
    main_idea: Mapped[str] = mapped_column(Text, default="")
    risks: Mapped[str] = mapped_column(Text, default="")
    resources: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    status_changed_at: Mapped[datetime | None]
    status_changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    partnership = relationship("Partnership")
    school = relationship("Organisation")
    status_changed_by = relationship("User")

    @property
    def scope(self):
        return f"programme:{self.id}"

    @property
    def years_label(self):
        return f"{self.start_year}/{self.start_year + 1}–{self.end_year - 1}/{self.end_year}"

    def __str__(self):
        return self.name


class _ProgrammePart:
    """Rows that belong to a programme; their municipality is copied for the policy's tenant check."""

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id"), index=True)


class Goal(_ProgrammePart, Versioned, db.Model):
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(Text)
    justification: Mapped[str] = mapped_column(Text, default="")
    realism: Mapped[str] = mapped_column(Text, default="")

    def __str__(self):
        return self.text[:80]


class Section(_ProgrammePart, Versioned, db.Model):
    code: Mapped[str] = mapped_column(String(40), default="")
    title: Mapped[str] = mapped_column(String(400))
    position: Mapped[int] = mapped_column(default=0)
    is_mandatory: Mapped[bool] = mapped_column(default=False)

    def __str__(self):
        return self.title


class Task(_ProgrammePart, Versioned, db.Model):
    __table_args__ = (Index("ix_task_programme_section_position", "programme_id", "section_id", "position"),)

    section_id: Mapped[int] = mapped_column(ForeignKey("section.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(Text)
    due_date: Mapped[date | None]
    expected_result: Mapped[str] = mapped_column(Text, default="")
    responsible: Mapped[str] = mapped_column(String(300), default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="planned")
    evidence: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]

    section = relationship(Section)
    owner = relationship("User")
    programme = relationship(Programme)

    def is_overdue(self, today):
        return self.status in ("planned", "in_progress") and self.due_date is not None and self.due_date < today

    def __str__(self):
        return self.title[:120]


class Indicator(_ProgrammePart, Versioned, db.Model):
    position: Mapped[int] = mapped_column(default=0)
    # An antirisk section can carry its own indicators; most indicators belong to the whole programme.
    section_id: Mapped[int | None] = mapped_column(ForeignKey("section.id"))
    name: Mapped[str] = mapped_column(String(400))
    unit: Mapped[str] = mapped_column(String(30), default="%")
    direction: Mapped[str] = mapped_column(String(10), default="higher")
    source: Mapped[str] = mapped_column(String(40), default="внутренний мониторинг")
    baseline: Mapped[float | None]
    baseline_date: Mapped[date | None]

    def __str__(self):
        return self.name


class ReportingPeriod(_ProgrammePart, db.Model):
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(60))
    deadline: Mapped[date]

    def __str__(self):
        return self.title


class IndicatorValue(Versioned, db.Model):
    __table_args__ = (UniqueConstraint("indicator_id", "period_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id"), index=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"), index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("reporting_period.id"))
    target: Mapped[float | None]
    actual: Mapped[float | None]

    indicator = relationship(Indicator)
    period = relationship(ReportingPeriod)

    def __str__(self):
        return f"{self.indicator.name[:60]} · {self.period.title}"


class PeriodReport(_ProgrammePart, Versioned, db.Model):
    __table_args__ = (UniqueConstraint("programme_id", "period_id"),)

    period_id: Mapped[int] = mapped_column(ForeignKey("reporting_period.id"))
    narrative: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    snapshot: Mapped[dict] = mapped_column(JSON, default=dict)
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    feedback: Mapped[str] = mapped_column(Text, default="")
    feedback_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    accepted_at: Mapped[datetime | None]

    period = relationship(ReportingPeriod)
    programme = relationship(Programme)
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    feedback_by = relationship("User", foreign_keys=[feedback_by_id])

    @property
    def is_locked(self):
        return self.status == "accepted"

    def __str__(self):
        return f"Отчёт: {self.period.title}"
