"""Who may do what: the one place where access is decided.

Routes load objects through `load()` (object-level check) or guard a page with
`require()` (municipality-level check); lists are filtered with the `visible_*`
scopes. Nobody reaches another municipality's objects: they answer 404, as if
they did not exist. Templates may ask `can()` to hide buttons, never to decide.
"""
from flask import abort
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import false

from .accounts.models import User
from .collab.models import Attachment, Notification
from .extensions import db
from .orgs.models import ContextFactor, Municipality, Organisation, Partnership
from .teachers.models import DeficitArea, DeficitFinding, DiagnosticSession, RouteStep, Teacher
from .mechanisms.models import Mechanism, MechanismCriterion, MechanismScore
from .exports.models import ExportJob
from .selection.models import (CardCriterion, CardImport, CardScore, CardYear, RiskFactor, SchoolRisk,
                                    ShnorDecision)
from .visits.models import Event, LessonObservation, ObservationCriterion, Recommendation, Visit
from .programmes.models import (Goal, Indicator, IndicatorValue, PeriodReport, Programme, ReportingPeriod, Section,
                                Task)

READ_ROLES = ("admin", "curator", "tutor", "school", "observer")
# Who reads free text: whatever people typed (task titles, expected results, responsible,
# evidence, comments, files, indicator names, passports and goals, visit purposes and findings,
# recommendations, reports, history). It names teachers. Observers (regional experts) read
# aggregates and the names of reference catalogues only: criteria, mechanisms, risk factors,
# the mandatory sections of the programme template.
TEXT_READERS = ("admin", "curator", "tutor", "school")


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


# Municipality-level actions and who may take them (pages that are not about one object).
MUNICIPAL_ACTIONS = {
    "view": READ_ROLES,
    "manage": ("admin",),                                          # users, organisations, criteria
    "compare_schools": ("admin", "curator", "tutor", "observer"),  # heat map, context index, watchlist
    "summarize": ("admin", "curator", "observer"),                 # Excel summary, curators' overview
    "create_event": ("admin", "curator", "tutor"),
    "read_text": TEXT_READERS,                                     # free text in exports (see TEXT_READERS)
}


def _municipality(user, action, obj):
    return user.role in MUNICIPAL_ACTIONS.get(action, ())


def _organisation(user, action, org):
    if action == "view":
        return user.role != "school" or org.id == user.organisation_id
    return user.role == "admin"


def _partnership(user, action, partnership):
    role = partnership_role(user, partnership)
    if action == "view":
        return role is not None
    if action == "visit":  # record visits and recommendations for the supported school
        return role in ("admin", "curator", "tutor")
    return role == "admin"


def _user(user, action, other):
    if action == "view" and other.id == user.id:
        return True
    return user.role == "admin"


def _context_factor(user, action, factor):
    return action == "view" or user.role == "admin"


EDITOR_ROLES = ("admin", "curator", "tutor", "school")
FROZEN_PROGRAMME = ("completed", "closed")


def programme_role(user, programme):
    return partnership_role(user, programme.partnership)


def _programme(user, action, programme):
    """view: everyone in the partnership (and observers); edit: the three partners and the admin,
    until the programme is completed; approve / review reports: the curator or the admin;
    submit reports: the school team (or the admin)."""
    role = programme_role(user, programme)
    if role is None:
        return False
    if action == "view":
        return True
    if action == "edit":
        return role in EDITOR_ROLES and programme.status not in FROZEN_PROGRAMME
    if action in ("approve", "review"):
        return role in ("admin", "curator")
    if action == "submit":
        return role in ("admin", "school")
    if action == "status":  # propose, start: any partner; approve/close are checked as "approve"
        return role in EDITOR_ROLES
    if action == "read_text":  # passport, goals, task texts, evidence, files, comments, reports, history
        return role in TEXT_READERS
    return False


def _programme_part(user, action, obj):
    programme = obj.programme if hasattr(obj, "programme") and obj.programme is not None else \
        db.session.get(Programme, obj.programme_id)
    return _programme(user, action, programme)


def _visit(user, action, visit):
    """The school team reads its submitted visits only; observers read visits but not the
    lesson observations, which name teachers; the curator, the tutor school and the admin
    record them."""
    role = partnership_role(user, visit.partnership)
    if role is None:
        return False
    if action == "view":
        return role != "school" or visit.status == "submitted"
    if action == "view_observations":
        return role in ("admin", "curator", "tutor") or (role == "school" and visit.status == "submitted")
    if action == "edit":
        return role in ("admin", "curator", "tutor")
    if action == "comment":
        return role in TEXT_READERS and _visit(user, "view", visit)
    if action == "read_text":  # purpose, findings, comments, files, history: free text that names people
        return role in TEXT_READERS and _visit(user, "view", visit)
    return False


def _observation(user, action, observation):
    return _visit(user, "view_observations" if action == "view" else action, observation.visit)


def _recommendation(user, action, rec):
    """respond: move it to in work / done / not accepted — the school team may do that too."""
    role = partnership_role(user, rec.partnership)
    if role is None:
        return False
    if action == "view":
        return role != "school" or rec.visit is None or rec.visit.status == "submitted"
    if action == "respond":
        return role in ("admin", "curator", "tutor", "school") and _recommendation(user, "view", rec)
    if action == "edit":
        return role in ("admin", "curator", "tutor")
    if action == "read_text":  # the wording, who it is addressed to, the reason: they name teachers
        return role in TEXT_READERS and _recommendation(user, "view", rec)
    return False


def _event(user, action, event):
    if action == "read_text":  # the outcome and history of an event may name participants
        return user.role in TEXT_READERS
    return action == "view" or can_host_event(event.host, user)


def _criterion(user, action, criterion):
    return action == "view" or user.role == "admin"


def school_role(user, school_id):
    """The part the user plays for a school's people (teachers): its team, its curator,
    its tutor school, the admin. Observers and other schools get None."""
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


def _teacher(user, action, teacher):
    """Individual teachers are personal data: never for observers or other schools."""
    return school_role(user, teacher.school_id) is not None


def _school_people(user, action, obj):
    """Sessions, findings and route steps follow the school they belong to."""
    school_id = obj.school_id if hasattr(obj, "school_id") else obj.teacher.school_id
    return school_role(user, school_id) is not None


def _deficit_area(user, action, area):
    return action == "view" or user.role == "admin"


def can_see_people_of(school, user=None):
    """May the user see the individual teachers of this school (list, add, import)?"""
    user = user or current_user
    return school.municipality_id == user.municipality_id and school_role(user, school.id) is not None


def _municipal_card(user, action, obj):
    """The diagnostic card ranks schools: the department's tool (admin edits; curators and
    observers read); school teams do not see other schools' ranks."""
    if action == "view":
        return user.role in ("admin", "curator", "observer")
    return user.role == "admin"


def _school_risk(user, action, risk):
    if action == "view" and user.role == "observer":
        return True
    return school_role(user, risk.school_id) is not None


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


def can_view_risks_of(school, user=None):
    """Risk profiles: their keepers, and observers (read only)."""
    user = user or current_user
    return can_manage_risks_of(school, user) or (school.municipality_id == user.municipality_id
                                                and user.role == "observer")


def can_host_event(host, user=None):
    """A tutor school hosts events in its own name; the department and its curators in any."""
    user = user or current_user
    return user.role in ("admin", "curator") or (user.role == "tutor" and host.id == user.organisation_id)


def can_manage_risks_of(school, user=None):
    """Risk profiles are kept by the school's team, its curator and tutor school, and the admin."""
    user = user or current_user
    return school.municipality_id == user.municipality_id and school_role(user, school.id) is not None


def _assessment(user, action, obj):
    """The municipality's self-assessment: everyone in it reads; the admin scores and edits criteria."""
    return action == "view" or user.role == "admin"


def _export_job(user, action, job):
    return job.user_id == user.id


# Objects that can carry attachments, by Attachment.object_type.
ATTACHABLE = {"task": Task, "visit": Visit}


def _attachment(user, action, attachment):
    """A file is as editable as the object it is attached to, and readable by whoever reads that
    object's free text: a visit's справка or protocol, a task's evidence name the teachers."""
    model = ATTACHABLE.get(attachment.object_type)
    parent = db.session.get(model, attachment.object_id) if model else None
    if action == "view":
        action = "read_text"
    return parent is not None and can(action, parent, user)


def _notification(user, action, notification):
    return notification.user_id == user.id


RULES = {
    Municipality: _municipality,
    Organisation: _organisation,
    Partnership: _partnership,
    User: _user,
    ContextFactor: _context_factor,
    Programme: _programme,
    Goal: _programme_part,
    Section: _programme_part,
    Task: _programme_part,
    Indicator: _programme_part,
    IndicatorValue: _programme_part,
    ReportingPeriod: _programme_part,
    PeriodReport: _programme_part,
    Attachment: _attachment,
    Visit: _visit,
    LessonObservation: _observation,
    Recommendation: _recommendation,
    Event: _event,
    ObservationCriterion: _criterion,
    Teacher: _teacher,
    DiagnosticSession: _school_people,
    DeficitFinding: _school_people,
    RouteStep: _school_people,
    DeficitArea: _deficit_area,
    CardYear: _municipal_card,
    CardCriterion: _municipal_card,
    CardScore: _municipal_card,
    ShnorDecision: _municipal_card,
    CardImport: _municipal_card,  # an upload of scores: edited (undone) by whoever edits the card
    RiskFactor: _criterion,
    SchoolRisk: _school_risk,
    ExportJob: _export_job,
    Mechanism: _assessment,
    MechanismCriterion: _assessment,
    MechanismScore: _assessment,
    Notification: _notification,
}


# --- Free text and catalogue names -----------------------------------------------------

def reads_text(user=None):
    """May the user read free text at all (see TEXT_READERS)? Exports and lists across schools
    ask this; a page about one object asks can("read_text", obj)."""
    return can("read_text", (user or current_user).municipality, user)


def catalogue_titles(sections):
    """{section id: title} for the sections whose names come from reference catalogues, which
    every reader may see: the mandatory sections of the programme template, and antirisk
    directions made from a risk factor (named after the factor, not after what was stored).
    Sections people added and named themselves are not in it."""
    titles = {s.id: s.title for s in sections if s.is_mandatory}
    others = [s.id for s in sections if not s.is_mandatory]
    if others:
        for risk in db.session.scalars(db.select(SchoolRisk).where(SchoolRisk.section_id.in_(others))):
            titles[risk.section_id] = _("Антирисковое направление: %(factor)s", factor=risk.factor.name)
    return titles


def register(model, rule):
    """Areas add their own object rules here, so every decision still lives in this module's table."""
    RULES[model] = rule


def can(action, obj, user=None):
    user = user or current_user
    if not getattr(user, "is_authenticated", False) or obj is None:
        return False
    if getattr(obj, "municipality_id", None) != user.municipality_id:
        return False
    rule = RULES.get(type(obj))
    if rule is None:
        raise LookupError(f"no access rule for {type(obj).__name__}")
    return bool(rule(user, action, obj))


def authorize(action, obj):
    if not can(action, obj):
        abort(403)
    return obj


def load(model, ident, action="view", options=()):
    """Load an object by id and authorize `action` on it; unknown or foreign ids are 404.
    `options` are loader options (eager loads) for the one query."""
    if not isinstance(ident, int) or not 0 < ident < 2**31:
        abort(404)  # ids beyond any integer column are not ours; no driver overflow errors
    obj = db.session.get(model, ident, options=options)
    if obj is None or getattr(obj, "municipality_id", None) != current_user.municipality_id:
        abort(404)
    return authorize(action, obj)


def require(action):
    """Municipality-level guard for pages that are not about one object (lists, forms to create)."""
    return authorize(action, current_user.municipality)


# --- Scopes for lists -------------------------------------------------------------

def visible_organisations(user=None):
    user = user or current_user
    query = db.select(Organisation).where(Organisation.municipality_id == user.municipality_id)
    if user.role == "school":
        query = query.where(Organisation.id == user.organisation_id)
    return query


def visible_partnerships(user=None):
    user = user or current_user
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




def visible_programmes(user=None):
    user = user or current_user
    return db.select(Programme).join(Programme.partnership).where(
        Partnership.id.in_(visible_partnerships(user).with_only_columns(Partnership.id)))


def visible_visits(user=None):
    user = user or current_user
    query = db.select(Visit).where(Visit.partnership_id.in_(
        visible_partnerships(user).with_only_columns(Partnership.id)))
    if user.role == "school":
        query = query.where(Visit.status == "submitted")
    return query


def visible_recommendations(user=None):
    user = user or current_user
    query = db.select(Recommendation).where(Recommendation.partnership_id.in_(
        visible_partnerships(user).with_only_columns(Partnership.id)))
    if user.role == "school":
        query = query.outerjoin(Visit, Visit.id == Recommendation.visit_id).where(
            (Recommendation.visit_id.is_(None)) | (Visit.status == "submitted"))
    return query
