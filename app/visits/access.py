"""Access to visits, their lesson observations, recommendations and events."""
from flask_login import current_user

from .. import policy
from ..collab.access import attachable
from ..extensions import db
from ..orgs.access import partnership_role, reference_list, visible_partnerships
from ..orgs.models import Partnership
from .models import Event, LessonObservation, ObservationCriterion, Recommendation, Visit

TEXT_READERS = policy.TEXT_READERS


@policy.register(Visit)
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


@policy.register(LessonObservation)
def _observation(user, action, observation):
    return _visit(user, "view_observations" if action == "view" else action, observation.visit)


@policy.register(Recommendation)
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


@policy.register(Event)
def _event(user, action, event):
    if action == "read_text":  # the outcome and history of an event may name participants
        return user.role in TEXT_READERS
    return action == "view" or can_host_event(event.host, user)


policy.register(ObservationCriterion)(reference_list)
attachable("visit", Visit)


def can_host_event(host, user=None):
    """A tutor school hosts events in its own name; the department and its curators in any."""
    user = user or current_user
    return user.role in ("admin", "curator") or (user.role == "tutor" and host.id == user.organisation_id)


@policy.register_scope(Visit)
def visible_visits(user):
    query = db.select(Visit).where(Visit.partnership_id.in_(
        visible_partnerships(user).with_only_columns(Partnership.id)))
    if user.role == "school":
        query = query.where(Visit.status == "submitted")
    return query


@policy.register_scope(Recommendation)
def visible_recommendations(user):
    query = db.select(Recommendation).where(Recommendation.partnership_id.in_(
        visible_partnerships(user).with_only_columns(Partnership.id)))
    if user.role == "school":
        query = query.outerjoin(Visit, Visit.id == Recommendation.visit_id).where(
            (Recommendation.visit_id.is_(None)) | (Visit.status == "submitted"))
    return query
