"""Lean plan rows: one control each, no per-row forms or CSRF inputs (htmx sends the page's
token in a header); the task's page is the way to edit without JavaScript; the page answers
304 from its ETag while nothing it shows changed."""
import re

import sqlalchemy as sa

from app.extensions import db
from app.programmes.models import Task

ROW = re.compile(r'<tr id="task-(\d+)".*?</tr>', re.S)


def _task(app, pid, status="planned"):
    with app.app_context():
        task = db.session.scalar(sa.select(Task).where(Task.programme_id == pid, Task.status == status)
                                 .order_by(Task.id))
        return task.id, task.version, task.section_id


def test_rows_carry_one_control_and_no_forms(app, login_as, demo):
    school = login_as("school")
    pid = demo["programme"]
    html = school.client.get(f"/programmes/{pid}").get_data(as_text=True)
    rows = ROW.findall(html)
    assert rows
    for match in ROW.finditer(html):
        row, task_id = match.group(0), match.group(1)
        assert "<form" not in row and "csrf_token" not in row, row
        assert row.count("<select") == 1 and f'hx-post="/tasks/{task_id}/status"' in row
        assert 'hx-target="closest tr"' in row and "hx-vals='{\"version\":" in row
        assert f'<a href="/tasks/{task_id}">' in row  # the title: the task's page
        assert row.count("<button") == 2 and "hx-post" in row.split("<button", 1)[1]
    # The page's token once, in the meta tag that app.js puts in every htmx request's header.
    assert html.count('name="csrf-token"') == 1
    assert html.count("<form") < 15


def test_the_status_control_saves_with_the_header_token(app, login_as, demo):
    school = login_as("school")
    pid = demo["programme"]
    task_id, version, _section = _task(app, pid)
    resp = school.client.post(f"/tasks/{task_id}/status", data={"status": "done", "version": str(version)},
                              headers={"HX-Request": "true", "X-CSRFToken": school.token})
    assert resp.status_code == 200
    row = resp.get_data(as_text=True)
    assert row.lstrip().startswith(f'<tr id="task-{task_id}" class="task status-done') and "<html" not in row
    assert "HX-Request" in resp.headers["Vary"]
    # Without the header (and no form token) the same request is refused.
    refused = school.client.post(f"/tasks/{task_id}/status", data={"status": "planned", "version": str(version + 1)},
                                 headers={"HX-Request": "true"})
    assert refused.status_code == 400
    with app.app_context():
        assert db.session.get(Task, task_id).status == "done"


def test_the_task_page_edits_without_javascript(app, login_as, demo):
    school = login_as("school")
    pid = demo["programme"]
    task_id, version, section_id = _task(app, pid)
    page = school.client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'id="edit"' in page and f'action="/tasks/{task_id}"' in page and f"/tasks/{task_id}/move/up" in page
    form = {"section_id": str(section_id), "title": "Новое название без JavaScript", "due_date": "",
            "expected_result": "", "responsible": "", "owner_id": "0", "status": "in_progress", "evidence": ""}
    stale = school.post(f"/tasks/{task_id}", data={**form, "version": str(version + 5)})
    assert stale.status_code == 409 and 'class="conflict"' in stale.get_data(as_text=True)
    empty = school.post(f"/tasks/{task_id}", data={**form, "title": "", "version": str(version)})
    assert empty.status_code == 422 and "<html" in empty.get_data(as_text=True)
    saved = school.post(f"/tasks/{task_id}", data={**form, "version": str(version)})
    assert saved.status_code == 303 and saved.headers["Location"].endswith(f"/tasks/{task_id}")
    with app.app_context():
        task = db.session.get(Task, task_id)
        assert task.title == "Новое название без JavaScript" and task.status == "in_progress"
    moved = school.post(f"/tasks/{task_id}/move/down")
    assert moved.status_code == 303 and moved.headers["Location"].endswith(f"/tasks/{task_id}")


def test_a_move_answers_the_section_out_of_band(app, login_as, demo):
    school = login_as("school")
    pid = demo["programme"]
    task_id, _version, section_id = _task(app, pid)
    resp = school.htmx_post(f"/tasks/{task_id}/move/down")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert html.lstrip().startswith("<template>") and f'<tbody id="section-{section_id}" hx-swap-oob="true"' in html
    assert html.count("hx-swap-oob") == 1  # the rows inside the section are not swapped again


def test_the_page_answers_304_until_its_programme_changes(app, login_as, demo):
    school, tutor = login_as("school"), login_as("tutor")
    pid = demo["programme"]
    school.client.get(f"/programmes/{pid}")  # the session's CSRF secret exists from here on
    first = school.client.get(f"/programmes/{pid}")
    etag = first.headers["ETag"]
    assert first.status_code == 200 and first.headers["Cache-Control"] == "private, no-cache"
    again = school.client.get(f"/programmes/{pid}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    # Another user's copy is another page.
    tutor_page = tutor.client.get(f"/programmes/{pid}", headers={"If-None-Match": etag})
    assert tutor_page.status_code == 200
    task_id, version, _section = _task(app, pid)
    assert tutor.htmx_post(f"/tasks/{task_id}/status", {"status": "done", "version": str(version)}).status_code == 200
    changed = school.client.get(f"/programmes/{pid}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    row = changed.get_data(as_text=True).split(f'id="task-{task_id}"', 1)[1].split("</tr>", 1)[0]
    assert 'value="done" selected' in row


def test_a_change_in_another_programme_keeps_the_etag(app, login_as, demo):
    from app.demo.synthetic import build_programme

    with app.app_context():
        other = build_programme(sections=1, tasks=2, indicators=0)
    admin = login_as("admin")
    pid = demo["programme"]
    admin.client.get(f"/programmes/{pid}")
    etag = admin.client.get(f"/programmes/{pid}").headers["ETag"]
    with app.app_context():
        task = db.session.scalar(sa.select(Task).where(Task.programme_id == other))
        task_id, version = task.id, task.version
    assert admin.htmx_post(f"/tasks/{task_id}/status", {"status": "done", "version": str(version)}).status_code == 200
    assert admin.client.get(f"/programmes/{pid}", headers={"If-None-Match": etag}).status_code == 304


def test_a_flashed_message_is_never_hidden_by_a_304(app, login_as, demo):
    admin = login_as("admin")
    pid = demo["programme"]
    admin.client.get(f"/programmes/{pid}")
    etag = admin.client.get(f"/programmes/{pid}").headers["ETag"]
    with admin.client.session_transaction() as sess:
        sess["_flashes"] = [("success", "Проверочное сообщение")]
    resp = admin.client.get(f"/programmes/{pid}", headers={"If-None-Match": etag})
    assert resp.status_code == 200 and "Проверочное сообщение" in resp.get_data(as_text=True)
    assert "ETag" not in resp.headers


def test_a_damaged_version_in_the_status_control_is_a_400(app, login_as, demo):
    from helpers import database_fingerprint

    school = login_as("school")
    pid = demo["programme"]
    task_id, _version, _section = _task(app, pid)
    before = database_fingerprint(app)
    for bad in ("", "1.5", "-1", "x", "9" * 40):
        resp = school.htmx_post(f"/tasks/{task_id}/status", {"status": "done", "version": bad})
        assert resp.status_code == 400, (bad, resp.status_code)
    assert database_fingerprint(app) == before
