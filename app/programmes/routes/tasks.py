"""Sections and tasks of the plan: rows edited in place, and the task's own page, which is
also the way to edit a task without JavaScript."""
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ... import policy
from ...activity.services import history_of
from ...collab import services as collab
from ...collab import uploads
from ...collab.forms import AttachmentForm, CommentForm
from ...editing import Conflict
from ...forms import db_int, form_errors
from ...htmx import is_fragment_request, refused, render, respond
from ...versioning import MalformedForm, parse_version
from .. import bp, services
from ..forms import BulkStatusForm, SectionForm, TaskForm, TaskStatusForm
from ..models import Section
from .shared import PAGE, context, filters, inline, owner_choices, page_url

# --- Sections ----------------------------------------------------------------------

@bp.post("/programmes/<int:programme_id>/sections")
def add_section(programme_id):
    programme = services.load_programme(programme_id, "edit")
    form = SectionForm(prefix="section")
    if not form.validate_on_submit():
        return refused(page_url(programme, "plan"), _("Раздел не добавлен: введите название до 400 символов."))
    services.add_section(current_user, programme, form.title.data)
    flash(_("Раздел добавлен."), "success")
    return redirect(page_url(programme, "plan"))


@bp.post("/sections/<int:section_id>/delete")
def delete_section(section_id):
    section = policy.load(Section, section_id, "edit")
    anchor = url_for("programmes.programme", programme_id=section.programme_id, _anchor="plan")
    if not services.delete_section(current_user, section):
        return refused(anchor, _("Обязательный раздел или раздел с мероприятиями удалить нельзя."))
    flash(_("Раздел удалён."), "success")
    return redirect(anchor)


# --- Tasks -------------------------------------------------------------------------

def _task_form(task, programme, formdata=True):
    form = TaskForm() if formdata else TaskForm(obj=task)
    form.section_id.choices = [(s.id, s.title[:80]) for s in services.sections_of(programme)]
    form.owner_id.choices = owner_choices(programme)
    if not formdata:
        form.owner_id.data = task.owner_id or 0
        form.version.data = task.version
    return form


def _task_data(form):
    data = {f: getattr(form, f).data for f in services.TASK_FIELDS}
    data["owner_id"] = data["owner_id"] or None
    return data


def _task_url(task, anchor=None):
    return url_for("programmes.task", task_id=task.id, _anchor=anchor)


def _row(task, programme, status=200, numbers=None, **extra):
    """The task's row of the plan (`task_rows` renders the rows it is given)."""
    numbers = numbers or services.task_numbers(programme.id, task.section_id)
    return inline("task_rows", programme, f"task-{task.id}", status, rows=[task], numbers=numbers,
                  today=services.today(), **extra)


@bp.post("/programmes/<int:programme_id>/tasks")
def add_task(programme_id):
    programme = services.load_programme(programme_id, "edit")
    form = TaskForm(prefix="new")
    form.section_id.choices = [(s.id, s.title) for s in services.sections_of(programme)]
    form.owner_id.choices = owner_choices(programme)
    if not form.validate_on_submit():
        return render("programmes/task_new.html", form=form, programme=programme, status=422)
    task = services.add_task(current_user, programme, _task_data(form))
    flash(_("Мероприятие добавлено."), "success")
    return redirect(page_url(programme, f"task-{task.id}"))


@bp.get("/tasks/<int:task_id>")
def task(task_id):
    task = services.load_task(task_id, "view")
    programme = services.load_programme(task.programme_id)
    form = _task_form(task, programme, False) if policy.can("edit", task) else None
    return _task_page(task, programme, form)


def _task_page(task, programme, form, status=200, conflict=None):
    """The task's page: its card, evidence, files, comments, history, and (for an editor) the
    form that edits every field, the way to edit without JavaScript."""
    readable = policy.can("read_text", task)  # comments, evidence, files and history name people
    return render("programmes/task.html", status=status, task=task, form=form, conflict=conflict, **context(
        programme, comments=collab.comments_of(task) if readable else [],
        history=history_of(task) if readable else [],
        attachments=uploads.attachments_of(task) if readable else [],
        comment_form=CommentForm(), upload_form=AttachmentForm(),
        links=services.task_links(task) if readable else [],
        numbers=services.task_numbers(programme.id, task.section_id), today=services.today()))


@bp.get("/tasks/<int:task_id>/row")
def task_row(task_id):
    task = services.load_task(task_id, "view")
    return _row(task, services.load_programme(task.programme_id))


@bp.get("/tasks/<int:task_id>/edit")
def task_form(task_id):
    task = services.load_task(task_id, "edit")
    programme = services.load_programme(task.programme_id)
    if not is_fragment_request():  # the inline form's page is the task's own
        return redirect(_task_url(task, "edit"), 303)
    return inline("task_form", programme, f"task-{task.id}", task=task, form=_task_form(task, programme, False),
                  numbers=services.task_numbers(programme.id, task.section_id))


@bp.post("/tasks/<int:task_id>")
def save_task(task_id):
    """From the row's inline form (htmx: the row, or the form with 422/409) or from the task's
    page (without JavaScript: back to the page, or the page with the form again)."""
    task = services.load_task(task_id, "edit")
    programme = services.load_programme(task.programme_id)
    form = _task_form(task, programme)
    numbers = services.task_numbers(programme.id, task.section_id)
    if not form.validate_on_submit():
        if not is_fragment_request():
            return _task_page(task, programme, form, 422)
        return inline("task_form", programme, f"task-{task.id}", 422, task=task, form=form, numbers=numbers)
    try:
        services.save_task(current_user, task, _task_data(form), form.version.data)
    except Conflict as exc:
        form.version.data = exc.current.version
        if not is_fragment_request():
            return _task_page(exc.current, programme, form, 409, conflict=exc)
        return inline("task_form", programme, f"task-{task.id}", 409, task=exc.current, form=form,
                      numbers=numbers, conflict=exc)
    if not is_fragment_request():
        flash(_("Мероприятие сохранено."), "success")
        return redirect(_task_url(task), 303)
    return _row(task, programme)  # numbered after the save: the task may have moved to another section


@bp.post("/tasks/<int:task_id>/status")
def task_status(task_id):
    task = services.load_task(task_id, "edit")
    programme = services.load_programme(task.programme_id)
    form = TaskStatusForm()
    # Read before the save: a status change does not renumber, and the request reads the
    # database in one go before it writes.
    numbers = services.task_numbers(programme.id, task.section_id)
    if not form.validate_on_submit():
        return _row(task, programme, status=422, numbers=numbers)
    try:
        services.save_task(current_user, task, {"status": form.status.data}, form.version.data)
    except Conflict as exc:
        # The fresh row may have moved meanwhile: numbered anew.
        return _row(exc.current, programme, status=409, conflict=exc)
    return _row(task, programme, numbers=numbers)


@bp.post("/tasks/<int:task_id>/move/<direction>")
def move_task(task_id, direction):
    task = services.load_task(task_id, "edit")
    if direction not in ("up", "down"):
        abort(404)
    programme = services.load_programme(task.programme_id)
    try:
        services.move_task(current_user, task, direction)
    except Conflict:
        pass  # someone reordered at the same moment: show the order as it is now
    # The section renumbered, out of band (the buttons swap nothing themselves).
    return respond(PAGE, "section_bodies", fallback=_task_url(task), context=lambda: context(
        programme, **services.page_data(programme, filters()),
        body_sections=[services.section_of(task)], oob=True))


@bp.post("/programmes/<int:programme_id>/tasks/bulk")
def bulk_status(programme_id):
    programme = services.load_programme(programme_id, "edit")
    form = BulkStatusForm()
    if not form.validate_on_submit():
        abort(422)
    versions = {}
    for raw in request.form.getlist("task"):  # "<task id>:<version>", as the page's checkboxes send it
        task_id, _sep, version = raw.partition(":")
        try:
            versions[db_int(task_id)] = parse_version(version)
        except ValueError:
            raise MalformedForm() from None
    if not versions:
        flash(_("Отметьте мероприятия для смены статуса."), "warning")
    else:
        changed, stale = services.bulk_status(current_user, programme, versions, form.status.data)
        flash(ngettext("Статус изменён у %(num)d мероприятия.", "Статус изменён у %(num)d мероприятий.",
                       len(changed)), "success")
        if stale:
            flash(_("Не изменены (их уже поменял другой участник): %(t)s",
                    t="; ".join(t.title[:60] for t in stale)), "warning")
    return redirect(page_url(programme, "plan"))


@bp.post("/tasks/<int:task_id>/comments")
def comment_task(task_id):
    task = services.load_task(task_id, "view")
    programme = services.load_programme(task.programme_id)
    if not policy.can("edit", programme) and not policy.can("review", programme):
        abort(403)
    form = CommentForm()
    if form.validate_on_submit():
        _comment, mentioned = collab.add_comment(current_user, task, form.body.data, programme.scope,
                                                 _task_url(task), services.participants(programme))
        if mentioned:
            flash(_("Уведомлены: %(names)s.", names=", ".join(u.full_name for u in mentioned)), "info")
    else:
        flash(form_errors(form), "error")
    return redirect(_task_url(task, "comments"))


@bp.post("/tasks/<int:task_id>/attachments")
def upload(task_id):
    task = services.load_task(task_id, "edit")
    attachment, message, category = uploads.attach_from_form(AttachmentForm(), current_user, task,
                                                             f"programme:{task.programme_id}")
    flash(message, category)
    target = redirect(_task_url(task, "evidence"))
    return target if attachment else (target, 303)
