"""Organisations, context profiles and partnerships."""
from sqlalchemy import func, or_

from .. import policy
from ..accounts.models import User
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
    query = policy.visible_organisations()
    if text:
        like = f"%{text.strip().lower()}%"
        query = query.where(or_(func.lower(Organisation.name).like(like), func.lower(Organisation.short_name).like(like)))
    if kind:
        query = query.where(Organisation.kind == kind)
    if flag == "low":
        query = query.where(Organisation.is_low_results.is_(True))
    elif flag == "unfavourable":
        query = query.where(Organisation.is_unfavourable.is_(True))
    return db.session.scalars(query.order_by(Organisation.is_archived, Organisation.kind.desc(), Organisation.short_name)).all()


def schools(municipality_id, include_archived=False):
    query = db.select(Organisation).where(Organisation.municipality_id == municipality_id, Organisation.kind == "school")
    if not include_archived:
        query = query.where(Organisation.is_archived.is_(False))
    return db.session.scalars(query.order_by(Organisation.short_name)).all()


def curators(municipality_id):
    return db.session.scalars(
        db.select(User).where(User.municipality_id == municipality_id, User.role.in_(("curator", "admin")),
                              User.is_active_account.is_(True)).order_by(User.full_name)
    ).all()


def context_profile(org):
    """[(factor, share or None)] for every factor of the municipality, in catalogue order."""
    factors = db.session.scalars(
        db.select(ContextFactor).where(ContextFactor.municipality_id == org.municipality_id).order_by(ContextFactor.position)
    ).all()
    values = {v.factor_id: v.share for v in db.session.scalars(
        db.select(ContextValue).where(ContextValue.organisation_id == org.id))}
    return [(f, values.get(f.id)) for f in factors]


def save_context_profile(actor, org, shares):
    """shares: {factor_id: float or None}. Recorded in the school's history."""
    existing = {v.factor_id: v for v in db.session.scalars(
        db.select(ContextValue).where(ContextValue.organisation_id == org.id))}
    before = {str(k): v.share for k, v in existing.items()}
    for factor_id, share in shares.items():
        row = existing.get(factor_id)
        if row is None:
            db.session.add(ContextValue(organisation_id=org.id, factor_id=factor_id, share=share))
        else:
            row.share = share
    after = {str(k): v for k, v in shares.items()}
    changes = diff(before, after)
    if changes:
        record(actor, org, "context", changes, summary=f"{org.short_name}: контекстный профиль")
    db.session.commit()
    return changes


def partnerships_of(org):
    return db.session.scalars(
        policy.visible_partnerships().where(or_(Partnership.school_id == org.id, Partnership.tutor_school_id == org.id))
        .order_by(Partnership.start_year.desc())
    ).all()


def list_partnerships(text=""):
    query = policy.visible_partnerships().join(Partnership.school)
    if text:
        query = query.where(func.lower(Organisation.short_name).like(f"%{text.strip().lower()}%"))
    return db.session.scalars(query.order_by(Partnership.is_active.desc(), Organisation.short_name)).all()

