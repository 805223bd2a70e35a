"""Helpers every template can use: navigation by role, labels, the policy's `can`,
dates, times and numbers as the locale writes them."""
from flask import request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from . import policy
from .accounts.forms import ROLE_LABELS
from .formats import show_date, show_datetime, show_number
from .orgs.access import can_see_context_of, works_with_school
from .programmes.forms import DIRECTION_LABELS, PROGRAMME_STATUS_LABELS, REPORT_STATUS_LABELS, TASK_STATUS_LABELS
from .programmes.progress import sparkline
from .programmes.services import period_name
from .selection.access import can_view_risks_of

# (endpoint, label, roles that see it)
NAVIGATION = (
    ("dashboard.summary", _l("Сводка"), ("admin", "curator", "tutor", "observer")),
    ("selection.card", _l("Отбор ШНОР"), ("admin", "curator", "observer")),
    ("mechanisms.assessment", _l("Механизмы"), ("admin", "curator", "tutor", "observer")),
    ("programmes.programmes", _l("Программы"), ("admin", "curator", "tutor", "school", "observer")),
    ("visits.visits", _l("Выезды"), ("admin", "curator", "tutor", "school", "observer")),
    ("teachers.heatmap", _l("Дефициты"), ("admin", "curator", "tutor", "observer")),
    ("orgs.organisations", _l("Школы"), ("admin", "curator", "tutor", "observer")),
    ("accounts.users", _l("Пользователи"), ("admin",)),
)


def main_navigation():
    items = []
    if current_user.must_change_password:
        return items  # nothing else opens until the temporary password is replaced (security.py)
    if current_user.role == "school" and current_user.organisation_id:
        items.append({"url": url_for("orgs.organisation", org_id=current_user.organisation_id),
                      "label": _l("Моя школа"), "active": request.endpoint == "orgs.organisation"})
        items.append({"url": url_for("teachers.school", org_id=current_user.organisation_id),
                      "label": _l("Педагоги"), "active": (request.endpoint or "").startswith("teachers.")})
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
        works_with_school=works_with_school,
        can_see_context_of=can_see_context_of,
        can_view_risks_of=can_view_risks_of,
        levels_rank={"none": 0, "partial": 1, "significant": 2}.get,
    )

    # The names stay (templates use them everywhere); the output follows the locale and the
    # municipality's zone: ru 02.12.2026 02:10, en 12/2/26 2:10 AM.
    app.template_filter("ru_date")(show_date)
    app.template_filter("period_name")(period_name)
    app.template_filter("ru_datetime")(show_datetime)
    app.template_filter("num")(show_number)
    app.jinja_env.globals.update(num=show_number)
