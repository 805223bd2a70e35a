"""Municipalities (tenants), organisations, their context profile and partnerships."""
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow
from ..versioning import Versioned

ORG_KINDS = ("department", "method_centre", "school")


class Municipality(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(200), default="")
    # Supported schools without a visit for longer than this are flagged on the visits page.
    visit_coverage_weeks: Mapped[int] = mapped_column(default=6, server_default="6")
    # Schools whose index of unfavourable context reaches this are suggested as ШНСУ;
    # None: automatic, derived from the municipality's own distribution (selection.services).
    context_index_threshold: Mapped[float | None]
    # IANA zone: every date and time is shown in it, and "today" is its today.
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Krasnoyarsk",
                                          server_default="Asia/Krasnoyarsk")

    @property
    def municipality_id(self):
        return self.id

    def __str__(self):
        return self.name


class Organisation(Versioned, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(300))
    short_name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(300), default="")
    director: Mapped[str] = mapped_column(String(200), default="")
    students: Mapped[int | None]
    is_low_results: Mapped[bool] = mapped_column(default=False)
    is_unfavourable: Mapped[bool] = mapped_column(default=False)
    is_archived: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    municipality = relationship(Municipality)

    @property
    def is_school(self):
        return self.kind == "school"

    def __str__(self):
        return self.short_name


class ContextFactor(db.Model):
    """A social factor of seed 002, appendix 1, and the direction of its influence."""

    __table_args__ = (UniqueConstraint("municipality_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(300))
    direction: Mapped[str] = mapped_column(String(10))  # "negative" | "positive"
    position: Mapped[int] = mapped_column(default=0)


class ContextValue(db.Model):
    """A school's share (percent) for one context factor in one school year: families change,
    and last year's index must stay what it was when this year's data come in."""

    __table_args__ = (UniqueConstraint("organisation_id", "factor_id", "school_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    factor_id: Mapped[int] = mapped_column(ForeignKey("context_factor.id"))
    school_year: Mapped[int]  # named by the year it starts, as timeutil.school_year()
    share: Mapped[float | None]

    factor = relationship(ContextFactor, lazy="joined")


class Partnership(Versioned, db.Model):
    """Сопровождение: a supported school, its tutor school and curator, for academic years."""

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    tutor_school_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    curator_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    start_year: Mapped[int]
    end_year: Mapped[int]
    agreement_number: Mapped[str] = mapped_column(String(60), default="")
    agreement_date: Mapped[date | None]
    note: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    # Set when the school leaves the ШНОР list (selection.services.exit_shnor): why and when
    # the support ended, as opposed to a partnership merely switched off.
    ended_on: Mapped[date | None]
    ended_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    school = relationship(Organisation, foreign_keys=[school_id])
    tutor_school = relationship(Organisation, foreign_keys=[tutor_school_id])
    curator = relationship("User", foreign_keys=[curator_id])

    def __str__(self):  # history names a partnership by its school
        return self.school.short_name if self.school is not None else ""

    @property
    def years_label(self):
        return f"{self.start_year}/{self.start_year + 1}–{self.end_year - 1}/{self.end_year}"
