"""Teachers of a school. Personal data: visible to the school team, its curator, its tutor
school and the admin only (policy.py)."""
from datetime import date, datetime

from sqlalchemy import Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow
from ..versioning import Versioned

CATEGORIES = ("высшая", "первая", "соответствие занимаемой должности", "без категории")


class Teacher(Versioned, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(200), default="учитель")
    subjects: Mapped[str] = mapped_column(String(300), default="")
    experience_years: Mapped[int | None]
    category: Mapped[str] = mapped_column(String(60), default="без категории")
    is_part_time: Mapped[bool] = mapped_column(default=False)
    is_archived: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    school = relationship("Organisation")

    def __str__(self):
        return self.full_name


DEFICIT_CATEGORIES = ("subject", "metasubject", "methodical", "psychological")
LEVELS = ("none", "partial", "significant")
METHODS = ("test", "lesson_observation", "self_assessment", "external")
STEP_KINDS = ("course", "mentoring", "seminar", "self_study", "open_lesson", "other")
STEP_STATUSES = ("planned", "in_progress", "done", "cancelled")

route_step_area = Table(
    "route_step_area", db.metadata,
    Column("step_id", ForeignKey("route_step.id", ondelete="CASCADE"), primary_key=True),
    Column("area_id", ForeignKey("deficit_area.id"), primary_key=True),
)


class DeficitArea(db.Model):
    """An area within a deficit category (seed 002), from the municipality's editable catalogue."""

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    category: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(400))
    position: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)

    def __str__(self):
        return self.name


class DiagnosticSession(Versioned, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    session_date: Mapped[date]
    method: Mapped[str] = mapped_column(String(30))
    conducted_by: Mapped[str] = mapped_column(String(300), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    school = relationship("Organisation")

    @property
    def scope(self):
        return f"diagnostics:{self.school_id}"

    def __str__(self):
        return f"{self.session_date.strftime('%d.%m.%Y')}"


class DeficitFinding(Versioned, db.Model):
    __table_args__ = (UniqueConstraint("session_id", "teacher_id", "area_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    session_id: Mapped[int] = mapped_column(ForeignKey("diagnostic_session.id", ondelete="CASCADE"), index=True)
    teacher_id: Mapped[int] = mapped_column(ForeignKey("teacher.id"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("deficit_area.id"))
    level: Mapped[str] = mapped_column(String(20), default="none")
    note: Mapped[str] = mapped_column(String(1000), default="")

    area = relationship(DeficitArea, lazy="joined")
    teacher = relationship(Teacher)
    session = relationship(DiagnosticSession)

    def __str__(self):
        return f"{self.area.name[:60]}: {self.level}"


class RouteStep(Versioned, db.Model):
    """A step of a teacher's individual route (ИОМ)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    teacher_id: Mapped[int] = mapped_column(ForeignKey("teacher.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(500))
    deadline: Mapped[date | None]
    provider: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(20), default="planned")
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    teacher = relationship(Teacher)
    areas = relationship(DeficitArea, secondary=route_step_area, order_by=DeficitArea.position)
    task = relationship("Task")

    def __str__(self):
        return self.title[:120]
