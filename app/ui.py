"""Helpers every template can use: navigation by role, labels, the policy's `can`."""
from flask import request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from . import policy
from .accounts.forms import ROLE_LABELS
from .programmes.forms import DIRECTION_LABELS, PROGRAMME_STATUS_LABELS, REPORT_STATUS_LABELS, TASK_STATUS_LABELS
from .programmes.progress import sparkline

# (endpoint, label, roles that see it)
NAVIGATION = (
    ("exports.dashboard", _l("Сводка"), ("admin", "curator", "tutor", "observer")),
    ("identification.card", _l("Отбор ШНОР"), ("admin", "curator", "observer")),
    ("assessment.assessment", _l("Механизмы"), ("admin", "curator", "tutor", "observer")),
    ("programmes.programmes", _l("Программы"), ("admin", "curator", "tutor", "school", "observer")),
    ("visits.visits", _l("Выезды"), ("admin", "curator", "tutor", "school", "observer")),
    ("diagnostics.heatmap", _l("Дефициты"), ("admin", "curator", "tutor", "observer")),
    ("orgs.organisations", _l("Школы"), ("admin", "curator", "tutor", "observer")),
    ("accounts.users", _l("Пользователи"), ("admin",)),
)


def main_navigation():
    items = []
    if current_user.role == "school" and current_user.organisation_id:
        items.append({"url": url_for("orgs.organisation", org_id=current_user.organisation_id),
                      "label": _l("Моя школа"), "active": request.endpoint == "orgs.organisation"})
        items.append({"url": url_for("diagnostics.school", org_id=current_user.organisation_id),
                      "label": _l("Педагоги"), "active": (request.endpoint or "").startswith("diagnostics.")})
    for endpoint, label, roles in NAVIGATION:
        if current_user.role in roles:
            items.append({"url": url_for(endpoint), "label": label,
                          "active": (request.endpoint or "").startswith(endpoint)})
    return items


def field_attrs(field, autofocus=False):
    """Accessibility attributes for a form field: errors are announced and linked."""
    attrs = {}
    if field.errors:
        attrs.update({"aria-invalid": "true", "aria-describedby": f"{field.id}-errors"})
    if autofocus:
        attrs.update({"autofocus": True, "data-autofocus": ""})
    return attrs


def _unread_notifications():
    from .collab.services import unread_count

    return unread_count(current_user)


def init_app(app):
    # Globals rather than a context processor: imported macros see them too.
    app.jinja_env.globals.update(
        current_locale=lambda: str(get_locale() or "ru"),
        main_navigation=main_navigation,
        role_label=lambda role: ROLE_LABELS.get(role, role),
        can=policy.can,
        field_attrs=field_attrs,
        unread_notifications=_unread_notifications,
        sparkline=sparkline,
        task_status_labels=TASK_STATUS_LABELS,
        programme_status_labels=PROGRAMME_STATUS_LABELS,
        report_status_labels=REPORT_STATUS_LABELS,
        direction_labels=DIRECTION_LABELS,
        can_see_people_of=policy.can_see_people_of,
        can_manage_risks_of=policy.can_manage_risks_of,
        levels_rank={"none": 0, "partial": 1, "significant": 2}.get,
    )

    @app.template_filter("ru_date")
    def ru_date(value):
        return value.strftime("%d.%m.%Y") if value else ""

    @app.template_filter("ru_datetime")
    def ru_datetime(value):
        return value.strftime("%d.%m.%Y %H:%M") if value else ""
