"""The open programme page's live check: "anything new since revision R?"."""
from flask import request, session
from flask_login import current_user

from ... import policy
from ...collab import services as collab
from ...extensions import login_manager
from ...forms import db_int
from ...htmx import respond
from .. import bp, services
from ..models import Programme
from .shared import PAGE, add_forms, context, filters, owner_choices, page_url


@bp.get("/programmes/<int:programme_id>/live")
def live(programme_id):
    """The open page asks every second: anything new since the programme's revision it shows?
    Nothing new costs one statement (the session's user, the scope's revision, who is here), no
    ORM objects and no rendering: 204. The page proved the user's right to read the programme
    when it was rendered (kept in the signed session); any answer that carries data checks the
    policy again, so a revoked right never leaks anything but "nothing changed"."""
    scope = f"programme:{programme_id}"
    state = collab.live_state(scope, session.get("_user_id"))
    if state is None:
        return login_manager.unauthorized()
    if programme_id not in session.get("live", []):
        policy.load(Programme, programme_id, "view")
    since = request.args.get("since", 0, type=db_int)
    if since == state.latest and state.presence_key == request.args.get("who", ""):
        collab.touch_presence(state.user_id, scope, state.my_last_seen)
        return "", 204
    programme = services.load_programme(programme_id)
    # A number above the scope's revision is not one of its revisions: show what changed lately.
    events = collab.events_since(scope, since if since < state.latest else 0) if since != state.latest else []
    data = services.page_data(programme, filters())
    parts, changed = changed_parts(events, data)
    # `oob` in the template context marks the blocks as out-of-band swaps.
    resp = respond(PAGE, "live", fallback=page_url(programme), oob=parts,
                   context=lambda: context(programme, oob=True),
                   **data, **changed, **add_forms(), present=collab.present_users(state),
                   presence_key=state.presence_key, since=state.latest, activity=collab.recent_events(scope),
                   owners=owner_choices(programme), transitions=services.allowed_transitions(programme, current_user))
    collab.touch_presence(state.user_id, scope, state.my_last_seen)
    return resp


def changed_parts(events, data):
    """Which blocks of the page the events touch: (block names sent out of band, their context).
    A changed task sends its row; a task added, moved or commented on sends its section; a
    section added or removed sends every section."""
    parts = ["presence"]
    if events:
        parts += ["overview", "activity"]
    kinds = {e.object_type for e in events}
    task_events = [e for e in events if e.object_type == "task"]
    updated = {e.object_id for e in task_events if e.action == "update"}
    reordered = {e.object_id for e in task_events if e.action != "update"}
    if "section" in kinds:
        sections = {s.id for s in data["sections"]}
    else:
        sections = {t.section_id for t in data["all_tasks"] if t.id in reordered}
    body_sections = [s for s in data["sections"] if s.id in sections]
    rows = [t for t in data["all_tasks"] if t.id in updated and t.section_id not in sections]
    if body_sections:
        parts.append("section_bodies")
    if rows:
        parts.append("task_rows")
    if kinds & {"indicator", "indicatorvalue"}:
        parts.append("indicators")
    if kinds & {"programme", "goal"}:
        parts += ["passport", "header"]
    if "periodreport" in kinds:
        parts.append("reports")
    return parts, {"body_sections": body_sections, "rows": rows}
