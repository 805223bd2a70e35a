import re
from datetime import date, timedelta

import sqlalchemy as sa

from app.collab.models import Notification
from app.extensions import db
from app.orgs.models import Municipality, Organisation, Partnership
from app.programmes.models import Section, Task
from app.visits.models import LessonObservation, Recommendation, Visit
from app.visits.services import checklist

VERSION = re.compile(r'name="version" (?:type="hidden" )?value="(\d+)"')


def _partnership_of(app, short):
    with app.app_context():
        return db.session.scalar(sa.select(Partnership.id).join(Partnership.school).where(
            Organisation.short_name == short))


def _new_visit(auth, partnership_id, **extra):
    data = {"partnership_id": partnership_id, "visit_date": "2026-11-20", "format": "method_landing",
            "purpose": "Методический десант: посещение уроков математики и русского языка", "findings": ""}
    data.update(extra)
    resp = auth.post("/visits/new", data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    return int(resp.headers["Location"].rsplit("/", 1)[1])


def test_tutor_logs_a_visit_and_a_recommendation_becomes_a_task(app, login_as, demo):
    tutor = login_as("tutor")
    visit_id = _new_visit(tutor, demo["partnership"])
    with app.app_context():
        teachers = db.session.scalars(sa.text("SELECT id FROM teacher WHERE school_id = :s ORDER BY id")
                                      .bindparams(s=demo["school"])).all()
        criteria = checklist(demo["municipality"])
    for teacher, subject, grade in ((teachers[0], "математика", "6"), (teachers[1], "русский язык", "5")):
        data = {"obs-teacher_id": teacher, "obs-subject": subject, "obs-grade": grade, "obs-topic": "Тема",
                "obs-notes": "Целеполагание формальное", f"obs-r{criteria[0].id}": "1", f"obs-r{criteria[1].id}": "2"}
        assert tutor.post(f"/visits/{visit_id}/observations", data=data).status_code == 302
    texts = ["Включить в ИОМ учителя математики тему «Проектирование урока»",
             "Закрепить за молодым педагогом тьютора школы-тьютора",
             "Разработать критерии оценивания заданий по читательской грамотности"]
    for text in texts:
        assert tutor.post(f"/visits/{visit_id}/recommendations", data={
            "rec-text": text, "rec-owner": "заместитель директора по УВР", "rec-owner_user_id": "0",
            "rec-deadline": "2026-12-20"}).status_code == 302
    with app.app_context():
        observations = db.session.scalars(sa.select(LessonObservation)
                                          .where(LessonObservation.visit_id == visit_id)).all()
        assert len(observations) == 2 and observations[0].ratings == {str(criteria[0].id): 1, str(criteria[1].id): 2}
        recs = db.session.scalars(sa.select(Recommendation).where(Recommendation.visit_id == visit_id)
                                  .order_by(Recommendation.id)).all()
        assert [r.text for r in recs] == texts
        section = db.session.scalar(sa.select(Section).where(Section.programme_id == demo["programme"],
                                                             Section.code == "tutoring"))
    # One action: recommendation → programme task, in the chosen section, linked both ways.
    resp = tutor.post(f"/recommendations/{recs[1].id}/task", data={"section_id": section.id})
    assert resp.status_code == 302
    task_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        task = db.session.get(Task, task_id)
        rec = db.session.get(Recommendation, recs[1].id)
        assert task.section_id == section.id and task.programme_id == demo["programme"] and task.title == texts[1]
        assert task.due_date == date(2026, 12, 20) and rec.task_id == task.id and rec.status == "in_work"
        version = task.version
    task_page = tutor.client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert f"/recommendations/{recs[1].id}" in task_page  # the link back
    # Marking the task done closes the recommendation.
    school = login_as("school")
    resp = school.htmx_post(f"/tasks/{task_id}/status", {"status": "done", "version": str(version)})
    assert resp.status_code == 200
    with app.app_context():
        assert db.session.get(Recommendation, recs[1].id).status == "done"
        assert db.session.get(Recommendation, recs[0].id).status == "open"


def test_submitting_notifies_the_school_and_drafts_stay_hidden(app, login_as, demo):
    tutor, school = login_as("tutor"), login_as("school")
    visit_id = _new_visit(tutor, demo["partnership"])
    assert school.client.get(f"/visits/{visit_id}").status_code == 403  # a draft
    assert "Методический десант: посещение" not in school.client.get("/visits").get_data(as_text=True)
    # No findings yet: not sent.
    assert tutor.post(f"/visits/{visit_id}/submit").status_code == 303
    with app.app_context():
        version = db.session.get(Visit, visit_id).version
    page = tutor.client.get(f"/visits/{visit_id}/edit").get_data(as_text=True)
    people = re.findall(r'<option selected value="(\d+)"', page)
    data = {"visit_date": "2026-11-20", "format": "method_landing", "purpose": "Методический десант: посещение уроков",
            "findings": "Уроки в традиционной форме; нет дифференциации.", "people": people, "version": version}
    assert tutor.post(f"/visits/{visit_id}/edit", data=data).status_code == 302
    assert tutor.post(f"/visits/{visit_id}/submit").status_code == 303  # an action on the page: back to it
    assert school.client.get(f"/visits/{visit_id}").status_code == 200
    with app.app_context():
        notified = db.session.scalars(sa.select(Notification).where(
            Notification.kind == "visit", Notification.object_id == visit_id)).all()
        emails = {n.user_id for n in notified}
        from app.accounts.models import User

        team = set(db.session.scalars(sa.select(User.id).where(User.organisation_id == demo["school"])))
        assert emails == team and all("нет дифференциации" in n.params["findings"] for n in notified)
        from app.timeutil import utcnow

        assert all(utcnow() - n.created_at < timedelta(minutes=1) for n in notified)  # at once, not in a digest


def test_tutor_records_visits_only_for_supported_schools(app, login_as, demo):
    tutor = login_as("tutor")  # Преображенская supports Павловская only
    other = _partnership_of(app, "Сахаптинская СОШ")
    form = tutor.client.get("/visits/new").get_data(as_text=True)
    choices = form.split('name="partnership_id"', 1)[1].split("</select>", 1)[0]
    assert "Павловская СОШ" in choices and "Сахаптинская СОШ" not in choices
    resp = tutor.post("/visits/new", data={"partnership_id": other, "visit_date": "2026-11-20",
                                           "format": "interview", "purpose": "x"})
    assert resp.status_code == 422
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit).where(
            Visit.partnership_id == other, Visit.purpose == "x")) == 0
    other_visit = _visit_of(app, other)
    assert tutor.client.get(f"/visits/{other_visit}").status_code == 403
    assert login_as("school").client.get(f"/visits/{other_visit}").status_code == 403
    assert login_as("observer").client.get(f"/visits/{demo['visit']}").status_code == 200
    observer_page = login_as("observer").client.get(f"/visits/{demo['visit']}").get_data(as_text=True)
    assert "доступны только школе, куратору и школе-тьютору" in observer_page


def _visit_of(app, partnership_id):
    with app.app_context():
        return db.session.scalar(sa.select(Visit.id).where(Visit.partnership_id == partnership_id))


def test_coverage_warning_lists_exactly_schools_without_a_recent_visit(app, login_as):
    admin = login_as("admin")
    page = admin.client.get("/visits").get_data(as_text=True)
    coverage = page.split('id="coverage"', 1)[1].split("</section>", 1)[0]
    # Павловская: visited 21.10.2026 (within 6 weeks); Сахаптинская: 11.02.2026; Сережская: never.
    listed = set(re.findall(r">([^<>]+(?:СОШ|ООШ))</a>", coverage))
    assert listed == {"Сахаптинская СОШ", "Сережская ООШ"}
    assert "выездов не было" in coverage and "11.02.2026" in coverage
    assert admin.post("/visits/coverage", data={"weeks": "3"}).status_code == 303
    coverage = admin.client.get("/visits").get_data(as_text=True).split('id="coverage"', 1)[1].split("</section>", 1)[0]
    assert set(re.findall(r">([^<>]+(?:СОШ|ООШ))</a>", coverage)) == {"Павловская СОШ", "Сахаптинская СОШ",
                                                                        "Сережская ООШ"}
    assert admin.post("/visits/coverage", data={"weeks": "0"}).status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(Municipality.visit_coverage_weeks).where(
            Municipality.code == "nazarovo")) == 3
    # The curator sees only their own schools in the warning.
    curator_page = login_as("curator").client.get("/visits").get_data(as_text=True)
    assert "Сережская ООШ" not in curator_page.split('id="coverage"', 1)[1].split("</section>", 1)[0]


def test_a_new_visit_starts_with_open_recommendations_to_check(app, login_as, demo):
    curator = login_as("curator")
    visit_id = _new_visit(curator, demo["partnership"])
    page = curator.client.get(f"/visits/{visit_id}").get_data(as_text=True)
    to_check = page.split('id="to-check"', 1)[1].split("</section>", 1)[0]
    with app.app_context():
        open_recs = db.session.scalars(sa.select(Recommendation).where(
            Recommendation.partnership_id == demo["partnership"],
            Recommendation.status.in_(("open", "in_work")))).all()
    assert open_recs and all(f'id="rec-{r.id}-check"' in to_check for r in open_recs)
    rec = open_recs[0]
    # Not accepted needs a reason.
    resp = curator.htmx_post(f"/recommendations/{rec.id}/status",
                             {"status": "rejected", "reason": "", "version": str(rec.version), "visit": visit_id})
    assert resp.status_code == 422 and "Укажите причину" in resp.get_data(as_text=True)
    resp = curator.htmx_post(f"/recommendations/{rec.id}/status",
                             {"status": "done", "reason": "", "version": str(rec.version), "visit": visit_id})
    assert resp.status_code == 200 and "<html" not in resp.get_data(as_text=True)
    with app.app_context():
        checked = db.session.get(Recommendation, rec.id)
        assert checked.status == "done" and checked.checked_at_visit_id == visit_id and checked.closed_at
    stale = curator.htmx_post(f"/recommendations/{rec.id}/status",
                              {"status": "in_work", "reason": "", "version": str(rec.version), "visit": visit_id})
    assert stale.status_code == 409


def test_school_responds_to_its_recommendations(app, login_as, demo):
    school = login_as("school")
    with app.app_context():
        rec = db.session.scalar(sa.select(Recommendation).where(Recommendation.partnership_id == demo["partnership"],
                                                                Recommendation.status == "open"))
    resp = school.post(f"/recommendations/{rec.id}/status", data={"status": "in_work", "version": rec.version})
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/recommendations/{rec.id}")
    # …but cannot reword it.
    assert school.post(f"/recommendations/{rec.id}/edit", data={"rec-text": "иначе"}).status_code == 403
    timeline = school.client.get(f"/schools/{demo['school']}/timeline").get_data(as_text=True)
    assert "В работе" in timeline and "методический десант с посещением уроков" in timeline


def test_owner_notification_and_deadline_reminder(app, login_as, demo, runner):
    curator = login_as("curator")
    with app.app_context():
        from app.accounts.models import User

        deputy = db.session.scalar(sa.select(User.id).where(User.email == "school-deputy@opora.demo"))
    soon = (date.today() + timedelta(days=2)).isoformat()
    assert curator.post(f"/visits/{demo['visit']}/recommendations", data={
        "rec-text": "Провести педсовет по итогам ВПР", "rec-owner": "заместитель директора",
        "rec-owner_user_id": deputy, "rec-deadline": soon}).status_code == 302
    result = runner.invoke(args=["remind-overdue"])
    assert result.exit_code == 0
    with app.app_context():
        kinds = sorted(db.session.scalars(sa.select(Notification.kind).where(
            Notification.user_id == deputy, Notification.object_type == "recommendation")))
    assert "assigned" in kinds and "deadline" in kinds


def test_visit_edit_conflict(app, login_as, demo):
    curator, tutor = login_as("curator"), login_as("tutor")
    with app.app_context():
        visit = db.session.get(Visit, demo["visit"])
        version, people = visit.version, [u.id for u in visit.people]
    base = {"visit_date": "2025-11-19", "format": "method_landing", "purpose": "Цель", "people": people,
            "version": version}
    assert curator.post(f"/visits/{demo['visit']}/edit", data=dict(base, findings="Вывод куратора")).status_code == 302
    resp = tutor.post(f"/visits/{demo['visit']}/edit", data=dict(base, findings="Вывод тьютора"))
    assert resp.status_code == 409
    html = resp.get_data(as_text=True)
    assert "Вывод куратора" in html and "Вывод тьютора" in html
    with app.app_context():
        assert db.session.get(Visit, demo["visit"]).findings == "Вывод куратора"


def test_visit_filters(app, login_as, demo):
    admin = login_as("admin")
    html = admin.client.get("/visits?format=field_monitoring", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Сахаптинская СОШ" in html and "Павловская СОШ" not in html
    html = admin.client.get("/visits?date_from=2026-01-01&date_to=2026-06-30",
                            headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "11.02.2026" in html and "19.11.2025" not in html and "21.10.2026" not in html
    html = admin.client.get(f"/visits?school={demo['school']}&date_from=не-дата",
                            headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Сахаптинская" not in html and "19.11.2025" in html


def test_events_hosted_by_the_tutor_school(app, login_as, demo):
    tutor = login_as("tutor")
    data = {"title": "Мастер-класс «Смысловое чтение на уроках математики»", "format": "master_class",
            "host_id": demo["tutor_school"], "event_date": "2026-12-10", "topic": "Смысловое чтение",
            "schools": [demo["school"]]}
    resp = tutor.post("/events/new", data=data)
    assert resp.status_code == 302
    resp = tutor.post("/events/new", data=dict(data, host_id=demo["plain_school"]))
    assert resp.status_code == 422 and "от своего имени" in resp.get_data(as_text=True)
    timeline = login_as("school").client.get(f"/schools/{demo['school']}/timeline").get_data(as_text=True)
    assert "Смысловое чтение на уроках математики" in timeline
    assert login_as("school").post("/events/new", data=data).status_code == 403
