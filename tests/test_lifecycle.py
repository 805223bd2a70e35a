"""A new municipality lives through a whole two-year cycle, from an empty database.

Nothing here comes from the demo: the municipality is created with the CLI, its first
administrator too, and every later step is done through HTTP by the role that does it in
life, with the clock moved through the two school years (2026/27 and 2027/28). Each page
answered is checked: never a 5xx, never a code or a field name where words belong.
"""
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from app.extensions import db
from helpers import FORM_CSRF, META_CSRF

KRASNOYARSK = ZoneInfo("Asia/Krasnoyarsk")
PASSWORD = "Start2026pass"
# What must never reach a page where words belong (statuses, fields, Python values).
CODES = re.compile(r"\b(owner_id|section_id|partnership_id|is_low_results|in_progress|on_approval|"
                   r"None|True|False|submitted|returned|accepted)\b")
CHECK_WORDS = True


def local(*args):
    """A moment in Krasnoyarsk, as the people in this municipality live it."""
    return datetime(*args, tzinfo=KRASNOYARSK)


def visible_text(html):
    """The page as a person reads it: no tags, attributes, scripts or hidden inputs."""
    html = re.sub(r"<(script|style|template)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", html)


class Person:
    """One user in their own browser: every answer is checked for a server error."""

    def __init__(self, app, email, password=PASSWORD):
        self.app, self.email, self.password = app, email, password
        self.arrive()

    def arrive(self):
        """Sign in, as each morning: a session lasts a working day, not a month."""
        email, password = self.email, self.password
        self.client = self.app.test_client()
        page = self.get("/login")
        token = FORM_CSRF.search(page).group(1)
        resp = self.client.post("/login", data={"email": email, "password": password, "csrf_token": token})
        assert resp.status_code == 302, (email, resp.get_data(as_text=True)[:400])
        if resp.headers["Location"] == "/account/password":  # a temporary password from the admin: own one first
            self.token = META_CSRF.search(self.get("/account/password")).group(1)
            self.password = password + "own"
            self.post("/account/password", {"current": password, "new": self.password, "repeat": self.password},
                      status=302)
        self.token = META_CSRF.search(self.get("/account/password")).group(1)

    def _check(self, resp, url):
        assert resp.status_code < 500, (url, resp.status_code, resp.get_data(as_text=True)[:600])
        return resp

    def get(self, url, status=200):
        resp = self._check(self.client.get(url), url)
        if status is not None:
            assert resp.status_code == status, (url, resp.status_code, resp.get_data(as_text=True)[:600])
        text = resp.get_data(as_text=True)
        if CHECK_WORDS and status == 200 and resp.mimetype == "text/html":
            shown = visible_text(text)
            assert not CODES.search(shown), (url, CODES.search(shown).group(0),
                                             shown[max(0, CODES.search(shown).start() - 200):][:400])
        return text

    def post(self, url, data=None, status=None, htmx=False):
        data = {k: v for k, v in (data or {}).items()}
        headers = {}
        if htmx:
            headers = {"HX-Request": "true", "X-CSRFToken": self.token}
        else:
            data.setdefault("csrf_token", self.token)
        resp = self._check(self.client.post(url, data=data, headers=headers), url)
        if status is not None:
            assert resp.status_code == status, (url, resp.status_code, resp.get_data(as_text=True)[:800])
        return resp

    def follow(self, resp):
        """The page a redirect leads to (after a form was sent), checked like any other."""
        assert resp.status_code in (302, 303), (resp.status_code, resp.get_data(as_text=True)[:800])
        return self.get(resp.headers["Location"])


def one(app, statement):
    with app.app_context():
        value = db.session.scalar(statement)
        db.session.rollback()
        return value


def cli(app, *args, input=None):
    result = app.test_cli_runner().invoke(args=list(args), input=input)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def town(empty_app):
    """Day one: the operator creates the municipality and its first administrator."""
    app = empty_app
    with time_machine.travel(local(2026, 8, 25, 9, 0), tick=False):
        out = cli(app, "create-municipality", "--code", "sharypovo", "--name", "Шарыповский муниципальный округ",
                  "--region", "Красноярский край", "--timezone", "Asia/Krasnoyarsk")
        assert "Шарыповский" in out
        out = cli(app, "create-user", "--email", "head@sharypovo.ru", "--name", "Лаптева Галина Ивановна",
                  "--role", "admin", "--municipality", "sharypovo", input=f"{PASSWORD}\n{PASSWORD}\n")
        assert "head@sharypovo.ru" in out
    return app


def test_two_school_years_from_an_empty_database(town):
    from app.accounts.models import User
    from app.orgs.models import Organisation, Partnership
    from app.programmes.models import Indicator, Programme, ReportingPeriod, Section, Task

    app = town

    # --- August 2026: the department sets up schools, people and the partnership -----------------
    with time_machine.travel(local(2026, 8, 26, 10, 0), tick=False):
        head = Person(app, "head@sharypovo.ru")
        assert "Лаптева" in head.get("/")
        for short, full, low in (("Ивановская СОШ", "МБОУ «Ивановская средняя школа»", True),
                                 ("Шарыповский лицей", "МБОУ «Шарыповский лицей»", False)):
            data = {"kind": "school", "short_name": short, "name": full, "students": "214"}
            if low:
                data["is_low_results"] = "y"
            page = head.follow(head.post("/orgs/new", data))
            assert short in page
        school_id = one(app, sa.select(Organisation.id).where(Organisation.short_name == "Ивановская СОШ"))
        lyceum_id = one(app, sa.select(Organisation.id).where(Organisation.short_name == "Шарыповский лицей"))
        department_id = one(app, sa.select(Organisation.id).where(Organisation.kind == "department"))
        people = (("curator@sharypovo.ru", "Рябова Нина Олеговна", "curator", department_id),
                  ("deputy@lyceum.ru", "Соколов Пётр Ильич", "tutor", lyceum_id),
                  ("director@ivanovka.ru", "Гордеева Вера Павловна", "school", school_id))
        for email, name, role, org in people:
            head.follow(head.post("/admin/users/new", {"email": email, "full_name": name, "role": role,
                                                      "organisation_id": str(org), "password": PASSWORD}))
        assert "Рябова Нина Олеговна" in head.get("/admin/users")
        curator_id = one(app, sa.select(User.id).where(User.email == "curator@sharypovo.ru"))
        page = head.follow(head.post("/partnerships/new", {
            "school_id": str(school_id), "tutor_school_id": str(lyceum_id), "curator_id": str(curator_id),
            "start_year": "2026", "agreement_number": "СД-1/2026", "agreement_date": "2026-08-26",
            "is_active": "y"}))
        assert "Шарыповский лицей" in page and "СД-1/2026" in page
        partnership_id = one(app, sa.select(Partnership.id))

    # --- September 2026: the programme from the template, passport, approval -------------------
    with time_machine.travel(local(2026, 9, 2, 9, 30), tick=False):
        curator = Person(app, "curator@sharypovo.ru")
        director = Person(app, "director@ivanovka.ru")
        tutor = Person(app, "deputy@lyceum.ru")
        page = curator.follow(curator.post("/programmes/new", {"partnership_id": str(partnership_id),
                                                               "start_year": "2026"}))
        programme_id = one(app, sa.select(Programme.id))
        assert "Ноябрь 2026" in page and "Июнь 2028" in page
        base = f"/programmes/{programme_id}"
        with app.app_context():
            sections = db.session.scalars(sa.select(Section).where(Section.programme_id == programme_id)
                                          .order_by(Section.position)).all()
            section_ids = [s.id for s in sections]
            periods = db.session.scalars(sa.select(ReportingPeriod).where(
                ReportingPeriod.programme_id == programme_id).order_by(ReportingPeriod.position)).all()
            period_ids = [(p.id, p.title, p.deadline) for p in periods]
            db.session.rollback()
        assert len(section_ids) == 4 and len(period_ids) == 8
        director.post(f"{base}/passport/main_idea",
                      {"value": "Каждый учитель — наставник для коллеги", "version": "1"}, htmx=True, status=200)
        director.post(f"{base}/goals", {"text": "Доля выпускников 9 класса, получивших аттестат, — не ниже 95 %",
                                        "justification": "В 2025 году 81 %"}, status=303)
        for title, section in (("Диагностика профессиональных дефицитов учителей математики", 0),
                               ("Курсы повышения квалификации для учителей русского языка", 2)):
            director.post(f"{base}/tasks", {"new-section_id": str(section_ids[section]), "new-title": title,
                                            "new-due_date": "2026-10-30", "new-responsible": "Гордеева В. П.",
                                            "new-owner_id": "0", "new-status": "planned"}, status=302)
        tasks = one(app, sa.select(sa.func.count()).select_from(Task).where(Task.programme_id == programme_id))
        assert tasks == 2
        director.post(f"{base}/indicators", {"indicator-name": "Доля обучающихся, не достигших минимума ОГЭ",
                                             "indicator-unit": "%", "indicator-direction": "lower",
                                             "indicator-source": "ОГЭ", "indicator-baseline": "18,5",
                                             "indicator-baseline_date": "2026-06-30"}, status=302)
        indicator_id = one(app, sa.select(Indicator.id).where(Indicator.programme_id == programme_id))
        programme_page = director.get(base)
        assert "Каждый учитель — наставник" in programme_page and "18,5" in programme_page

        def status_to(person, new_status):
            version = one(app, sa.select(Programme.version).where(Programme.id == programme_id))
            resp = person.post(f"{base}/status", {"status": new_status, "version": str(version)})
            assert resp.status_code in (200, 302, 303), resp.status_code
            assert one(app, sa.select(Programme.status).where(Programme.id == programme_id)) == new_status

        status_to(director, "on_approval")
        status_to(curator, "approved")
        status_to(director, "in_progress")
        assert "Реализуется" in director.get(base)

    # --- October 2026: a methodological visit; its recommendation becomes a task ---------------
    from app.visits.models import Recommendation, Visit
    from app.visits.services import VISIT_FORMATS

    with time_machine.travel(local(2026, 10, 14, 15, 0), tick=False):
        for person in (curator, director, tutor):
            person.arrive()
        visit_format = next(iter(VISIT_FORMATS))
        page = tutor.follow(tutor.post("/visits/new", {
            "partnership_id": str(partnership_id), "visit_date": "2026-10-14", "format": visit_format,
            "purpose": "Посещение уроков математики в 9 классах",
            "findings": "Уроки выстроены по учебнику, дифференциации нет",
            "people": [str(one(app, sa.select(User.id).where(User.email == "deputy@lyceum.ru")))],
            "organisations": [str(lyceum_id)]}))
        assert VISIT_FORMATS[visit_format].capitalize() in page
        visit_id = one(app, sa.select(Visit.id))
        tutor.post(f"/visits/{visit_id}/recommendations", {
            "rec-text": "Ввести разноуровневые задания на уроках математики в 9 классах",
            "rec-owner": "учителя математики", "rec-owner_user_id": "0", "rec-deadline": "2026-12-20"}, status=302)
        rec_id = one(app, sa.select(Recommendation.id))
        page = tutor.follow(tutor.post(f"/visits/{visit_id}/submit"))
        page = curator.follow(curator.post(f"/recommendations/{rec_id}/task", {"section_id": str(section_ids[1])}))
        assert "Ввести разноуровневые задания" in page
        task_from_rec = one(app, sa.select(Recommendation.task_id).where(Recommendation.id == rec_id))
        assert task_from_rec is not None
        assert "Ввести разноуровневые задания" in director.get(base)

    # --- Eight reporting periods: actuals, the school's report, the curator's answer ----------
    targets = ["17", "16,5", "15", "14", "13,5", "12", "11", "10"]
    actuals = ["17,5", "16", "15,5", "14", "13", "12", "10,5", "9,5"]
    for index, (period_id, title, deadline) in enumerate(period_ids):
        # A week before the deadline, in the evening: after 17:00 UTC it is already the next day.
        moment = local(deadline.year, deadline.month, deadline.day - 7, 23, 30)
        with time_machine.travel(moment, tick=False):
            for person in (curator, director):
                person.arrive()
            report_url = f"{base}/reports/{period_id}"
            page = director.get(report_url)
            assert title in page and "Черновик" in page and 'name="narrative"' in page
            value_url = f"/indicators/{indicator_id}/values/{period_id}/edit"
            version = one(app, sa.text("SELECT version FROM indicator_value WHERE indicator_id = :i AND "
                                       "period_id = :p").bindparams(i=indicator_id, p=period_id)) or 0
            director.post(value_url, {"target": targets[index], "actual": actuals[index], "version": str(version)},
                          htmx=True, status=200)
            director.follow(director.post(report_url, {"narrative": f"Период «{title}»: проведены занятия",
                                                       "version": "0", "submit": "0"}))
            page = director.follow(director.post(report_url, {
                "narrative": f"Период «{title}»: проведены занятия по плану", "version": "1", "submit": "1"}))
            assert "Сдан куратору" in page
            # Submitted at 23:30 in Krasnoyarsk (16:30 UTC): the page shows the local day and hour.
            assert f"{moment:%d.%m.%Y} 23:30" in page
            page = curator.get(report_url)
            assert 'name="feedback"' in page and actuals[index] in page
            if index == 0:
                page = curator.follow(curator.post(f"{report_url}/review", {
                    "feedback": "Добавьте, сколько учителей прошли диагностику", "decision": "return"}))
                assert "Возвращён на доработку" in page
                page = director.get(report_url)
                assert "Добавьте, сколько учителей" in page and 'name="narrative"' in page
                version = one(app, sa.text("SELECT version FROM period_report WHERE period_id = :p")
                              .bindparams(p=period_id))
                director.follow(director.post(report_url, {
                    "narrative": "Диагностику прошли 8 учителей из 12", "version": str(version), "submit": "1"}))
            page = curator.follow(curator.post(f"{report_url}/review", {
                "feedback": f"Отчёт за период «{title}» принят", "decision": "accept"}))
            assert "Принят" in page and "закрыт для изменений" in page
            director.post(report_url, {"narrative": "поздняя правка", "version": "9", "submit": "0"}, status=409)

    assert one(app, sa.text("SELECT count(*) FROM period_report WHERE status = 'accepted'")) == 8

    # --- May 2028: the card for the next school year ------------------------------------------
    from app.selection.models import CardCriterion

    with time_machine.travel(local(2028, 5, 15, 11, 0), tick=False):
        head.arrive()
        page = head.get("/selection?year=2028")
        assert "Ивановская СОШ" in page

        def stored_criteria():
            with app.app_context():
                rows = db.session.scalars(sa.select(CardCriterion).where(CardCriterion.year == 2028)
                                          .order_by(CardCriterion.position)).all()
                found = [(c.id, c.text) for c in rows]
                db.session.rollback()
            return found

        assert stored_criteria() == [], "opening the page does not store the card"
        # The first cell saved (by position, as the page posts it) stores the regulation's criteria.
        head.post("/selection/2028/scores", {"position": "1", "school": str(school_id), "points": "0",
                                                  "version": "0"}, htmx=True, status=200)
        criteria = stored_criteria()
        assert criteria, "the 2028 card has the regulation's criteria"
        for index, (criterion_id, _text) in enumerate(criteria[:3]):
            for org in (school_id, lyceum_id):
                if index == 0 and org == school_id:
                    continue  # saved above
                head.post("/selection/2028/scores", {"criterion": str(criterion_id), "school": str(org),
                                                          "points": "0", "version": "0"}, htmx=True, status=200)
        assert criteria[0][1][:30] in head.get("/selection?year=2028")

    # --- June 2028: the programme is completed, the summary exported --------------------------
    with time_machine.travel(local(2028, 6, 28, 16, 0), tick=False):
        for person in (head, curator, director):
            person.arrive()
        task_ids = _task_ids(app, programme_id)
        assert len(task_ids) == 3  # two planned, one from the visit's recommendation
        for task_id in task_ids:
            version = one(app, sa.select(Task.version).where(Task.id == task_id))
            director.post(f"/tasks/{task_id}/status", {"status": "done", "version": str(version)}, htmx=True,
                          status=200)
        status_to(head, "completed")
        page = director.get(base)
        assert "Завершена" in page
        assert one(app, sa.select(Recommendation.status).where(Recommendation.id == rec_id)) != "open"

        # The school leaves the ШНОР list by a recorded decision; its partnership ends with it.
        exit_url = f"/selection/2027/schools/{school_id}/exit"
        assert "Основание вывода" in head.get(exit_url)
        head.post(exit_url, {"reason": "", "decision_date": "2028-06-28"}, status=422)
        page = head.follow(head.post(exit_url, {
            "reason": "Программа выполнена: доля не достигших минимума ОГЭ снизилась с 18,5 % до 9,5 %",
            "decision_date": "2028-06-28"}))
        assert "снизилась с 18,5 %" in page and "28.06.2028" in page
        assert one(app, sa.select(Organisation.is_low_results).where(Organisation.id == school_id)) is False
        assert one(app, sa.select(Partnership.is_active).where(Partnership.id == partnership_id)) is False
        assert "Лаптева Галина Ивановна" in head.get("/selection?year=2027")

        # The same history in English: labels and names, no field names or codes.
        director.post("/language/en", status=None)
        history = visible_text(director.client.get(f"{base}/history").get_data(as_text=True))
        assert "Status: Being implemented → Completed" in history and "Status: Planned → Done" in history
        assert "Target value: — → 10 Actual value: — → 9.5" in history
        for code in ("owner_id", "section_id", "in_progress", "on_approval", "None"):
            assert code not in history, code

        app.config["EXPORTS_INLINE"] = True
        resp = head.post("/exports", {"year": "2027", "period": ""}, status=302)
        job_url = resp.headers["Location"]
        assert "готов" in head.get(job_url).lower()
        file = head.client.get(job_url + "/file")
        assert file.status_code == 200
        import io

        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(file.data), read_only=True)
        rows = [[c for c in row] for row in book["Сводка"].iter_rows(values_only=True)]
        assert any("Ивановская СОШ" in [str(c) for c in row] for row in rows), rows[:3]


def _task_ids(app, programme_id):
    from app.programmes.models import Task

    with app.app_context():
        ids = db.session.scalars(sa.select(Task.id).where(Task.programme_id == programme_id)).all()
        db.session.rollback()
        return ids
