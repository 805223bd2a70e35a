"""The visits area answers htmx and plain forms one way (htmx.respond / htmx.render): the
recommendation row as a block with Vary, a no-JavaScript save as a 303 back to the page with the
outcome flashed, a refusal that keeps nothing; the deadline reminders commit in batches."""
import re
from datetime import date, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import Notification, Recommendation, Visit  # every model, so the mappers configure
from helpers import database_fingerprint


def _open_rec(app, demo):
    with app.app_context():
        rec = db.session.scalar(sa.select(Recommendation).where(
            Recommendation.partnership_id == demo["partnership"], Recommendation.status == "open")
            .order_by(Recommendation.id))
        return rec.id, rec.version


def _flashes(client):
    with client.session_transaction() as session:
        return session.get("_flashes", [])


def test_htmx_status_save_answers_the_row_only(app, login_as, demo):
    rec_id, version = _open_rec(app, demo)
    curator = login_as("curator")
    resp = curator.htmx_post(f"/recommendations/{rec_id}/status", {"status": "in_work", "version": str(version)})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "HX-Request" in resp.headers["Vary"]
    assert "<html" not in html and html.strip().startswith(f'<li id="rec-{rec_id}"')
    # The control is the WTForms form, filled in from the saved row: its new version, its status.
    assert f'value="{version + 1}"' in html
    assert re.search(r'<option selected value="in_work">', html)
    with app.app_context():
        assert db.session.get(Recommendation, rec_id).status == "in_work"


def test_no_js_status_save_is_a_303_back_with_a_flash(app, login_as, demo):
    rec_id, version = _open_rec(app, demo)
    school = login_as("school")
    resp = school.post(f"/recommendations/{rec_id}/status", data={"status": "in_work", "version": version})
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/recommendations/{rec_id}")
    assert [c for c, _m in _flashes(school.client)] == ["success"]
    with app.app_context():
        assert db.session.get(Recommendation, rec_id).status == "in_work"


def test_no_js_refused_status_save_writes_nothing(app, login_as, demo):
    """Without a reason «не принята» is refused: a 303 with the reason flashed, nothing written."""
    rec_id, version = _open_rec(app, demo)
    curator = login_as("curator")
    before = database_fingerprint(app)
    resp = curator.post(f"/recommendations/{rec_id}/status", data={"status": "rejected", "reason": "",
                                                                   "version": version})
    assert resp.status_code == 303
    assert any(c == "error" and "Укажите причину" in m for c, m in _flashes(curator.client))
    assert database_fingerprint(app) == before


def test_no_js_refusal_rolls_back_what_the_service_flushed(app, login_as, demo, monkeypatch):
    """A conflict found after the service wrote: the redirect is a 303, yet nothing is committed."""
    from app.versioning import Conflict
    from app.visits import services

    def half_then_conflict(actor, rec, status, reason, version, visit=None):
        rec.reason = "записано до отказа"
        db.session.flush()
        raise Conflict(rec, {"status": status})

    monkeypatch.setattr(services, "respond", half_then_conflict)
    rec_id, version = _open_rec(app, demo)
    curator = login_as("curator")
    before = database_fingerprint(app)
    resp = curator.post(f"/recommendations/{rec_id}/status", data={"status": "done", "version": version})
    assert resp.status_code == 303
    assert [c for c, _m in _flashes(curator.client)] == ["warning"]  # the standard 409 message
    assert database_fingerprint(app) == before
    # With htmx the same refusal is a 409 row with theirs and mine, and also keeps nothing.
    resp = curator.htmx_post(f"/recommendations/{rec_id}/status", {"status": "done", "version": str(version)})
    assert resp.status_code == 409 and 'class="conflict"' in resp.get_data(as_text=True)
    assert database_fingerprint(app) == before


def test_refused_visit_submit_is_a_303_that_keeps_nothing(app, login_as, demo):
    curator = login_as("curator")
    with app.app_context():
        visit = db.session.get(Visit, demo["visit"])
        partnership = visit.partnership_id
    resp = curator.post("/visits/new", data={"partnership_id": partnership, "visit_date": "2026-11-20",
                                             "format": "interview", "purpose": "Собеседование", "findings": ""})
    visit_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    before = database_fingerprint(app)
    resp = curator.post(f"/visits/{visit_id}/submit")  # no findings yet
    assert resp.status_code == 303 and "выводы" in _flashes(curator.client)[-1][1]
    assert database_fingerprint(app) == before
    # The page offers what services.visit_actions says: a draft is edited and sent.
    page = curator.client.get(f"/visits/{visit_id}").get_data(as_text=True)
    assert f'action="/visits/{visit_id}/submit"' in page and "Выезд состоялся" not in page
    observer_page = login_as("observer").client.get(f"/visits/{visit_id}")
    assert observer_page.status_code == 200 and "/submit" not in observer_page.get_data(as_text=True)


def test_visit_search_by_school_or_participant(app, login_as, demo):
    admin = login_as("admin")
    page = admin.client.get("/visits").get_data(as_text=True)
    assert 'role="search"' in page and 'id="visit-q"' in page and 'hx-target="#visit-results"' in page
    html = admin.client.get("/visits?q=сахапт", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in html and "Сахаптинская СОШ" in html and "Павловская СОШ" not in html
    with app.app_context():
        visit = db.session.get(Visit, demo["visit"])
        person = visit.people[0].full_name
        school = visit.school.short_name
    html = admin.client.get(f"/visits?q={person.split()[0]}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert school in html
    html = admin.client.get("/visits?q=нет-такой-школы", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Выездов не найдено" in html


def test_deadline_reminders_print_the_count_and_commit_in_batches(app, login_as, demo, runner, monkeypatch):
    from app import transaction
    from app.visits import services

    with app.app_context():
        from app.accounts.models import User

        deputy = db.session.scalar(sa.select(User.id).where(User.email == "school-deputy@opora.demo"))
    soon = (date.today() + timedelta(days=1)).isoformat()
    curator = login_as("curator")
    for n in range(3):
        assert curator.post(f"/visits/{demo['visit']}/recommendations", data={
            "rec-text": f"Рекомендация со сроком {n}", "rec-owner": "", "rec-owner_user_id": deputy,
            "rec-deadline": soon}).status_code == 302

    def reminders():
        with app.app_context():
            return db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
                Notification.kind.in_(("deadline", "overdue"))))

    before = reminders()
    result = runner.invoke(args=["remind-overdue"])
    assert result.exit_code == 0, result.output
    sent = int(re.search(r"Напоминаний отправлено: (\d+)\.", result.output).group(1))
    assert sent == reminders() - before and sent >= 3  # the printed count is what was sent
    with app.app_context():
        due = db.session.scalar(sa.select(sa.func.count()).select_from(Recommendation).where(
            Recommendation.status.in_(("open", "in_work")), Recommendation.owner_user_id.is_not(None),
            Recommendation.deadline <= date.today() + timedelta(days=3)))
    # In batches: one commit per batch (of two here), none for the whole job at once.
    commits = []
    real_commit, real_batches = transaction.commit, transaction.batches
    monkeypatch.setattr(transaction, "commit", lambda: (commits.append(1), real_commit()))
    monkeypatch.setattr(services.transaction, "batches", lambda items: real_batches(items, 2))
    with app.test_request_context():
        assert services.deadline_reminders() == 0  # once each: nothing new
    assert due >= 3 and len(commits) == (due + 1) // 2
