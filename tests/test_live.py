"""Working together: the live change feed, presence, query budget, and concurrent saves."""
import threading
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from app.activity.models import ActivityEvent
from app.extensions import db
from app.programmes.models import Task
from helpers import csrf_token


@contextmanager
def count_queries(app):
    with app.app_context():
        engine = db.engine
    statements = []

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)


def _latest(app, programme_id):
    """The programme's revision: what the page's live check starts from."""
    from app.activity.services import revision_of

    with app.app_context():
        return revision_of(f"programme:{programme_id}")


def _poll(auth, programme_id, since, who):
    return auth.client.get(f"/programmes/{programme_id}/live?since={since}&who={who}", headers={"HX-Request": "true"})


def test_nothing_changed_is_204_and_cheap(app, login_as, demo):
    school = login_as("school")
    pid = demo["programme"]
    page = school.client.get(f"/programmes/{pid}").get_data(as_text=True)
    since = _latest(app, pid)
    assert f"since={since}" in page
    who = page.split("who=", 1)[1].split('"', 1)[0].split("&", 1)[0]
    with count_queries(app) as statements:
        resp = _poll(school, pid, since, who)
    assert resp.status_code == 204 and resp.data == b""
    # One statement: the user, the newest change, who is here (the presence write is due only
    # every few seconds and was just made by the page).
    assert len(statements) == 1, statements


def test_a_change_reaches_the_other_page(app, login_as, demo):
    school, tutor = login_as("school"), login_as("tutor")
    pid = demo["programme"]
    school.client.get(f"/programmes/{pid}")
    tutor.client.get(f"/programmes/{pid}")
    since = _latest(app, pid)
    with app.app_context():
        task = db.session.scalar(sa.select(Task).where(Task.programme_id == pid, Task.status == "planned"))
    saved = school.htmx_post(f"/tasks/{task.id}/status", {"status": "in_progress", "version": str(task.version)})
    assert saved.status_code == 200
    resp = _poll(tutor, pid, since, "stale")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert f'id="task-{task.id}"' in html and 'hx-swap-oob="true"' in html
    assert 'value="in_progress" selected' in html
    assert 'id="live"' in html and f"since={_latest(app, pid)}" in html
    assert 'id="overview"' in html  # the totals follow the change
    assert "Иванов Сергей Александрович" in html and "Петрова Елена Николаевна" in html  # who is here


def test_presence_lists_who_has_the_page_open(app, login_as, demo):
    school, curator = login_as("school"), login_as("curator")
    pid = demo["programme"]
    curator.client.get(f"/programmes/{pid}")
    page = school.client.get(f"/programmes/{pid}").get_data(as_text=True)
    presence = page.split('id="presence"', 1)[1].split("</p>", 1)[0]
    assert "Смирнова Ольга Викторовна" in presence and "Иванов Сергей Александрович" in presence
    assert "Петрова" not in presence  # the tutor has not opened it


def _build_programme(app, sections=4, tasks=150, indicators=30):
    from app.demo.synthetic import build_programme

    with app.app_context():
        return build_programme(sections=sections, tasks=tasks, indicators=indicators)


def test_programme_page_uses_a_constant_number_of_queries(app, login_as):
    small = _build_programme(app, sections=2, tasks=5, indicators=2)
    big = _build_programme(app, sections=4, tasks=150, indicators=30)
    admin = login_as("admin")
    counts = {}
    for pid in (small, big):
        admin.client.get(f"/programmes/{pid}")  # presence row exists from here on
        with count_queries(app) as statements:
            resp = admin.client.get(f"/programmes/{pid}")
        assert resp.status_code == 200
        counts[pid] = len(statements)
    assert counts[big] <= 15, counts
    assert counts[big] == counts[small], counts
    html = admin.client.get(f"/programmes/{big}").get_data(as_text=True)
    assert html.count('class="task ') == 150 and html.count('class="value-cell"') == 240


@pytest.mark.parametrize("threads", [20])
def test_concurrent_saves_of_one_task(app, demo, threads):
    """20 users save the same task at once: one wins per version, the rest get 409, none 5xx,
    and every accepted write is in the history."""
    from helpers import Auth

    pid = demo["programme"]
    with app.app_context():
        task = db.session.scalar(sa.select(Task).where(Task.programme_id == pid, Task.status == "planned"))
        task_id, version = task.id, task.version
        before = db.session.scalar(sa.select(sa.func.count()).select_from(ActivityEvent).where(
            ActivityEvent.object_type == "task", ActivityEvent.object_id == task_id))
    users = ["school", "tutor", "curator", "admin", "school-deputy@opora.demo"]
    clients = []
    for i in range(threads):
        auth = Auth(app.test_client())
        auth.login(users[i % len(users)])
        clients.append(auth)
    barrier = threading.Barrier(threads)
    results = [None] * threads

    def save(i):
        auth = clients[i]
        barrier.wait()
        resp = auth.client.post(f"/tasks/{task_id}/status", data={"status": ("in_progress", "done")[i % 2],
                                                                   "version": str(version)},
                                headers={"HX-Request": "true", "X-CSRFToken": auth.token})
        results[i] = resp.status_code

    workers = [threading.Thread(target=save, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert all(code in (200, 409) for code in results), results
    accepted = results.count(200)
    assert accepted == 1, results
    with app.app_context():
        after = db.session.scalar(sa.select(sa.func.count()).select_from(ActivityEvent).where(
            ActivityEvent.object_type == "task", ActivityEvent.object_id == task_id))
        assert after - before == accepted
        assert db.session.get(Task, task_id).version == version + accepted
    assert csrf_token(clients[0].client)


def test_rows_follow_every_change(app, login_as, demo):
    """A changed task shows at once on another user's page, and each user gets the row their
    rights allow."""
    school, tutor = login_as("school"), login_as("tutor")
    pid = demo["programme"]
    school.client.get(f"/programmes/{pid}")
    with app.app_context():
        task = db.session.scalar(sa.select(Task).where(Task.programme_id == pid, Task.status == "planned"))
    saved = tutor.htmx_post(f"/tasks/{task.id}/status", {"status": "done", "version": str(task.version)})
    assert saved.status_code == 200
    page = school.client.get(f"/programmes/{pid}").get_data(as_text=True)
    row = page.split(f'id="task-{task.id}"', 1)[1].split("</tr>", 1)[0]
    assert 'value="done" selected' in row and f"hx-vals='{{\"version\":{task.version + 1}}}'" in row
    # Another user (another CSRF token, other rights) never gets the school's rendered rows.
    observer_page = login_as("observer").client.get(f"/programmes/{pid}").get_data(as_text=True)
    observer_row = observer_page.split(f'id="task-{task.id}"', 1)[1].split("</tr>", 1)[0]
    assert "<select" not in observer_row and "csrf_token" not in observer_row


def test_live_check_needs_a_valid_session(app, login_as, demo):
    """The live check authenticates itself (without the ORM user): a logged-out or deactivated
    session gets 401 with HX-Redirect, like every other page."""
    school = login_as("school")
    pid = demo["programme"]
    school.client.get(f"/programmes/{pid}")
    stolen = school.client.get_cookie("session").value
    school.logout()
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    resp = thief.get(f"/programmes/{pid}/live?since=0&who=x", headers={"HX-Request": "true"})
    assert resp.status_code == 401 and resp.headers["HX-Redirect"].endswith("/login")
    # A right lost after the page was opened: nothing but "nothing changed" may pass.
    tutor = login_as("tutor2@opora.demo")
    assert tutor.client.get(f"/programmes/{pid}/live?since=0&who=x").status_code == 403
