"""Teachers of a school. Personal data: visible to the school team, its curator, its tutor
school and the admin only (policy.py)."""
from datetime import datetime

from sqlalchemy import ForeignKey, String
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
