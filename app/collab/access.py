"""Access to files and notifications. A file is as readable and editable as the object it is
attached to: areas name their attachable models here (`attachable`)."""
from .. import policy
from ..extensions import db
from .models import Attachment, Notification

ATTACHABLE = {}  # Attachment.object_type -> model, filled by the areas whose objects carry files


def attachable(object_type, model):
    ATTACHABLE[object_type] = model


@policy.register(Attachment)
def attachment(user, action, obj):
    """Readable by whoever reads the parent's free text: a visit's справка or protocol, a task's
    evidence name the teachers."""
    model = ATTACHABLE.get(obj.object_type)
    parent = db.session.get(model, obj.object_id) if model else None
    if action == "view":
        action = "read_text"
    return parent is not None and policy.can(action, parent, user)


@policy.register(Notification)
def notification(user, action, obj):
    return obj.user_id == user.id
