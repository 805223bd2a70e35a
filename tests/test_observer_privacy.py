"""Observers (regional experts) read aggregates and catalogue names only: no free text people
typed, which names teachers. A distinctive name is typed into every free-text field there is;
then every page an observer can open (every GET rule of the access matrix, as a page and as an
htmx fragment) and the observer's summary workbook are searched for it. The department and the
programme's partners still read it, so the search could find it."""
import io
import os
import time
import zipfile
from datetime import date

import openpyxl
import pytest
import sqlalchemy as sa
from test_access import ACCESS, PUBLIC, _rules, _url

from app.accounts.models import User
from app.collab import services as collab
from app.collab.models import Attachment
from app.extensions import db
from app.programmes import services as programmes
from app.programmes.models import Programme, ReportingPeriod, Section
from app.selection.models import RiskFactor, SchoolRisk
from app.teachers.models import Teacher
from app.visits import services as visits
from app.visits.models import Visit

NAME = "Пестрякова Зинаида"
# Stems find the name in any grammatical case («Пестряковой Зинаиде»).
STEMS = ("Пестряков", "Зинаид", "ПЕСТРЯКОВ", "Pestryakova")


def _leaks(text):
    return [stem for stem in STEMS if stem in text]


def _user(email):
    return db.session.scalar(sa.select(User).where(User.email == email))


def _attachment(app, municipality_id, object_type, object_id, filename, uploader):
    folder = app.config["UPLOAD_FOLDER"]
    os.makedirs(folder, exist_ok=True)
    stored = f"named-{object_type}-{object_id}.pdf"
    with open(os.path.join(folder, stored), "wb") as fh:
        fh.write(b"%PDF-1.4 " + NAME.encode())
    item = Attachment(municipality_id=municipality_id, object_type=object_type, object_id=object_id,
                      filename=filename, stored_name=stored, content_type="application/pdf", size=16,
                      uploaded_by_id=uploader.id)
    db.session.add(item)
    db.session.flush()
    return item.id


@pytest.fixture
def named(app, demo):
    """The name typed into every free-text field of the demo school's programme, its visit, a
    lesson observation, a recommendation, an event, a risk profile, file names and comments; a
    school-team account and a teacher carry it as their names."""
    ids = dict(demo)
    with app.test_request_context():
        curator = _user("curator@opora.demo")
        m, school = demo["municipality"], demo["school"]
        member = User(email="pestryakova@opora.demo", full_name=f"{NAME} Ивановна", role="school",
                      municipality_id=m, organisation_id=school, position="учитель математики")
        member.set_password("demo12345")
        db.session.add(member)
        teacher = Teacher(municipality_id=m, school_id=school, full_name=f"{NAME} Петровна", subjects="математика")
        db.session.add(teacher)
        db.session.flush()

        programme = db.session.get(Programme, demo["programme"])
        programmes.save_passport(curator, programme, {"name": f"Программа школы, где работает {NAME}",
                                                      "main_idea": f"Опыт {NAME} — основа",
                                                      "risks": f"Уход {NAME}", "resources": f"{NAME}, наставник"},
                                 programme.version)
        goal = programmes.add_goal(curator, programme, {"text": f"Цель для {NAME}", "justification": f"{NAME}",
                                                        "realism": f"Есть {NAME}"})
        extra = programmes.add_section(curator, programme, f"Наставничество: {NAME}")
        mandatory = db.session.scalar(sa.select(Section).where(Section.programme_id == programme.id,
                                                               Section.is_mandatory.is_(True)).order_by(Section.position))
        task = programmes.add_task(curator, programme, {
            "section_id": mandatory.id, "title": f"Открытый урок {NAME}", "due_date": date(2026, 12, 10),
            "expected_result": f"{NAME} проведёт урок", "responsible": f"{NAME}, учитель",
            "owner_id": member.id, "status": "planned", "evidence": ""})
        programmes.save_task(curator, task, {"evidence": f"Протокол урока {NAME}", "status": "in_progress"},
                             task.version)
        extra_task = programmes.add_task(curator, programme, {
            "section_id": extra.id, "title": f"Наставник для {NAME}", "due_date": date(2026, 5, 1),
            "expected_result": "", "responsible": "", "owner_id": None, "status": "planned", "evidence": ""})
        collab.add_comment(curator, task, f"Уточнить у {NAME} дату", programme.scope, "/", [])
        indicator = programmes.add_indicator(curator, programme, {
            "name": f"Доля уроков {NAME} с обратной связью", "unit": "%", "direction": "higher",
            "source": "внутренний мониторинг", "baseline": 10.0, "baseline_date": date(2025, 9, 1)})
        period = db.session.scalar(sa.select(ReportingPeriod).where(ReportingPeriod.programme_id == programme.id)
                                   .order_by(ReportingPeriod.position))
        value = programmes.value_for(indicator, period)
        programmes.save_value(curator, value, {"target": 20.0, "actual": 15.0}, value.version)
        report = programmes.report_for(programme, period)
        db.session.flush()
        report.narrative, report.feedback, report.status = f"{NAME} провела два урока", f"Похвалить {NAME}", "returned"
        report.snapshot = {str(indicator.id): {"name": indicator.name, "unit": "%", "target": 20.0, "actual": 15.0}}
        ids["task_attachment"] = _attachment(app, m, "task", task.id, f"Протокол {NAME}.pdf", curator)

        visit = Visit(municipality_id=m, partnership_id=demo["partnership"], school_id=school,
                      visit_date=date(2026, 11, 18), format="consultation", purpose=f"Уроки {NAME}",
                      findings=f"{NAME} нуждается в наставнике", status="draft", created_by_id=curator.id)
        db.session.add(visit)
        db.session.flush()
        observation = visits.add_observation(curator, visit, {"teacher_id": teacher.id, "subject": "Математика",
                                                              "grade": "7", "topic": f"Урок {NAME}",
                                                              "notes": f"{NAME} не даёт обратной связи"},
                                             {})
        rec = visits.add_recommendation(curator, visit, {"text": f"{NAME} посетить уроки наставника",
                                                         "owner": f"{NAME}", "owner_user_id": member.id,
                                                         "deadline": date(2026, 12, 20)})
        visits.submit_visit(curator, visit)
        visits.respond(curator, rec, "rejected", f"{NAME} в отпуске", rec.version)
        collab.add_comment(curator, visit, f"{NAME} просит перенести", visit.scope, "/", [])
        ids["visit_attachment"] = _attachment(app, m, "visit", visit.id, f"Справка {NAME}.pdf", curator)
        event = visits.create_event(curator, {"title": "Семинар по формирующему оцениванию", "format": "seminar",
                                              "host_id": demo["tutor_school"], "event_date": date(2026, 11, 25),
                                              "topic": "Обратная связь на уроке",
                                              "materials": f"Презентация {NAME}", "outcome": f"Выступила {NAME}"},
                                    [db.session.get(type(programme.school), school)])
        factor = db.session.scalar(sa.select(RiskFactor).where(RiskFactor.municipality_id == m).order_by(RiskFactor.id))
        risk = db.session.scalar(sa.select(SchoolRisk).where(SchoolRisk.school_id == school,
                                                             SchoolRisk.factor_id == factor.id))
        if risk is None:
            risk = SchoolRisk(municipality_id=m, school_id=school, factor_id=factor.id)
            db.session.add(risk)
        risk.level, risk.is_actual, risk.measures = "high", True, f"Наставник для {NAME}"
        db.session.commit()
        ids.update(task=task.id, goal=goal.id, section=extra.id, indicator=indicator.id, period=period.id,
                   visit=visit.id, recommendation=rec.id, event=event.id, extra_task=extra_task.id,
                   observation=observation.id)
        ids["attachment"] = ids["task_attachment"]
    return ids


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _workbook_text(data):
    try:
        book = openpyxl.load_workbook(io.BytesIO(data))
    except zipfile.BadZipFile:  # the access fixture's stand-in file
        return data.decode("utf-8", "replace")
    return " ".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row
                    if c.value is not None)


def _observer_urls(app, ids):
    """Every GET rule the observer may open, with the named objects as its parameters."""
    for rule in _rules(app):
        if rule.endpoint in PUBLIC or "GET" not in rule.methods or "observer" not in ACCESS[rule.endpoint]:
            continue
        if rule.endpoint in ("accounts.logout", "dashboard.set_language"):
            continue
        yield rule.endpoint, _url(rule, ids, "own", "observer")


def _export(auth):
    resp = auth.post("/exports", data={"year": 2026, "period": ""})
    assert resp.status_code == 302
    job = resp.headers["Location"]
    for _ in range(200):
        if "Файл готов" in auth.client.get(job).get_data(as_text=True):
            break
        time.sleep(0.1)
    download = auth.client.get(job + "/file")
    assert download.status_code == 200
    return _workbook_text(download.data)


def test_observer_sees_no_free_text_anywhere(app, login_as, named):
    observer = login_as("observer")
    opened, leaks = [], []
    extra = {f"/programmes/{named['programme']}?section={named['section']}",
             f"/programmes/{named['programme']}/live?since=0", f"/tasks/{named['extra_task']}",
             f"/programmes/{named['programme']}/reports/{named['period']}"}
    urls = list(_observer_urls(app, named)) + [("extra", url) for url in sorted(extra)]
    for endpoint, url in urls:
        for headers in ({}, {"HX-Request": "true"}):
            resp = observer.client.get(url, headers=headers)
            assert resp.status_code < 500, (url, resp.status_code)
            body = _workbook_text(resp.data) if resp.mimetype == XLSX else resp.data.decode("utf-8", "replace")
            if _leaks(body):
                leaks.append((endpoint, url, headers, _leaks(body)))
            if resp.status_code == 200:
                opened.append(url)
    assert not leaks, leaks
    # The pages were really read: the programme, the task, the visit and the live feed answered.
    for url in (f"/programmes/{named['programme']}", f"/tasks/{named['task']}", f"/visits/{named['visit']}",
                f"/programmes/{named['programme']}/live?since=0"):
        assert url in opened, url
    # Files are free text too: a task's evidence, a visit's справка. Neither served nor linked.
    for key in ("task_attachment", "visit_attachment"):
        assert observer.client.get(f"/attachments/{named[key]}").status_code in (403, 404)
    task_page = observer.client.get(f"/tasks/{named['task']}").get_data(as_text=True)
    visit_page = observer.client.get(f"/visits/{named['visit']}").get_data(as_text=True)
    assert "/attachments/" not in task_page and "/attachments/" not in visit_page
    # What observers do read: numbers, states, deadlines and catalogue names.
    page = observer.client.get(f"/programmes/{named['programme']}").get_data(as_text=True)
    assert "просрочено" in page and "Мероприятие 1.1" in page and "Дополнительный раздел" in page
    assert "Выявление профессиональных затруднений" in page and "Показатель " in page
    assert "Ожидаемый результат" not in page and "Сейчас на странице" in page
    # The programme document is the programme's text: refused, with a reason.
    refused = observer.client.get(f"/programmes/{named['programme']}/document")
    assert refused.status_code == 403 and "участникам программы" in refused.get_data(as_text=True)

    book = _export(observer)
    assert not _leaks(book), _leaks(book)
    assert "Наставничество" not in book and "Дополнительный раздел" in book  # a section named by people
    assert "Выявление профессиональных затруднений" in book  # a template section keeps its name


def test_department_and_partners_still_read_it(app, login_as, named):
    """Without this the search above could pass by finding nothing anywhere."""
    curator = login_as("curator")
    for url in (f"/programmes/{named['programme']}", f"/tasks/{named['task']}", f"/visits/{named['visit']}",
                f"/programmes/{named['programme']}/history", f"/programmes/{named['programme']}/document",
                f"/programmes/{named['programme']}/reports/{named['period']}", f"/events/{named['event']}"):
        assert _leaks(curator.client.get(url).get_data(as_text=True)), url
    task_page = curator.client.get(f"/tasks/{named['task']}").get_data(as_text=True)
    for text in (f"Открытый урок {NAME}", f"{NAME} проведёт урок", f"Протокол урока {NAME}",
                 f"Уточнить у {NAME} дату", f"Протокол {NAME}.pdf"):
        assert text in task_page, text
    assert curator.client.get(f"/attachments/{named['task_attachment']}").status_code == 200
    assert curator.client.get(f"/attachments/{named['visit_attachment']}").status_code == 200
    school = login_as("school")
    assert school.client.get(f"/attachments/{named['visit_attachment']}").status_code == 200
    assert f"Открытый урок {NAME}" in school.client.get(f"/programmes/{named['programme']}").get_data(as_text=True)
    book = _export(login_as("admin"))
    for text in (f"Открытый урок {NAME}", f"{NAME} проведёт урок", f"{NAME}, учитель",
                 f"Доля уроков {NAME} с обратной связью", f"Наставничество: {NAME}"):
        assert text in book, text


def test_one_rule_for_pages_and_exports(app, named):
    """The workbook's audience comes from the same policy rule as the pages."""
    from app import policy
    from app.exports.services import audience_of

    with app.app_context():
        for email, audience, reads in (("observer@opora.demo", "observer", False),
                                       ("curator@opora.demo", "curator", True),
                                       ("admin@opora.demo", "department", True),
                                       ("tutor@opora.demo", "department", True)):
            user = _user(email)
            assert audience_of(user) == audience and policy.reads_text(user) is reads, email
            programme = db.session.get(Programme, named["programme"])
            assert policy.can("read_text", programme, user) is reads, email
            visit = db.session.get(Visit, named["visit"])
            assert policy.can("read_text", visit, user) is reads, email
