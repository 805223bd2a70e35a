"""The list of programmes, a new programme, the programme page, its status and history."""
import hashlib
import time

from flask import abort, flash, make_response, redirect, request, session
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ... import policy
from ...collab import services as collab
from ...editing import Conflict
from ...extensions import login_manager
from ...forms import db_int
from ...htmx import is_fragment_request, render
from ...orgs.models import Partnership
from .. import bp, services
from ..forms import PROGRAMME_STATUS_LABELS, BulkStatusForm, ProgrammeCreateForm, StatusForm, TaskForm
from .shared import PAGE, add_forms, context, filters, owner_choices, page_url


@bp.get("/programmes")
def programmes():
    policy.require("view")
    return render("programmes/list.html", programmes=services.programmes_for_user(),
                  reads_text=policy.reads_text())


@bp.route("/programmes/new", methods=["GET", "POST"])
def new_programme():
    policy.require("create_programme")
    form = ProgrammeCreateForm()
    choices = services.partnerships_for_new_programme(current_user)
    if not choices:
        abort(403)
    form.partnership_id.choices = [(p.id, f"{p.school.short_name} ← {p.tutor_school.short_name}, {p.years_label}")
                                   for p in choices]
    if request.method == "GET":
        form.partnership_id.data = request.args.get("partnership", type=db_int)
        form.start_year.data = next((p.start_year for p in choices if p.id == form.partnership_id.data), None)
    if form.validate_on_submit():
        partnership = policy.load(Partnership, form.partnership_id.data, "view")
        error = services.programme_years_error(partnership, form.start_year.data)
        if services.programme_exists(partnership, form.start_year.data):
            form.start_year.errors.append(_("Программа на эти годы уже есть."))
        elif error:
            form.start_year.errors.append(error)
        else:
            programme = services.create_programme(current_user, partnership, form.start_year.data)
            flash(_("Программа создана по шаблону: четыре обязательных раздела и восемь отчётных периодов."), "success")
            return redirect(page_url(programme))
    return render("programmes/new.html", form=form, status=422 if request.method == "POST" else 200)


@bp.get("/programmes/<int:programme_id>")
def programme(programme_id):
    # The state first, the data after: what the page shows is never older than its revision
    # (the live check's starting point and the ETag); a change in between is shown, and sent
    # again by the live check: harmless.
    state = collab.live_state(f"programme:{programme_id}", session.get("_user_id"), page=True)
    if state is None:  # the account was deactivated a moment ago
        return login_manager.unauthorized()
    programme = services.load_programme(programme_id)
    # Remember that this session may follow this programme live (see live.live()).
    session["live"] = ([programme.id] + [p for p in session.get("live", []) if p != programme.id])[:20]
    etag = None if session.get("_flashes") else _page_etag(state)  # a flashed message shows once
    if etag and etag in request.if_none_match:
        resp = make_response("", 304)  # the browser's copy is this page: nothing rendered
    else:
        resp = _programme_page(programme, state)
    if etag:
        resp.set_etag(etag)
        resp.headers["Cache-Control"] = "private, no-cache"  # kept by the browser, always asked again
    resp.headers["Vary"] = "HX-Request"
    collab.touch_presence(current_user.id, programme.scope, state.my_last_seen)
    return resp


# The ETag's age limit: names of people and schools come from outside the programme's scope
# (an administrator renames an owner), so a copy is reused for at most this long.
ETAG_SECONDS = 60


def _page_etag(state):
    """What the page shows beyond its address: the programme's revision, who asks (their row's
    version: name, role), in which language, on which day, who is here, the unread count, the
    session's CSRF secret (the page carries its token) and whether a fragment was asked for."""
    user = current_user
    key = (state.latest, user.id, user.version, str(get_locale()), services.today().isoformat(),
           state.presence_key, state.unread, session.get("csrf_token"), is_fragment_request(),
           int(time.time() // ETAG_SECONDS), request.full_path)
    return hashlib.sha256(repr(key).encode()).hexdigest()[:32]


def _programme_page(programme, state):
    data = services.page_data(programme, filters())
    owners = owner_choices(programme)
    return render(PAGE, block="tasks", **context(programme), **data, present=collab.present_users(state),
                  presence_key=state.presence_key, unread_count=state.unread, since=state.latest,
                  activity=collab.recent_events(programme.scope), owners=owners, bulk_form=BulkStatusForm(),
                  task_form=_new_task_form(data, owners), **add_forms(),
                  transitions=services.allowed_transitions(programme, current_user))


def _new_task_form(data, owners):
    form = TaskForm(prefix="new")
    form.section_id.choices = [(s.id, s.title[:80]) for s in data["sections"]]
    form.owner_id.choices = owners
    return form


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
        return redirect(page_url(programme)), 303
    if not changed:
        abort(403)
    flash(_("Статус программы: %(s)s.", s=PROGRAMME_STATUS_LABELS[programme.status]), "success")
    return redirect(page_url(programme))


@bp.get("/programmes/<int:programme_id>/history")
def history(programme_id):
    programme = services.load_programme(programme_id)
    readable = policy.can("read_text", programme)  # history holds the texts before and after
    return render("programmes/history.html", programme=programme, reads_text=readable,
                  events=collab.recent_events(programme.scope, limit=500) if readable else [])
