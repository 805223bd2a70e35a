from datetime import date, datetime

from sqlalchemy import JSON, Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow
from ..versioning import Versioned

VISIT_STATUSES = ("planned", "draft", "submitted")  # planned: scheduled, not held yet; draft: held, being written up
RECOMMENDATION_STATUSES = ("open", "in_work", "done", "rejected")

visit_user = Table(
    "visit_user", db.metadata,
    Column("visit_id", ForeignKey("visit.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user.id"), primary_key=True),
)
visit_organisation = Table(
    "visit_organisation", db.metadata,
    Column("visit_id", ForeignKey("visit.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisation.id"), primary_key=True),
)
event_school = Table(
    "event_school", db.metadata,
    Column("event_id", ForeignKey("event.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisation.id"), primary_key=True),
)


class ObservationCriterion(db.Model):
    """One line of the municipality's lesson-observation checklist (editable by the admin)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(String(300))
    is_active: Mapped[bool] = mapped_column(default=True)

    def __str__(self):
        return self.text


class Visit(Versioned, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnership.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    visit_date: Mapped[date] = mapped_column(index=True)
    format: Mapped[str] = mapped_column(String(40))
    purpose: Mapped[str] = mapped_column(Text, default="")
    findings: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    submitted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    partnership = relationship("Partnership")
    school = relationship("Organisation", foreign_keys=[school_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    people = relationship("User", secondary=visit_user, order_by="User.full_name")
    organisations = relationship("Organisation", secondary=visit_organisation, order_by="Organisation.short_name")

    @property
    def scope(self):
        return f"visit:{self.id}"

    def __str__(self):
        return f"{self.school.short_name}, {self.visit_date.strftime('%d.%m.%Y')}"


class LessonObservation(Versioned, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    teacher_id: Mapped[int | None] = mapped_column(ForeignKey("teacher.id"))
    subject: Mapped[str] = mapped_column(String(120), default="")
    grade: Mapped[str] = mapped_column(String(20), default="")
    topic: Mapped[str] = mapped_column(String(400), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    ratings: Mapped[dict] = mapped_column(JSON, default=dict)  # {criterion id: 0..3}

    visit = relationship(Visit)
    teacher = relationship("Teacher")

    def __str__(self):
        return f"{self.subject}, {self.grade}"


class Recommendation(Versioned, db.Model):
    """Адресная рекомендация: from a visit (or written directly for a school)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    partnership_id: Mapped[int] = mapped_column(ForeignKey("partnership.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(300), default="")
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    deadline: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(20), default="open")
    reason: Mapped[str] = mapped_column(Text, default="")  # why not accepted
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"), index=True)
    checked_at_visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    visit = relationship(Visit, foreign_keys=[visit_id])
    school = relationship("Organisation")
    partnership = relationship("Partnership")
    owner_user = relationship("User")
    task = relationship("Task")

    @property
    def is_open(self):
        return self.status in ("open", "in_work")

    def is_overdue(self, today):
        return self.is_open and self.deadline is not None and self.deadline < today

    def __str__(self):
        return self.text[:120]


class Event(Versioned, db.Model):
    """Мероприятие for supported schools: dialogue platform, round table, seminar…"""

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    title: Mapped[str] = mapped_column(String(400))
    format: Mapped[str] = mapped_column(String(40))
    host_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    event_date: Mapped[date] = mapped_column(index=True)
    topic: Mapped[str] = mapped_column(Text, default="")
    materials: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    host = relationship("Organisation", foreign_keys=[host_id])
    schools = relationship("Organisation", secondary=event_school, order_by="Organisation.short_name")

    @property
    def scope(self):
        return f"event:{self.id}"

    def __str__(self):
        return self.title
