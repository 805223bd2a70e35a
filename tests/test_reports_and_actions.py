"""Period reports work for every period, not only the ones the demo seeded; one user action
is one transaction."""
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.programmes.models import PeriodReport, ReportingPeriod, Task
from app.visits.models import Recommendation
from helpers import database_fingerprint


def _unreported_periods(app, programme_id):
    with app.app_context():
        reported = db.session.scalars(sa.select(PeriodReport.period_id).where(
            PeriodReport.programme_id == programme_id)).all()
        periods = db.session.scalars(sa.select(ReportingPeriod).where(
            ReportingPeriod.programme_id == programme_id, ReportingPeriod.id.not_in(reported))
            .order_by(ReportingPeriod.position)).all()
        return [(p.id, p.title) for p in periods]


def test_an_unseeded_period_has_a_draft_form_saves_and_reaches_the_curator(app, login_as, demo):
    programme = demo["programme"]
    periods = _unreported_periods(app, programme)
    assert len(periods) >= 3, "the demo leaves later periods unreported"
    period_id, title = periods[0]
    url = f"/programmes/{programme}/reports/{period_id}"
    school = login_as("school")
    page = school.client.get(url).get_data(as_text=True)
    assert title in page and "Черновик" in page and 'name="narrative"' in page
    assert 'class="badge report-draft">Черновик<' in page

    resp = school.post(url, {"narrative": "Проведены два семинара", "version": "0", "submit": "0"})
    assert resp.status_code == 302
    with app.app_context():
        report = db.session.scalar(sa.select(PeriodReport).where(PeriodReport.period_id == period_id))
        assert (report.status, report.narrative, report.version) == ("draft", "Проведены два семинара", 1)

    resp = school.post(url, {"narrative": "Проведены два семинара и открытый урок", "version": "1", "submit": "1"})
    assert resp.status_code == 302
    curator = login_as("curator")
    page = curator.client.get(url).get_data(as_text=True)
    assert "Сдан куратору" in page and 'name="feedback"' in page and "открытый урок" in page
    resp = curator.post(f"{url}/review", {"feedback": "Принято", "decision": "accept"})
    assert resp.status_code == 302
    with app.app_context():
        status = db.session.scalar(sa.select(PeriodReport.status).where(PeriodReport.period_id == period_id))
    assert status == "accepted"


def test_submitting_an_unseeded_period_at_once_creates_and_submits(app, login_as, demo):
    programme = demo["programme"]
    period_id, _title = _unreported_periods(app, programme)[-1]
    school = login_as("school")
    resp = school.post(f"/programmes/{programme}/reports/{period_id}",
                       {"narrative": "Итоги года", "version": "0", "submit": "1"})
    assert resp.status_code == 302
    with app.app_context():
        report = db.session.scalar(sa.select(PeriodReport).where(PeriodReport.period_id == period_id))
        assert report.status == "submitted" and report.submitted_at is not None


def test_a_stale_first_save_of_a_report_is_a_conflict_not_an_error(app, login_as, demo):
    programme = demo["programme"]
    period_id, _title = _unreported_periods(app, programme)[0]
    school = login_as("school")
    before = database_fingerprint(app)
    resp = school.post(f"/programmes/{programme}/reports/{period_id}", {"narrative": "x", "version": "3"})
    assert resp.status_code == 303
    assert database_fingerprint(app) == before


def test_curator_cannot_review_a_report_nobody_submitted(app, login_as, demo):
    programme = demo["programme"]
    period_id, _title = _unreported_periods(app, programme)[0]
    curator = login_as("curator")
    before = database_fingerprint(app)
    resp = curator.post(f"/programmes/{programme}/reports/{period_id}/review",
                        {"feedback": "?", "decision": "accept"})
    assert resp.status_code == 303
    assert "только сданный" in curator.client.get(resp.headers["Location"]).get_data(as_text=True)
    assert database_fingerprint(app) == before


def _open_recommendation(app, demo):
    with app.app_context():
        rec = db.session.scalar(sa.select(Recommendation).where(Recommendation.task_id.is_(None),
                                                                Recommendation.visit_id == demo["visit"]))
        from app.programmes.models import Section

        section = db.session.scalar(sa.select(Section.id).where(Section.programme_id == demo["programme"]))
        return rec.id, section


def test_recommendation_to_task_is_whole_or_nothing(app, login_as, demo, monkeypatch):
    """The last step of «В программу» fails: neither the task nor the link stays."""
    rec_id, section_id = _open_recommendation(app, demo)
    from app.visits import services as visit_services

    real_record = visit_services.record

    def failing_record(actor, obj, action, *args, **kwargs):
        if action == "to_task":
            raise RuntimeError("disk full")
        return real_record(actor, obj, action, *args, **kwargs)

    monkeypatch.setattr(visit_services, "record", failing_record)
    curator = login_as("curator")
    before = database_fingerprint(app)
    resp = curator.post(f"/recommendations/{rec_id}/task", {"section_id": str(section_id)})
    assert resp.status_code == 500
    assert database_fingerprint(app) == before
    with app.app_context():
        assert db.session.get(Recommendation, rec_id).task_id is None

    monkeypatch.setattr(visit_services, "record", real_record)
    tasks_before = database_fingerprint(app)["task"][0]
    resp = curator.post(f"/recommendations/{rec_id}/task", {"section_id": str(section_id)})
    assert resp.status_code == 302
    with app.app_context():
        rec = db.session.get(Recommendation, rec_id)
        assert rec.task_id is not None and db.session.get(Task, rec.task_id).title == rec.text
    assert database_fingerprint(app)["task"][0] == tasks_before + 1


@pytest.mark.parametrize("status", [422, 409])
def test_a_refused_answer_keeps_nothing_a_service_flushed(app, login_as, demo, monkeypatch, status):
    """The request commits only when the route answered success (app/transaction.py)."""
    from flask import abort

    from app.programmes import services as programme_services

    real_add = programme_services.add_task

    def add_then_refuse(*args, **kwargs):
        real_add(*args, **kwargs)
        abort(status)

    monkeypatch.setattr(programme_services, "add_task", add_then_refuse)
    school = login_as("school")
    before = database_fingerprint(app)
    with app.app_context():
        from app.programmes.models import Section

        section = db.session.scalar(sa.select(Section.id).where(Section.programme_id == demo["programme"]))
    resp = school.post(f"/programmes/{demo['programme']}/tasks", {
        "new-section_id": str(section), "new-title": "Семинар", "new-owner_id": "0", "new-status": "planned"})
    assert resp.status_code == status
    assert database_fingerprint(app) == before
