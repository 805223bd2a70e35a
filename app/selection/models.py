from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow
from ..versioning import Versioned

SCORING = ("binary", "per_sign")
RISK_LEVELS = ("low", "medium", "high")


class CardYear(Versioned, db.Model):
    """A municipality's diagnostic card for one school year (year = the year it starts)."""

    __table_args__ = (UniqueConstraint("municipality_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    year: Mapped[int]
    threshold: Mapped[float] = mapped_column(default=4.0)

    def __str__(self):
        return f"{self.year}/{self.year + 1}"


class CardCriterion(Versioned, db.Model):
    """A criterion that describes results from their negative side (seed 004)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    year: Mapped[int]
    position: Mapped[int] = mapped_column(default=0)
    code: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(String(500))
    scoring: Mapped[str] = mapped_column(String(20), default="binary")
    max_points: Mapped[int] = mapped_column(default=1)
    is_active: Mapped[bool] = mapped_column(default=True)

    def __str__(self):
        return self.text[:80]

    @property
    def short_name(self):
        """The criterion's name for a column header: its text up to the first colon or
        bracket («Результаты ОГЭ»). The code is for the system, never for people."""
        return self.text.split(":", 1)[0].split(" (", 1)[0].strip() or self.text

    @property
    def detail(self):
        """The text after its short name (what the criterion counts), for a legend that already
        shows the short name; the whole text when it has no separate short name."""
        rest = self.text[len(self.short_name):].lstrip(" :")
        return rest if self.text.startswith(self.short_name) else self.text


def column_names(crits):
    """Column headers of the card (grid, workbook, import template): short names, or the
    whole text where two short names would be the same column."""
    short = [c.short_name for c in crits]
    return [name if short.count(name) == 1 else c.text for name, c in zip(short, crits)]


class CardScore(Versioned, db.Model):
    __table_args__ = (UniqueConstraint("criterion_id", "school_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    criterion_id: Mapped[int] = mapped_column(ForeignKey("card_criterion.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    points: Mapped[float] = mapped_column(default=0)

    criterion = relationship(CardCriterion)

    def __str__(self):  # history shows it: the criterion's words, never its code
        return self.criterion.text[:120]


class ShnorDecision(db.Model):
    """The admin's recorded decision on a candidate school: who, when, why."""

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    year: Mapped[int]
    school_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    # confirmed | declined | exited. Leaving the list is one more decision on the same school and
    # year, with the same who / when / why, so it lives here, not in a model of its own: the
    # year's decisions on a school read as one history, and the year-over-year list reads one table.
    decision: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    total: Mapped[float]
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The date of the decision itself (the department's order), which may precede its entry.
    decision_date: Mapped[date | None]
    partnership_id: Mapped[int | None] = mapped_column(ForeignKey("partnership.id"))

    school = relationship("Organisation")
    decided_by = relationship("User")


class RiskFactor(db.Model):
    """A «500+» risk factor in the municipality's catalogue for a year."""

    __table_args__ = (UniqueConstraint("municipality_id", "year", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    year: Mapped[int]
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(default=0)

    def __str__(self):
        return self.name


class SchoolRisk(Versioned, db.Model):
    __table_args__ = (UniqueConstraint("school_id", "factor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    school_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    factor_id: Mapped[int] = mapped_column(ForeignKey("risk_factor.id"))
    level: Mapped[str] = mapped_column(String(10), default="low")
    is_actual: Mapped[bool] = mapped_column(default=False)
    measures: Mapped[str] = mapped_column(Text, default="")
    section_id: Mapped[int | None] = mapped_column(ForeignKey("section.id"))

    factor = relationship(RiskFactor, lazy="joined")

    def __str__(self):
        return self.factor.name


class CardImport(Versioned, db.Model):
    """One confirmed upload of card scores from a file: what it changed, cell by cell, so the
    import can be read and undone. `changes` holds [[score id, school id, criterion id, points
    before (None: the cell did not exist), points after, the cell's version after]]."""

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    year: Mapped[int]
    actor_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cells: Mapped[int] = mapped_column(default=0)
    schools: Mapped[int] = mapped_column(default=0)
    changes: Mapped[list] = mapped_column(JSON, default=list)
    undone_at: Mapped[datetime | None]
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    actor = relationship("User", foreign_keys=[actor_id])
    undone_by = relationship("User", foreign_keys=[undone_by_id])

    def __str__(self):
        return f"{self.year}/{self.year + 1}"
