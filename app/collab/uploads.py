"""Uploaded files: kept outside static/ under a random name, type-checked by content, size-limited,
and sent back only as attachments (never rendered inline by the browser)."""
import os
import secrets

from flask import current_app, send_file
from flask_babel import gettext as _

MAX_BYTES = 10 * 1024 * 1024


def _zip(head):
    return head.startswith(b"PK\x03\x04")  # the Office and OpenDocument formats are zip files


# extension -> (content type, check of the first bytes)
ALLOWED = {
    "pdf": ("application/pdf", lambda head: head.startswith(b"%PDF")),
    "png": ("image/png", lambda head: head.startswith(b"\x89PNG\r\n\x1a\n")),
    "jpg": ("image/jpeg", lambda head: head.startswith(b"\xff\xd8\xff")),
    "jpeg": ("image/jpeg", lambda head: head.startswith(b"\xff\xd8\xff")),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _zip),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _zip),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", _zip),
    "odt": ("application/vnd.oasis.opendocument.text", _zip),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", _zip),
    "doc": ("application/msword", lambda h: h.startswith(b"\xd0\xcf\x11\xe0")),
    "xls": ("application/vnd.ms-excel", lambda h: h.startswith(b"\xd0\xcf\x11\xe0")),
    "txt": ("text/plain", lambda h: _is_text(h)),
    "csv": ("text/csv", lambda h: _is_text(h)),
}


class UploadRefused(ValueError):
    pass


def _is_text(head):
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start > len(head) - 4  # a multi-byte letter cut by the sample's end
    return b"\x00" not in head


def clean_filename(name):
    """The name shown to people: no folders, no control characters, bounded length."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*').strip(" .")
    return name[-150:] or "file"


def store(file_storage):
    """Save an uploaded file; returns (display name, stored name, content type, size)."""
    filename = clean_filename(file_storage.filename)
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext not in ALLOWED:
        raise UploadRefused(_("Такой тип файла не принимается. Можно: %(types)s.", types=", ".join(sorted(ALLOWED))))
    data = file_storage.stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise UploadRefused(_("Файл больше 10 МБ."))
    if not data:
        raise UploadRefused(_("Файл пустой."))
    content_type, check = ALLOWED[ext]
    if not check(data[:2048]):
        raise UploadRefused(_("Содержимое файла не соответствует расширению .%(ext)s.", ext=ext))
    folder = current_app.config["UPLOAD_FOLDER"]
    os.makedirs(folder, exist_ok=True)
    stored = secrets.token_hex(16) + "." + ext
    with open(os.path.join(folder, stored), "wb") as fh:
        fh.write(data)
    return filename, stored, content_type, len(data)


def send(stored_name, filename, content_type):
    path = os.path.join(current_app.config["UPLOAD_FOLDER"], os.path.basename(stored_name))
    resp = send_file(path, mimetype=content_type, as_attachment=True, download_name=filename)
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp


def attach(actor, parent, file_storage, scope):
    """Store the file and record it against its parent object (history in the parent's scope)."""
    from ..editing import create
    from .models import Attachment

    filename, stored, content_type, size = store(file_storage)
    attachment = Attachment(municipality_id=parent.municipality_id, object_type=type(parent).__name__.lower(),
                            object_id=parent.id, filename=filename, stored_name=stored, content_type=content_type,
                            size=size, uploaded_by_id=actor.id)
    return create(actor, attachment, ("filename", "size"), scope=scope)


def attachments_of(obj):
    from ..extensions import db
    from .models import Attachment

    return db.session.scalars(db.select(Attachment).where(
        Attachment.object_type == type(obj).__name__.lower(), Attachment.object_id == obj.id)
        .order_by(Attachment.id)).all()


def attach_from_form(form, actor, parent, scope):
    """The upload route of any area: validate the form, store the file, and say in Russian what
    happened. Returns (attachment or None, message, flash category)."""
    from ..forms import form_errors

    if not form.validate_on_submit():
        return None, form_errors(form) or _("Файл не выбран."), "error"
    try:
        attachment = attach(actor, parent, form.file.data, scope)
    except UploadRefused as exc:
        return None, str(exc), "error"
    return attachment, _("Файл «%(f)s» загружен.", f=attachment.filename), "success"
