"""The programme page is reused while nothing it shows changed, and never served stale or to
another session."""
import re

import sqlalchemy as sa

from app.accounts.models import User
from app.extensions import db
from app.programmes.models import Task
from test_live import count_queries

TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def _page(auth, pid):
    resp = auth.client.get(f"/programmes/{pid}")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def _task(app, pid):
    with app.app_context():
        task = db.session.scalar(sa.select(Task).where(Task.programme_id == pid, Task.status == "planned")
                                 .order_by(Task.id))
        return task.id, task.version, task.title


def test_an_unchanged_page_is_reused_with_few_queries(app, login_as, demo):
    admin = login_as("admin")
    pid = demo["programme"]
    first = _page(admin, pid)
    with count_queries(app) as statements:
        second = _page(admin, pid)
    assert second == first
    # The user, the programme and the rights to it, the page's state: no page data, no rendering.
    assert len(statements) <= 6, statements
    assert not any("FROM task" in s for s in statements), statements


def test_a_change_by_another_user_shows_at_once(app, login_as, demo):
    admin, school = login_as("admin"), login_as("school")
    pid = demo["programme"]
    task_id, version, _title = _task(app, pid)
    before = _page(admin, pid)
    assert school.htmx_post(f"/tasks/{task_id}/status", {"status": "done", "version": str(version)}).status_code == 200
    after = _page(admin, pid)
    assert after != before
    assert f'<tr id="task-{task_id}" class="task status-planned' in before
    assert f'<tr id="task-{task_id}" class="task status-done' in after


def test_a_change_outside_the_programme_shows_too(app, login_as, demo):
    """A task owner renamed by the administrator: no event in the programme's scope."""
    admin, other_admin = login_as("admin"), login_as("admin")
    pid = demo["programme"]
    with app.app_context():
        owner = db.session.scalar(sa.select(User).join(Task, Task.owner_id == User.id).where(Task.programme_id == pid))
        form = {"email": owner.email, "full_name": "Переименованная Ольга Ивановна", "position": owner.position,
                "role": owner.role, "organisation_id": str(owner.organisation_id or 0), "version": str(owner.version)}
    assert "Переименованная" not in _page(admin, pid)
    assert other_admin.post(f"/admin/users/{owner.id}", data=form).status_code == 302
    assert "Переименованная Ольга Ивановна" in _page(admin, pid)


def test_each_session_gets_its_own_page(app, login_as, demo):
    pid = demo["programme"]
    admin, curator, admin_again = login_as("admin"), login_as("curator"), login_as("admin")
    first = _page(admin, pid)
    reused = _page(admin, pid)
    assert reused == first  # nothing changed: the same page, the same (still valid) token
    assert admin.client.post("/notifications/read", headers={"X-CSRFToken": TOKEN.search(reused).group(1)}
                             ).status_code == 302
    pages = [_page(curator, pid), _page(admin_again, pid)]
    with app.app_context():
        names = {u.email: u.full_name for u in db.session.scalars(sa.select(User))}
    header = pages[0].split("<main")[0]
    assert names["curator@opora.demo"] in header and names["admin@opora.demo"] not in header
    tokens = {TOKEN.search(p).group(1) for p in [first, *pages]}
    assert len(tokens) == 3  # another user, and the same user in another session, get their own


def _presence(page):
    return page.split('id="presence"', 1)[1].split("</p>", 1)[0]


def _unread_badge(page):
    match = re.search(r'id="unread-count">(\d+)<', page)
    return int(match.group(1)) if match else 0


def test_presence_and_notifications_are_never_stale(app, login_as, demo):
    pid = demo["programme"]
    admin, tutor = login_as("admin"), login_as("tutor")
    with app.app_context():
        tutor_name = db.session.scalar(sa.select(User.full_name).where(User.email == "tutor@opora.demo"))
    first = _page(admin, pid)
    assert tutor_name not in _presence(first)
    _page(tutor, pid)  # the tutor opens the page: now present
    assert tutor_name in _presence(_page(admin, pid))
    # Reading notifications changes the badge on the next view (no change is recorded for it).
    unread = _unread_badge(_page(tutor, pid))
    assert unread > 0
    assert tutor.post("/notifications/read").status_code == 302
    assert _unread_badge(_page(tutor, pid)) == 0


def test_flashed_messages_are_shown_once(app, login_as, demo):
    admin = login_as("admin")
    pid = demo["programme"]
    _page(admin, pid)
    with admin.client.session_transaction() as sess:
        sess["_flashes"] = [("success", "Проверочное сообщение")]
    assert "Проверочное сообщение" in _page(admin, pid)
    assert "Проверочное сообщение" not in _page(admin, pid)


def test_rows_are_shared_between_sessions_but_carry_each_sessions_token(app, login_as, demo):
    from app.programmes.render_cache import TOKEN_STAND_IN

    pid = demo["programme"]
    school, tutor = login_as("school"), login_as("tutor")  # both may edit: the same rows
    first = _page(school, pid)
    rows_cached = len(app.extensions["opora_row_cache"].data)
    second = _page(tutor, pid)
    assert len(app.extensions["opora_row_cache"].data) == rows_cached  # nothing rendered again
    for page in (first, second):
        token = TOKEN.search(page).group(1)
        in_forms = set(re.findall(r'name="csrf_token" value="([^"]+)"', page))
        assert in_forms == {token} and page.count(token) > 10
        assert TOKEN_STAND_IN not in page
    assert TOKEN.search(first).group(1) != TOKEN.search(second).group(1)
    # The token in a row's form works for its own session.
    task_id, version, _title = _task(app, pid)
    row_token = re.search(rf'<tr id="task-{task_id}".*?name="csrf_token" value="([^"]+)"', second, re.S).group(1)
    resp = tutor.client.post(f"/tasks/{task_id}/status", data={"status": "done", "version": version,
                                                                "csrf_token": row_token})
    assert resp.status_code in (200, 303)
    with app.app_context():
        assert db.session.get(Task, task_id).status == "done"


def test_a_change_while_the_page_is_read_is_never_hidden(app, login_as, demo, monkeypatch):
    """A change committed after the user was loaded but before the page's state is read: the
    page shows it (its data is read after the state), so neither a reload nor the live check
    can stay on the old version."""
    from app.activity.models import ActivityEvent
    from app.collab import services as collab
    from app.programmes.models import Programme

    admin = login_as("admin")
    pid = demo["programme"]
    real = collab.live_state
    injected = []

    def change_then_read(scope, token, page=False):
        if page and not injected:
            with db.engine.begin() as conn:
                conn.execute(sa.update(Programme).where(Programme.id == pid).values(
                    name="Переименована в ту же секунду", version=Programme.version + 1))
                municipality_id = conn.execute(sa.select(Programme.municipality_id).where(Programme.id == pid)).scalar()
                conn.execute(sa.insert(ActivityEvent).values(
                    municipality_id=municipality_id, object_type="programme", object_id=pid, scope=f"programme:{pid}",
                    action="update", summary="name", changes={}, created_at=sa.func.current_timestamp()))
            injected.append(True)
        return real(scope, token, page)

    monkeypatch.setattr(collab, "live_state", change_then_read)
    assert "Переименована в ту же секунду" in _page(admin, pid)
    assert "Переименована в ту же секунду" in _page(admin, pid)


def test_addresses_with_unknown_parameters_are_not_kept(app, login_as, demo):
    admin = login_as("admin")
    pid = demo["programme"]
    _page(admin, pid)
    cache = app.extensions["opora_page_cache"]
    kept = len(cache.data)
    for i in range(5):
        assert admin.client.get(f"/programmes/{pid}?junk={i}").status_code == 200
    assert admin.client.get(f"/programmes/{pid}?status=nonsense").status_code == 200
    assert len(cache.data) == kept
    assert admin.client.get(f"/programmes/{pid}?status=done").status_code == 200
    assert len(cache.data) == kept + 1
