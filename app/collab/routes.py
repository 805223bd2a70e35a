from flask import redirect, url_for
from flask_login import current_user

from .. import policy
from ..htmx import render
from . import bp, services, uploads
from .models import Attachment, Notification


@bp.get("/notifications")
def notifications():
    policy.authorize("view", current_user._get_current_object())
    # Only reads: overdue reminders come from the daily `flask remind-overdue` (a GET writes nothing).
    items = services.notifications_of(current_user)
    return render("collab/notifications.html", block="list", items=items)


@bp.post("/notifications/read")
def mark_all_read():
    policy.authorize("view", current_user._get_current_object())
    services.mark_read(current_user)
    return redirect(url_for("collab.notifications"))


@bp.post("/notifications/<int:notification_id>/open")
def open_notification(notification_id):
    """Mark one notification read and go where it points (only to a path on this site)."""
    item = policy.load(Notification, notification_id, "view")
    services.mark_read(current_user, item.id)
    target = item.url if item.url.startswith("/") and not item.url.startswith("//") else url_for("collab.notifications")
    return redirect(target)



@bp.get("/attachments/<int:attachment_id>")
def attachment(attachment_id):
    """Download: allowed to whoever may see the object the file is attached to."""
    item = policy.load(Attachment, attachment_id, "view")
    return uploads.send(item.stored_name, item.filename, item.content_type)
