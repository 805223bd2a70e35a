"""What each role sees first."""
from sqlalchemy import func

from .. import policy
from ..accounts.models import User
from ..extensions import db
from ..orgs.models import Organisation, Partnership


def municipality_counts(municipality_id):
    """Aggregates only: safe for every role of the municipality, observers included."""
    org = Organisation
    schools = db.select(func.count()).select_from(org).where(
        org.municipality_id == municipality_id, org.kind == "school", org.is_archived.is_(False))
    return {
        "schools": db.session.scalar(schools),
        "low_results": db.session.scalar(schools.where(org.is_low_results.is_(True))),
        "unfavourable": db.session.scalar(schools.where(org.is_unfavourable.is_(True))),
        "partnerships": db.session.scalar(db.select(func.count()).select_from(Partnership).where(
            Partnership.municipality_id == municipality_id, Partnership.is_active.is_(True))),
        "users": db.session.scalar(db.select(func.count()).select_from(User).where(
            User.municipality_id == municipality_id, User.is_active_account.is_(True))),
    }


def my_partnerships():
    return db.session.scalars(policy.visible(Partnership).where(Partnership.is_active.is_(True))
                              .order_by(Partnership.start_year.desc())).all()


def my_tasks(user, limit=10):
    """Open tasks assigned to the user, soonest first: what to do next."""
    from sqlalchemy.orm import joinedload

    from ..programmes.models import Programme, Task

    return db.session.scalars(db.select(Task).where(Task.owner_id == user.id,
                                                    Task.status.in_(("planned", "in_progress")))
                              .options(joinedload(Task.programme).joinedload(Programme.school))
                              .order_by(Task.due_date.is_(None), Task.due_date).limit(limit)).all()
