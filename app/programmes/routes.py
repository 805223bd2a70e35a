"""Programme pages and their htmx fragments. Routes parse and authorize; services change state."""
from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from jinja2_fragments.flask import render_block
from sqlalchemy import select

from ..forms import db_int, form_errors
from .. import policy
from ..collab import uploads
from ..activity.services import history_of
from ..collab import services as collab
from ..editing import Conflict
from ..versioning import MalformedForm, parse_version
from ..extensions import db, login_manager
from ..htmx import is_fragment_request, render
from ..orgs.models import Partnership
from . import bp, services
from ..orgs.access import partnership_role
from .access import catalogue_titles, programme_role
from .render_cache import cached_page, rendered_rows
from ..collab.forms import AttachmentForm, CommentForm
from .forms import (PASSPORT_LABELS, BulkStatusForm, GoalForm, IndicatorForm,
                    ProgrammeCreateForm, ReportForm, ReviewForm, SectionForm, StatusForm, TaskForm, TaskStatusForm,
                    ValueForm)
from .models import Goal, Indicator, Programme, ReportingPeriod, Section

PAGE = "programmes/programme.html"
TASK_FIELD_LABELS = {"section_id": _("Раздел"), "title": _("Мероприятие"), "due_date": _("Срок"),
                     "expected_result": _("Ожидаемый результат"), "responsible": _("Ответственный"),
                     "owner_id": _("Исполнитель"), "status": _("Статус"), "evidence": _("Подтверждение")}


def _filters():
    args = request.args
    return {k: args.get(k, "")[:20] for k in ("section", "status", "owner") if args.get(k)}


def _context(programme, **extra):
    """What every programme fragment may need besides its own object. `reads_text`: whether the
    user reads what people typed (observers do not: policy.TEXT_READERS); `section_title` names a
    section for this user (catalogue names only for those who do not read free text)."""
    reads_text = policy.can("read_text", programme)
    return {"programme": programme, "role": programme_role(current_user, programme),
            "can_edit": policy.can("edit", programme), "reads_text": reads_text,
            "section_title": _section_namer(programme, reads_text), **extra}


def _section_namer(programme, reads_text):
    if reads_text:
        return lambda section: section.title
    titles = catalogue_titles(db.session.scalars(select(Section).where(
        Section.programme_id == programme.id)).all())
    return lambda section: titles.get(section.id) or _("Дополнительный раздел %(n)s", n=section.position)


def _fragment(block, programme, anchor, status=200, **ctx):
    """Inline pieces of the programme page. Without htmx (no JavaScript) they are not pages of
    their own: the browser goes back to the programme page at the right place."""
    if not is_fragment_request():
        if status == 409:
            flash(_("Запись изменил другой участник. Проверьте текущие данные и повторите правку."), "warning")
        elif status >= 400:
            flash(_("Изменение не сохранено: проверьте введённые данные."), "error")
        return redirect(url_for("programmes.programme", programme_id=programme.id, _anchor=anchor)), 303
    return render(PAGE, block=block, status=status, **_context(programme, **ctx))



def _owner_choices(programme):
    return [(0, "—")] + [(u.id, u.full_name) for u in services.participants(programme)]


# --- Programmes ----------------------------------------------------------------------

@bp.get("/programmes")
def programmes():
    policy.require("view")
    return render("programmes/list.html", programmes=services.programmes_for_user(),
                  reads_text=policy.reads_text())


@bp.route("/programmes/new", methods=["GET", "POST"])
def new_programme():
    policy.require("view")
    form = ProgrammeCreateForm()
    choices = [p for p in db.session.scalars(policy.visible(Partnership)).all() if policy.can("edit", p)
               or partnership_role(current_user, p) == "curator"]
    if not choices:
        abort(403)
    form.partnership_id.choices = [(p.id, f"{p.school.short_name} ← {p.tutor_school.short_name}, {p.years_label}")
                                   for p in choices]
    if request.method == "GET":
        form.partnership_id.data = request.args.get("partnership", type=db_int)
        form.start_year.data = next((p.start_year for p in choices if p.id == form.partnership_id.data), None)
    if form.validate_on_submit():
        partnership = policy.load(Partnership, form.partnership_id.data, "view")
        exists = db.session.scalar(select(Programme.id).where(Programme.partnership_id == partnership.id,
                                                              Programme.start_year == form.start_year.data))
        error = services.programme_years_error(partnership, form.start_year.data)
        if exists:
            form.start_year.errors.append(_("Программа на эти годы уже есть."))
        elif error:
            form.start_year.errors.append(error)
        else:
            programme = services.create_programme(current_user, partnership, form.start_year.data)
            flash(_("Программа создана по шаблону: четыре обязательных раздела и восемь отчётных периодов."), "success")
            return redirect(url_for("programmes.programme", programme_id=programme.id))
    return render("programmes/new.html", form=form, status=422 if request.method == "POST" else 200)


@bp.get("/programmes/<int:programme_id>")
def programme(programme_id):
    # The state first, the data after: what the page shows is never older than its key and
    # its live check's starting point (a change in between is shown, and sent again: harmless).
    state = collab.live_state(f"programme:{programme_id}", session.get("_user_id"), page=True)
    if state is None:  # the account was deactivated a moment ago
        return login_manager.unauthorized()
    programme = services.load_programme(programme_id)
    # The page shows the programme, the people and notes around it, who is here and the user's
    # unread count: with no recorded change anywhere and the same state, the same page. The
    # signed-in user was read before the state: their own row's version covers that gap.
    user = current_user
    key = (programme.id, user.id, user.version, user.organisation.version if user.organisation else None,
           state.latest_anywhere, state.presence_key, state.unread)
    def render_page():
        return _programme_page(programme, state)

    resp = cached_page(key, render_page) if _cacheable_filters() else render_page()
    collab.touch_presence(current_user.id, programme.scope, state.my_last_seen)
    # Remember that this session may follow this programme live (see live()).
    session["live"] = ([programme.id] + [p for p in session.get("live", []) if p != programme.id])[:20]
    return resp


def _cacheable_filters():
    """Only the page's own filters, with values it offers, are worth keeping: anything else in
    the address must not push other pages out of the cache."""
    args = request.args
    return (set(args) <= {"section", "status", "owner"}
            and all(len(v) <= 12 for v in args.values())
            and args.get("status", "") in {"", "overdue", *services.TASK_STATUS_TEXT}
            and all(args.get(k, "0").isdigit() or args.get(k) == "none" for k in ("section", "owner")))


def _programme_page(programme, state):
    data = services.page_data(programme, _filters())
    owners = _owner_choices(programme)
    context = _context(programme)
    return render(PAGE, block="tasks", **context, **data, present=collab.present_users(state),
                  presence_key=state.presence_key, unread_count=state.unread, since=state.latest,
                  activity=collab.recent_events(programme.scope), owners=owners, bulk_form=BulkStatusForm(),
                  task_form=_new_task_form(data, owners), status_labels=services.STATUS_TEXT,
                  # Shared rows are keyed by the right to edit, not to read free text: a reader
                  # without it renders its own (few people, small pages) and never feeds the cache.
                  rendered=rendered_rows(PAGE, data, context) if context["reads_text"] else None)


def _new_task_form(data, owners):
    form = TaskForm(prefix="new")
    form.section_id.choices = [(s.id, s.title[:80]) for s in data["sections"]]
    form.owner_id.choices = owners
    return form


@bp.get("/programmes/<int:programme_id>/live")
def live(programme_id):
    """The open page asks every second: anything new? Nothing new costs one statement (the
    session's user, the newest change, who is here), no ORM objects and no rendering: 204. The
    page proved the user's right to read the programme when it was rendered (kept in the signed
    session); any answer that carries data checks the policy again, so a revoked right never
    leaks anything but "nothing changed"."""
    scope = f"programme:{programme_id}"
    state = collab.live_state(scope, session.get("_user_id"))
    if state is None:
        return login_manager.unauthorized()
    if programme_id not in session.get("live", []):
        policy.load(Programme, programme_id, "view")
    since = request.args.get("since", 0, type=db_int)
    latest, key = state.latest, state.presence_key
    if latest <= since and key == request.args.get("who", ""):
        collab.touch_presence(state.user_id, scope, state.my_last_seen)
        return "", 204
    policy.load(Programme, programme_id, "view")
    present = collab.present_users(state)
    events = collab.events_since(scope, since) if latest > since else []
    programme = services.load_programme(programme_id)
    data = services.page_data(programme, _filters())
    changed_tasks = {e.object_id for e in events if e.object_type == "task" and e.action == "update"}
    changed_sections = {t.section_id for t in data["all_tasks"]
                        if any(e.object_type == "task" and e.object_id == t.id and e.action != "update"
                               for e in events)}
    kinds = {e.object_type for e in events}
    if kinds & {"section"}:
        changed_sections = {s.id for s in data["sections"]}
    ctx = _context(programme, **data, present=present, presence_key=key, since=latest, oob=True,
                   activity=collab.recent_events(scope), owners=_owner_choices(programme),
                   status_labels=services.STATUS_TEXT)
    parts = [render_block(PAGE, "live", **ctx), render_block(PAGE, "presence", **ctx)]
    if events:
        parts += [render_block(PAGE, "overview", **ctx), render_block(PAGE, "activity", **ctx)]
    tasks_by_id = {t.id: t for t in data["all_tasks"]}
    # Table parts travel inside <template>: outside a table the HTML parser would drop them.
    for section in data["sections"]:
        if section.id in changed_sections:
            parts.append("<template>" + render_block(PAGE, "section_body", section=section, **ctx) + "</template>")
    for task_id in changed_tasks:
        task = tasks_by_id.get(task_id)
        if task is not None and task.section_id not in changed_sections:
            parts.append("<template>" + render_block(PAGE, "task_row", task=task, **ctx) + "</template>")
    if kinds & {"indicator", "indicatorvalue"}:
        parts.append(render_block(PAGE, "indicators", **ctx))
    if kinds & {"programme", "goal"}:
        parts.append(render_block(PAGE, "passport", **ctx))
        parts.append(render_block(PAGE, "header", **ctx))
    if kinds & {"periodreport"}:
        parts.append(render_block(PAGE, "reports", **ctx))
    resp = current_app.make_response("".join(parts))
    resp.headers["Vary"] = "HX-Request"
    collab.touch_presence(state.user_id, scope, state.my_last_seen)
    return resp


@bp.post("/programmes/<int:programme_id>/status")
def change_status(programme_id):
    programme = services.load_programme(programme_id, "status")
    form = StatusForm()
    if not form.validate_on_submit():
        abort(422)
    try:
        changed = services.change_status(current_user, programme, form.status.data, form.version.data)
    except Conflict:
        flash(_("Статус уже изменил другой участник. Проверьте текущий статус."), "warning")
        return redirect(url_for("programmes.programme", programme_id=programme.id)), 303
    if not changed:
        abort(403)
    flash(_("Статус программы: %(s)s.", s=services.STATUS_TEXT[programme.status]), "success")
    return redirect(url_for("programmes.programme", programme_id=programme.id))


@bp.get("/programmes/<int:programme_id>/history")
def history(programme_id):
    programme = services.load_programme(programme_id)
    readable = policy.can("read_text", programme)  # history holds the texts before and after
    return render("programmes/history.html", programme=programme, reads_text=readable,
                  events=collab.recent_events(programme.scope, limit=500) if readable else [])


# --- Passport and goals -----------------------------------------------------------------

def _passport_field(field):
    if field not in PASSPORT_LABELS:
        abort(404)
    return field


@bp.get("/programmes/<int:programme_id>/passport/<field>")
def passport_field(programme_id, field):
    programme = services.load_programme(programme_id)
    return _fragment("passport_field", programme, "passport-h", field=_passport_field(field))


@bp.get("/programmes/<int:programme_id>/passport/<field>/edit")
def passport_field_form(programme_id, field):
    programme = services.load_programme(programme_id, "edit")
    from .forms import PassportFieldForm

    form = PassportFieldForm(value=getattr(programme, _passport_field(field)), version=programme.version)
    return _fragment("passport_field_form", programme, "passport-h", field=field, form=form)


@bp.post("/programmes/<int:programme_id>/passport/<field>")
def save_passport_field(programme_id, field):
    programme = services.load_programme(programme_id, "edit")
    from .forms import PassportFieldForm

    form = PassportFieldForm()
    field = _passport_field(field)
    valid = form.validate_on_submit()
    if field == "name" and not (form.value.data or "").strip():
        form.value.errors = [_("Наименование не может быть пустым.")]
        valid = False
    if not valid:
        return _fragment("passport_field_form", programme, "passport-h", 422, field=field, form=form)
    try:
        services.save_passport(current_user, programme, {field: form.value.data}, form.version.data)
    except Conflict as exc:
        form.version.data = exc.current.version
        return _fragment("passport_field_form", programme, "passport-h", 409, field=field, form=form, conflict=exc,
                         labels={field: PASSPORT_LABELS[field]})
    return _fragment("passport_field", programme, "passport-h", field=field)


@bp.post("/programmes/<int:programme_id>/goals")
def add_goal(programme_id):
    programme = services.load_programme(programme_id, "edit")
    form = GoalForm(prefix="goal")
    if not form.validate_on_submit():
        flash(_("Цель не добавлена: %(e)s", e=form_errors(form)), "error")
        return redirect(url_for("programmes.programme", programme_id=programme.id, _anchor="passport")), 303
    services.add_goal(current_user, programme, {f: getattr(form, f).data for f in services.GOAL_FIELDS})
    return redirect(url_for("programmes.programme", programme_id=programme.id, _anchor="passport"))


@bp.get("/goals/<int:goal_id>")
def goal(goal_id):
    goal = policy.load(Goal, goal_id, "view")
    return _fragment("goal", services.load_programme(goal.programme_id), "passport-h", goal=goal)


@bp.route("/goals/<int:goal_id>/edit", methods=["GET", "POST"])
def edit_goal(goal_id):
    goal = policy.load(Goal, goal_id, "edit")
    programme = services.load_programme(goal.programme_id)
    form = GoalForm(obj=goal) if request.method == "GET" else GoalForm()
    if request.method == "GET":
        form.version.data = goal.version
        return _fragment("goal_form", programme, "passport-h", goal=goal, form=form)
    if not form.validate_on_submit():
        return _fragment("goal_form", programme, "passport-h", 422, goal=goal, form=form)
    try:
        services.save_changes(current_user, goal, {f: getattr(form, f).data for f in services.GOAL_FIELDS},
                              form.version.data, scope=programme.scope)
    except Conflict as exc:
        form.version.data = exc.current.version
        return _fragment("goal_form", programme, "passport-h", 409, goal=goal, form=form, conflict=exc,
                         labels={"text": _("Цель"), "justification": _("Обоснование"), "realism": _("Реалистичность")})
    return _fragment("goal", programme, "passport-h", goal=goal)


# --- Sections ----------------------------------------------------------------------

@bp.post("/programmes/<int:programme_id>/sections")
def add_section(programme_id):
    programme = services.load_programme(programme_id, "edit")
    form = SectionForm(prefix="section")
    if not form.validate_on_submit():
        flash(_("Раздел не добавлен: введите название до 400 символов."), "error")
        return redirect(url_for("programmes.programme", programme_id=programme.id, _anchor="plan")), 303
    services.add_section(current_user, programme, form.title.data)
    flash(_("Раздел добавлен."), "success")
    return redirect(url_for("programmes.programme", programme_id=programme.id, _anchor="plan"))


@bp.post("/sections/<int:section_id>/delete")
def delete_section(section_id):
    section = policy.load(Section, section_id, "edit")
    programme_id = section.programme_id
    if not services.delete_section(current_user, section):
        flash(_("Обязательный раздел или раздел с мероприятиями удалить нельзя."), "error")
        return redirect(url_for("programmes.programme", programme_id=programme_id, _anchor="plan")), 303
    flash(_("Раздел удалён."), "success")
    return redirect(url_for("programmes.programme", programme_id=programme_id, _anchor="plan"))


# --- Tasks -------------------------------------------------------------------------

def _task_form(task, programme, formdata=True):
    form = TaskForm() if formdata else TaskForm(obj=task)
    form.section_id.choices = [(s.id, s.title[:80]) for s in db.session.scalars(
        select(Section).where(Section.programme_id == programme.id).order_by(Section.position))]
    form.owner_id.choices = _owner_choices(programme)
    if not formdata:
        form.owner_id.data = task.owner_id or 0
        form.version.data = task.version
    return form


def _task_data(form):
    data = {f: getattr(form, f).data for f in services.TASK_FIELDS}
    data["owner_id"] = data["owner_id"] or None
    return data


def _row(task, programme, status=200, numbers=None, **extra):
    numbers = numbers or services.task_numbers(programme.id, task.section_id)
    return _fragment("task_row", programme, f"task-{task.id}", status, task=task, numbers=numbers,
                     today=services.today(), **extra)


@bp.post("/programmes/<int:programme_id>/tasks")
def add_task(programme_id):
    programme = services.load_programme(programme_id, "edit")
    form = TaskForm(prefix="new")
    form.section_id.choices = [(s.id, s.title) for s in db.session.scalars(
        select(Section).where(Section.programme_id == programme.id))]
    form.owner_id.choices = _owner_choices(programme)
    if not form.validate_on_submit():
        return render("programmes/task_new.html", form=form, programme=programme, status=422)
    task = services.add_task(current_user, programme, _task_data(form))
    flash(_("Мероприятие добавлено."), "success")
    return redirect(url_for("programmes.programme", programme_id=programme.id, _anchor=f"task-{task.id}"))


@bp.get("/tasks/<int:task_id>")
def task(task_id):
    task = services.load_task(task_id, "view")
    programme = services.load_programme(task.programme_id)
    readable = policy.can("read_text", task)  # comments, evidence, files and history name people
    return render("programmes/task.html", task=task, **_context(
        programme, comments=collab.comments_of(task) if readable else [],
        history=history_of(task) if readable else [],
        attachments=uploads.attachments_of(task) if readable else [],
        comment_form=CommentForm(), upload_form=AttachmentForm(),
        links=services.task_links(task) if readable else [],
        numbers=services.task_numbers(
            programme.id, task.section_id), labels=TASK_FIELD_LABELS, today=services.today()))


@bp.get("/tasks/<int:task_id>/row")
def task_row(task_id):
    task = services.load_task(task_id, "view")
    return _row(task, services.load_programme(task.programme_id))


@bp.get("/tasks/<int:task_id>/edit")
def task_form(task_id):
    task = services.load_task(task_id, "edit")
    programme = services.load_programme(task.programme_id)
    return _fragment("task_form", programme, f"task-{task.id}", task=task, form=_task_form(task, programme, False),
                     numbers=services.task_numbers(programme.id, task.section_id))


@bp.post("/tasks/<int:task_id>")
def save_task(task_id):
    task = services.load_task(task_id, "edit")
    programme = services.load_programme(task.programme_id)
    form = _task_form(task, programme)
    numbers = services.task_numbers(programme.id, task.section_id)
    if not form.validate_on_submit():
        return _fragment("task_form", programme, f"task-{task.id}", 422, task=task, form=form, numbers=numbers)
    try:
        services.save_task(current_user, task, _task_data(form), form.version.data)
    except Conflict as exc:
        form.version.data = exc.current.version
        return _fragment("task_form", programme, f"task-{task.id}", 409, task=exc.current, form=form,
                         numbers=numbers, conflict=exc, labels=TASK_FIELD_LABELS)
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
        return _row(exc.current, programme, status=409, conflict=exc, labels=TASK_FIELD_LABELS)
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
    data = services.page_data(programme, _filters())
    section = db.session.get(Section, task.section_id)
    return _fragment("section_body", programme, f"task-{task.id}", section=section, **data)


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
    return redirect(url_for("programmes.programme", programme_id=programme.id, _anchor="plan"))


@bp.post("/tasks/<int:task_id>/comments")
def comment_task(task_id):
    task = services.load_task(task_id, "view")
    programme = services.load_programme(task.programme_id)
    if not policy.can("edit", programme) and not policy.can("review", programme):
        abort(403)
    form = CommentForm()
    if form.validate_on_submit():
        _comment, mentioned = collab.add_comment(current_user, task, form.body.data, programme.scope,
                                                 url_for("programmes.task", task_id=task.id),
                                                 services.participants(programme))
        if mentioned:
            flash(_("Уведомлены: %(names)s.", names=", ".join(u.full_name for u in mentioned)), "info")
    else:
        flash(form_errors(form), "error")
    return redirect(url_for("programmes.task", task_id=task.id, _anchor="comments"))


@bp.post("/tasks/<int:task_id>/attachments")
def upload(task_id):
    task = services.load_task(task_id, "edit")
    attachment, message, category = uploads.attach_from_form(AttachmentForm(), current_user, task,
                                                             f"programme:{task.programme_id}")
    flash(message, category)
    target = redirect(url_for("programmes.task", task_id=task.id, _anchor="evidence"))
    return target if attachment else (target, 303)

# --- Indicators ----------------------------------------------------------------------

def _indicator_fragment(block, programme, indicator, status=200, **ctx):
    return _fragment(block, programme, "indicators-h", status, indicator=indicator,
                     **services.page_data(programme), **ctx)


@bp.post("/programmes/<int:programme_id>/indicators")
def add_indicator(programme_id):
    programme = services.load_programme(programme_id, "edit")
    form = IndicatorForm(prefix="indicator")
    if not form.validate_on_submit():
        flash(_("Показатель не добавлен: %(e)s", e=form_errors(form)), "error")
        return redirect(url_for("programmes.programme", programme_id=programme.id, _anchor="indicators")), 303
    services.add_indicator(current_user, programme, {f: getattr(form, f).data for f in services.INDICATOR_FIELDS})
    return redirect(url_for("programmes.programme", programme_id=programme.id, _anchor="indicators"))


@bp.route("/indicators/<int:indicator_id>/edit", methods=["GET", "POST"])
def edit_indicator(indicator_id):
    indicator = policy.load(Indicator, indicator_id, "edit")
    programme = services.load_programme(indicator.programme_id)
    form = IndicatorForm(obj=indicator) if request.method == "GET" else IndicatorForm()
    if request.method == "GET":
        form.version.data = indicator.version
        return _indicator_fragment("indicator_form", programme, indicator, form=form)
    if not form.validate_on_submit():
        return _indicator_fragment("indicator_form", programme, indicator, 422, form=form)
    try:
        services.save_changes(current_user, indicator, {f: getattr(form, f).data for f in services.INDICATOR_FIELDS},
                              form.version.data, scope=programme.scope)
    except Conflict as exc:
        form.version.data = exc.current.version
        return _indicator_fragment("indicator_form", programme, exc.current, 409, form=form, conflict=exc,
                                   labels={})
    return _indicator_fragment("indicator_row", programme, indicator)


@bp.get("/indicators/<int:indicator_id>")
def indicator_row(indicator_id):
    indicator = policy.load(Indicator, indicator_id, "view")
    programme = services.load_programme(indicator.programme_id)
    return _indicator_fragment("indicator_row", programme, indicator)


def _value(indicator_id, period_id, action):
    indicator = policy.load(Indicator, indicator_id, action)
    period = policy.load(ReportingPeriod, period_id, "view")
    if period.programme_id != indicator.programme_id:
        abort(404)
    return indicator, period, services.value_for(indicator, period)


@bp.get("/indicators/<int:indicator_id>/values/<int:period_id>")
def value_cell(indicator_id, period_id):
    indicator, period, value = _value(indicator_id, period_id, "view")
    programme = services.load_programme(indicator.programme_id)
    return _fragment("value_cell", programme, "indicators-h", indicator=indicator, period=period, value=value)


@bp.route("/indicators/<int:indicator_id>/values/<int:period_id>/edit", methods=["GET", "POST"])
def edit_value(indicator_id, period_id):
    indicator, period, value = _value(indicator_id, period_id, "edit")
    programme = services.load_programme(indicator.programme_id)
    ctx = dict(indicator=indicator, period=period, value=value)
    if services.period_locked(period):
        return _fragment("value_cell", programme, "indicators-h", 422, locked=True, **ctx)
    if request.method == "GET":
        form = ValueForm(target=value.target, actual=value.actual, version=value.version)
        return _fragment("value_form", programme, "indicators-h", form=form, **ctx)
    form = ValueForm()
    if not form.validate_on_submit():
        return _fragment("value_form", programme, "indicators-h", 422, form=form, **ctx)
    try:
        services.save_value(current_user, value, {"target": form.target.data, "actual": form.actual.data},
                            form.version.data)
    except Conflict:
        db.session.rollback()
        fresh = services.value_for(indicator, period)
        form.version.data = fresh.version
        return _fragment("value_form", programme, "indicators-h", 409, form=form, stale=fresh,
                         **dict(ctx, value=fresh))
    return _fragment("value_cell", programme, "indicators-h", **ctx)


# --- Reporting periods and reports -----------------------------------------------------------

@bp.route("/programmes/<int:programme_id>/reports/<int:period_id>", methods=["GET", "POST"])
def report(programme_id, period_id):
    programme = services.load_programme(programme_id)
    period = policy.load(ReportingPeriod, period_id, "view")
    if period.programme_id != programme.id:
        abort(404)
    report = services.report_for(programme, period)
    form = ReportForm(narrative=report.narrative, version=report.version) if request.method == "GET" else ReportForm()
    status = 200
    if request.method == "POST":
        policy.authorize("submit", programme)
        if report.is_locked or report.status == "submitted":
            abort(409)
        if form.validate_on_submit():
            try:
                services.save_report(current_user, report, form.narrative.data, form.version.data)
            except Conflict:
                flash(_("Отчёт уже изменил другой участник: ниже его версия. Внесите правку заново."), "warning")
                return redirect(url_for("programmes.report", programme_id=programme.id, period_id=period.id)), 303
            if request.form.get("submit") == "1":
                try:
                    services.submit_report(current_user, programme, report)
                except Conflict:
                    flash(_("Отчёт уже изменил другой участник. Проверьте и сдайте ещё раз."), "warning")
                    return redirect(url_for("programmes.report", programme_id=programme.id, period_id=period.id)), 303
                flash(_("Отчёт сдан куратору."), "success")
            else:
                flash(_("Черновик отчёта сохранён."), "success")
            return redirect(url_for("programmes.report", programme_id=programme.id, period_id=period.id))
        status = 422
    data = services.page_data(programme)
    return render("programmes/report.html", status=status, report=report, period=period, form=form,
                  review_form=ReviewForm(), **_context(programme, **data))


@bp.post("/programmes/<int:programme_id>/reports/<int:period_id>/review")
def review_report(programme_id, period_id):
    programme = services.load_programme(programme_id, "review")
    period = policy.load(ReportingPeriod, period_id, "view")
    if period.programme_id != programme.id:
        abort(404)
    report = services.report_for(programme, period)
    if report.status != "submitted":
        flash(_("Принять или вернуть можно только сданный отчёт."), "error")
        return redirect(url_for("programmes.report", programme_id=programme.id, period_id=period.id)), 303
    form = ReviewForm()
    if not form.validate_on_submit():
        flash(form_errors(form), "error")
        return redirect(url_for("programmes.report", programme_id=programme.id, period_id=period.id)), 303
    try:
        services.review_report(current_user, programme, report, form.feedback.data, form.decision.data == "accept")
    except Conflict:
        flash(_("Отчёт уже изменил другой участник. Проверьте его и повторите."), "warning")
        return redirect(url_for("programmes.report", programme_id=programme.id, period_id=period.id)), 303
    flash(_("Отчёт принят и закрыт для изменений.") if report.is_locked else _("Отчёт возвращён школе."), "success")
    return redirect(url_for("programmes.report", programme_id=programme.id, period_id=period.id))
