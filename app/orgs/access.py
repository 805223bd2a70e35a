"""Access to the municipality, its organisations, partnerships and context factors, and the
part a user plays for a school: the key that programmes, visits, teachers and risks ask."""
from flask_login import current_user
from sqlalchemy import false

from .. import policy
from ..extensions import db
from .models import ContextFactor, Municipality, Organisation, Partnership

# Municipality-level actions and who may take them (pages that are not about one object).
MUNICIPAL_ACTIONS = {
    "view": policy.READ_ROLES,
    "manage": ("admin",),                                          # users, organisations, criteria
    "compare_schools": ("admin", "curator", "tutor", "observer"),  # heat map, context index, watchlist
    "summarize": ("admin", "curator", "observer"),                 # Excel summary, curators' overview
    "create_event": ("admin", "curator", "tutor"),
    "read_text": policy.TEXT_READERS,                              # free text in exports (see TEXT_READERS)
    "create_programme": ("admin", "curator"),                      # in a partnership they edit or curate
}

# Who reads the history of organisations and partnerships: the department's staff.
HISTORY_READERS = ("admin", "curator")


@policy.register(Municipality)
def municipality(user, action, obj):
    return user.role in MUNICIPAL_ACTIONS.get(action, ())


@policy.register(Organisation)
def organisation(user, action, org):
    if action == "read_history":
        return user.role in HISTORY_READERS
    if action == "view":
        return user.role != "school" or org.id == user.organisation_id
    return user.role == "admin"


def partnership_role(user, partnership):
    """The part the user plays in a partnership: the key to its programme, visits, diagnostics."""
    if user.municipality_id != partnership.municipality_id:
        return None
    if user.role == "admin":
        return "admin"
    if user.role == "curator" and partnership.curator_id == user.id:
        return "curator"
    if user.role == "tutor" and partnership.tutor_school_id == user.organisation_id:
        return "tutor"
    if user.role == "school" and partnership.school_id == user.organisation_id:
        return "school"
    if user.role == "observer":
        return "observer"
    return None


@policy.register(Partnership)
def partnership(user, action, obj):
    role = partnership_role(user, obj)
    if action == "read_history":
        return role in HISTORY_READERS
    if action == "view":
        return role is not None
    if action == "visit":  # record visits and recommendations for the supported school
        return role in ("admin", "curator", "tutor")
    if action == "start_programme":  # the department's staff: the admin, the partnership's curator
        return role in ("admin", "curator")
    return role == "admin"


@policy.register(ContextFactor)
def context_factor(user, action, factor):
    return action == "view" or user.role == "admin"


def reference_list(user, action, item):
    """A catalogue of the municipality (criteria, deficit areas, risk factors): everyone reads,
    the admin edits."""
    return action == "view" or user.role == "admin"


@policy.register_scope(Organisation)
def visible_organisations(user):
    query = db.select(Organisation).where(Organisation.municipality_id == user.municipality_id)
    if user.role == "school":
        query = query.where(Organisation.id == user.organisation_id)
    return query


@policy.register_scope(Partnership)
def visible_partnerships(user):
    query = db.select(Partnership).where(Partnership.municipality_id == user.municipality_id)
    if user.role == "curator":
        query = query.where(Partnership.curator_id == user.id)
    elif user.role == "tutor":
        query = query.where(Partnership.tutor_school_id == user.organisation_id)
    elif user.role == "school":
        query = query.where(Partnership.school_id == user.organisation_id)
    elif user.role not in ("admin", "observer"):
        query = query.where(false())
    return query


# --- The people of a school: teachers, their diagnostics, risk profiles ------------------------

def school_role(user, school_id):
    """The part the user plays for a school's people (teachers) and its risk profile: its team,
    its curator, its tutor school, the admin. Observers and other schools get None."""
    if user.role == "admin":
        return "admin"
    if user.role == "school":
        return "school" if user.organisation_id == school_id else None
    if user.role in ("curator", "tutor"):
        partnerships = db.session.scalars(db.select(Partnership).where(
            Partnership.school_id == school_id, Partnership.municipality_id == user.municipality_id)).all()
        for p in partnerships:
            role = partnership_role(user, p)
            # A tutor school works with a school's teachers only while it supports it.
            if role == "curator" or (role == "tutor" and p.is_active):
                return role
    return None


def works_with_school(school, user=None):
    """May the user work with this school's people and risk profile (see, add and import its
    teachers; assess its risks)?"""
    user = user or current_user
    return school.municipality_id == user.municipality_id and school_role(user, school.id) is not None


def schools_with_visible_people(user=None):
    """Ids of the schools whose individual teachers the user may see, in one query (for lists):
    the same answer as school_role() school by school."""
    user = user or current_user
    if user.role == "admin":
        return set(db.session.scalars(db.select(Organisation.id).where(
            Organisation.municipality_id == user.municipality_id, Organisation.kind == "school")))
    if user.role == "school":
        return {user.organisation_id}
    if user.role == "curator":
        return set(db.session.scalars(visible_partnerships(user).with_only_columns(Partnership.school_id)))
    if user.role == "tutor":
        return set(db.session.scalars(visible_partnerships(user).where(Partnership.is_active.is_(True))
                                      .with_only_columns(Partnership.school_id)))
    return set()


def schools_with_visible_context(user=None):
    """Ids of the schools whose context profile, context index and deficit aggregates the user
    may see. The department and observers compare all schools; a school team sees its own; a
    tutor school sees itself and the schools it supports now, not the whole municipality."""
    user = user or current_user
    if user.role in ("admin", "curator", "observer"):
        return set(db.session.scalars(db.select(Organisation.id).where(
            Organisation.municipality_id == user.municipality_id, Organisation.kind == "school")))
    if user.role == "school":
        return {user.organisation_id}
    if user.role == "tutor":
        return schools_with_visible_people(user) | {user.organisation_id}
    return set()


def can_see_context_of(school, user=None):
    """May the user see this school's context profile (the social factors of its families)?"""
    user = user or current_user
    return school.municipality_id == user.municipality_id and school.id in schools_with_visible_context(user)
