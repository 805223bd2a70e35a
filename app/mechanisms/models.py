"""Mechanisms, their criteria (with maximum points) and the yearly scores of the self-assessment."""
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..versioning import Versioned

MECHANISM_GROUPS = ("results", "activity")


class Mechanism(Versioned, db.Model):
    """One of the Rosobrnadzor mechanisms (e.g. the work with low-result schools), per municipality."""

    __table_args__ = (UniqueConstraint("municipality_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    group: Mapped[str] = mapped_column(String(20))  # results | activity
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(400))
    position: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)

    def __str__(self):
        return self.name


class MechanismCriterion(Versioned, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    mechanism_id: Mapped[int] = mapped_column(ForeignKey("mechanism.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    max_points: Mapped[int] = mapped_column(default=1)
    position: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)

    mechanism = relationship(Mechanism)

    def __str__(self):
        return self.text[:120]


class MechanismScore(Versioned, db.Model):
    """Points for one criterion in one self-assessment year (the school year starting in `year`)."""

    __table_args__ = (UniqueConstraint("criterion_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("mechanism_criterion.id"), index=True)
    year: Mapped[int] = mapped_column(index=True)
    points: Mapped[float | None]
    comment: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[str] = mapped_column(Text, default="")  # links or document names, one per line

    criterion = relationship(MechanismCriterion)

    def __str__(self):
        return f"{self.criterion.text[:80]} · {self.year}/{self.year + 1}"
