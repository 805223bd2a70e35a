"""Organisations, context profiles and partnerships."""
from flask_babel import gettext as _
from sqlalchemy import func, or_

from .. import policy, signals
from ..activity.labels import N_
from ..activity.services import diff, record
from ..extensions import db
from .models import ContextFactor, ContextValue, Organisation, Partnership

ORG_FIELDS = ("kind", "name", "short_name", "address", "director", "students",
              "is_low_results", "is_unfavourable", "is_archived")
ROW_FIELDS = ("short_name", "director", "is_low_results", "is_unfavourable")
PARTNERSHIP_FIELDS = ("school_id", "tutor_school_id", "curator_id", "start_year", "end_year",
                      "agreement_number", "agreement_date", "note", "is_active")
PARTNERSHIP_ROW_FIELDS = ("curator_id", "agreement_number", "agreement_date")


def search_organisations(text="", kind="", flag=""):
    query = policy.visible(Organisation)
    if text:
        like = f"%{text.strip().lower()}%"
        query = query.where(or_(func.lower(Organisation.name).like(like),
                                func.lower(Organisation.short_name).like(like)))
    if kind:
        query = query.where(Organisation.kind == kind)
    if flag == "low":
        query = query.where(Organisation.is_low_results.is_(True))
    elif flag == "unfavourable":
        query = query.where(Organisation.is_unfavourable.is_(True))
    return db.session.scalars(
        query.order_by(Organisation.is_archived, Organisation.kind.desc(), Organisation.short_name)).all()


def set_timezone(actor, municipality, zone):
    """The municipality's zone: every time is shown in it and "today" is its today. An event like
    every write, so cached pages key on the newest one and show times anew."""
    if zone == municipality.timezone:
        return False
    record(actor, municipality, "update", {"timezone": [municipality.timezone, zone]},
           message=N_("Часовой пояс: %(zone)s"), params={"zone": zone}, municipality_id=municipality.id)
    municipality.timezone = zone
    db.session.flush()
    return True


def organisations(municipality_id):
    """The municipality's organisations in use (a user's organisation is chosen among them)."""
    return db.session.scalars(
        db.select(Organisation).where(Organisation.municipality_id == municipality_id,
                                      Organisation.is_archived.is_(False))
        .order_by(Organisation.kind, Organisation.short_name)).all()


def schools(municipality_id, include_archived=False):
    query = db.select(Organisation).where(Organisation.municipality_id == municipality_id,
                                          Organisation.kind == "school")
    if not include_archived:
        query = query.where(Organisation.is_archived.is_(False))
    return db.session.scalars(query.order_by(Organisation.short_name)).all()


def curators(municipality_id):
    """Staff who may curate a partnership. Accounts sit above organisations (a user belongs to
    one), so the user model is reached through the curator relationship, not imported."""
    User = Partnership.curator.property.mapper.class_  # noqa: N806
    return db.session.scalars(
        db.select(User).where(User.municipality_id == municipality_id, User.role.in_(("curator", "admin")),
                              User.is_active_account.is_(True)).order_by(User.full_name)
    ).all()


def _context_values(org, year):
    return {v.factor_id: v for v in db.session.scalars(
        db.select(ContextValue).where(ContextValue.organisation_id == org.id, ContextValue.school_year == year))}


def context_profile(org, year):
    """[(factor, share or None, previous year's share or None)] for every factor of the
    municipality, in catalogue order, for the school year `year`."""
    factors = db.session.scalars(
        db.select(ContextFactor).where(ContextFactor.municipality_id == org.municipality_id)
        .order_by(ContextFactor.position)
    ).all()
    values = {k: v.share for k, v in _context_values(org, year).items()}
    previous = {k: v.share for k, v in _context_values(org, year - 1).items()}
    return [(f, values.get(f.id), previous.get(f.id)) for f in factors]


def save_context_profile(actor, org, shares, year):
    """shares: {factor_id: float or None} for the school year `year`; other years stay as they
    were. Recorded in the school's history."""
    existing = _context_values(org, year)
    before = {str(k): v.share for k, v in existing.items()}
    for factor_id, share in shares.items():
        row = existing.get(factor_id)
        if row is None:
            db.session.add(ContextValue(organisation_id=org.id, factor_id=factor_id, school_year=year, share=share))
        else:
            row.share = share
    after = {str(k): v for k, v in shares.items()}
    changes = diff(before, after)
    if changes:
        record(actor, org, "context", changes,
               message=N_("%(school)s: контекстный профиль, %(year)s/%(next_year)s уч. год"),
               params={"school": org.short_name, "year": year, "next_year": year + 1})
    db.session.flush()
    return changes


def tutor_school_error(tutor_school_id):
    """A ШНОР school is itself being supported: it cannot support another one."""
    tutor = db.session.get(Organisation, tutor_school_id) if tutor_school_id else None
    if tutor is not None and tutor.is_low_results:
        return _("%(school)s — школа с низкими результатами (ШНОР): она не может быть школой-тьютором.",
                 school=tutor.short_name)
    return None


def tutor_school_choices(municipality_id, exclude_id=None):
    """Schools that may be chosen as a tutor school: not ШНОР, not the supported school itself."""
    return [s for s in schools(municipality_id) if not s.is_low_results and s.id != exclude_id]


def partnership_years_error(partnership, start_year, end_year):
    """Changing a partnership's years must keep what was planned inside them (its programmes:
    programmes answer signals.partnership_years)."""
    if partnership is None or partnership.id is None:
        return None
    errors = signals.collect(signals.partnership_years, partnership, start_year=start_year, end_year=end_year)
    return errors[0] if errors else None


def partnerships_of(org):
    return db.session.scalars(
        policy.visible(Partnership).where(or_(Partnership.school_id == org.id, Partnership.tutor_school_id == org.id))
        .order_by(Partnership.start_year.desc())
    ).all()


def list_partnerships(text=""):
    query = policy.visible(Partnership).join(Partnership.school)
    if text:
        query = query.where(func.lower(Organisation.short_name).like(f"%{text.strip().lower()}%"))
    return db.session.scalars(query.order_by(Partnership.is_active.desc(), Organisation.short_name)).all()

