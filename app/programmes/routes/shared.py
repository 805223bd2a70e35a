"""What the programme page's routes share: the template, the context every fragment needs, and
the answer for an inline change (its block for htmx, back to the page without JavaScript)."""
from flask import request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ... import policy
from ...htmx import respond
from .. import services
from ..access import catalogue_titles, programme_role
from ..forms import (
    DIRECTION_LABELS,
    LIGHT_LABELS,
    PASSPORT_LABELS,
    TASK_STATUS_LABELS,
    GoalForm,
    IndicatorForm,
    SectionForm,
)

PAGE = "programmes/programme.html"


def filters():
    """The plan's filters from the address (section, status, owner)."""
    args = request.args
    return {k: args.get(k, "")[:20] for k in ("section", "status", "owner") if args.get(k)}


def context(programme, **extra):
    """What every programme fragment may need besides its own object. `reads_text`: whether the
    user reads what people typed (observers do not: policy.TEXT_READERS); `section_title` names a
    section for this user (catalogue names only for those who do not read free text)."""
    reads_text = policy.can("read_text", programme)
    return {"programme": programme, "role": programme_role(current_user, programme),
            "can_edit": policy.can("edit", programme), "reads_text": reads_text,
            "section_title": _section_namer(programme, reads_text), "passport_labels": PASSPORT_LABELS,
            **row_labels(), **extra}


def row_labels():
    """Labels repeated in every task row and indicator cell, put into the reader's language once
    per answer rather than once per row (hundreds of look-ups on a large programme)."""
    statuses = {code: str(label) for code, label in TASK_STATUS_LABELS.items()}
    return {"ui": {"mark": _("Отметить"), "status": _("Статус"), "edit": _("Изменить"), "up": _("Выше"),
                   "down": _("Ниже"), "overdue": _("просрочено"), "task": _("Мероприятие"),
                   "progress": _("прогресс"), "chart": _("План и факт по периодам"), "edit_lower": _("изменить")},
            "task_statuses": list(statuses.items()), "task_statuses_text": statuses,
            "light_labels": {k: str(v) for k, v in LIGHT_LABELS.items()},
            "direction_labels": {k: str(v) for k, v in DIRECTION_LABELS.items()}}


def _section_namer(programme, reads_text):
    if reads_text:
        return lambda section: section.title
    titles = catalogue_titles(services.sections_of(programme))
    return lambda section: titles.get(section.id) or _("Дополнительный раздел %(n)s", n=section.position)


def owner_choices(programme):
    return [(0, "—")] + [(u.id, u.full_name) for u in services.participants(programme)]


def page_url(programme, anchor=None):
    return url_for("programmes.programme", programme_id=programme.id, _anchor=anchor)


def inline(block, programme, anchor, status=200, oob=(), **ctx):
    """An inline piece of the programme page (a row, a cell, a passport field). Without
    JavaScript it is not a page of its own: the browser goes back to the programme page at
    `anchor`, with the outcome flashed (htmx.respond)."""
    return respond(PAGE, block, fallback=page_url(programme, anchor), status=status, oob=oob,
                   context=lambda: context(programme), **ctx)


def add_forms():
    """The forms that add a goal, an indicator, a section: inside the passport, indicators and
    plan blocks, so the page and the live feed both need them."""
    return {"goal_form": GoalForm(prefix="goal"), "indicator_form": IndicatorForm(prefix="indicator"),
            "section_form": SectionForm(prefix="section")}
