"""Integrity a department relies on (issue 12, item 7): programme and partnership years, tutor
schools, planned visits, leaving the ШНОР list. Every rule through HTTP, as the role that does it."""
import re
from datetime import date

import sqlalchemy as sa
import time_machine

from app.accounts.models import User
from app.extensions import db
from app.orgs.models import Organisation, Partnership
from app.programmes import services as programmes
from app.programmes.models import Programme
from app.selection.models import ShnorDecision
from app.visits.models import Visit
from helpers import database_fingerprint

# Noon in Krasnoyarsk on 1 December 2026: "today" is the municipality's 01.12.2026.
NOON = "2026-12-01 05:00:00+00:00"


def _org(short):
    return db.session.scalar(sa.select(Organisation).where(Organisation.short_name == short))


def _user(email):
    return db.session.scalar(sa.select(User).where(User.email == email))


def _partnership(app, school, tutor, start_year, with_programme=None):
    """A partnership (and, with a status, its programme from the template) built for the test."""
    with app.test_request_context():
        p = Partnership(municipality_id=1, school_id=_org(school).id, tutor_school_id=_org(tutor).id,
                        curator_id=_user("curator@opora.demo").id, start_year=start_year, end_year=start_year + 2)
        db.session.add(p)
        db.session.commit()
        programme_id = None
        if with_programme:
            programme = programmes.create_programme(_user("admin@opora.demo"), p, start_year)
            programme.status = with_programme
            db.session.commit()
            programme_id = programme.id
        return p.id, programme_id


def _text(resp):
    return resp.get_data(as_text=True)


def _count(model, *where):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


# --- Tutor schools ---------------------------------------------------------------------------

def test_a_shnor_school_is_neither_offered_nor_accepted_as_a_tutor_school(app, login_as):
    admin = login_as("admin")
    with app.app_context():
        shnor, plain, tutor = _org("Павловская СОШ"), _org("Гляденская СОШ"), _org("Крутоярская СОШ")
        assert shnor.is_low_results and not tutor.is_low_results
        ids = {"shnor": shnor.id, "plain": plain.id, "tutor": tutor.id,
               "curator": _user("curator@opora.demo").id}
    form = _text(admin.client.get("/partnerships/new"))
    tutor_select = re.search(r'<select[^>]*name="tutor_school_id".*?</select>', form, re.S).group(0)
    assert "Крутоярская СОШ" in tutor_select and "Павловская СОШ" not in tutor_select

    before = database_fingerprint(app)
    resp = admin.post("/partnerships/new", data={"school_id": ids["plain"], "tutor_school_id": ids["shnor"],
                                                 "curator_id": ids["curator"], "start_year": 2026, "is_active": "y"})
    assert resp.status_code == 422
    assert "Павловская СОШ — школа с низкими результатами (ШНОР): она не может быть школой-тьютором." in _text(resp)
    assert database_fingerprint(app) == before

    # The same school with a tutor that may be one is accepted.
    resp = admin.post("/partnerships/new", data={"school_id": ids["plain"], "tutor_school_id": ids["tutor"],
                                                 "curator_id": ids["curator"], "start_year": 2026, "is_active": "y"})
    assert resp.status_code == 302


def test_the_shnor_decision_refuses_a_shnor_tutor_school_and_writes_nothing(app, login_as):
    admin = login_as("admin")
    with app.app_context():
        school, shnor = _org("Подсосенская СОШ"), _org("Павловская СОШ")
        ids = {"school": school.id, "shnor": shnor.id, "curator": _user("curator@opora.demo").id}
    page = _text(admin.client.get(f"/selection/2026/schools/{ids['school']}/decision"))
    tutor_select = re.search(r'<select[^>]*name="tutor_school_id".*?</select>', page, re.S).group(0)
    assert "Павловская СОШ" not in tutor_select
    before = database_fingerprint(app)
    resp = admin.post(f"/selection/2026/schools/{ids['school']}/decision", data={
        "decision": "confirmed", "reason": "Сумма баллов выше порога", "tutor_school_id": ids["shnor"],
        "curator_id": ids["curator"], "start_year": "2026"})
    assert resp.status_code == 422
    assert "не может быть школой-тьютором" in _text(resp)
    assert database_fingerprint(app) == before
    with app.app_context():
        assert not db.session.get(Organisation, ids["school"]).is_low_results


# --- Programme years -------------------------------------------------------------------------

def test_a_programme_outside_its_partnerships_years_is_refused(app, login_as):
    partnership_id, _ = _partnership(app, "Гляденская СОШ", "Крутоярская СОШ", 2026)
    admin = login_as("admin")
    before = database_fingerprint(app)
    resp = admin.post("/programmes/new", data={"partnership_id": partnership_id, "start_year": 2027})
    assert resp.status_code == 422
    assert ("Годы программы (2027/2028–2028/2029) должны лежать в годах сопровождения (2026/2027–2027/2028)."
            in _text(resp))
    assert database_fingerprint(app) == before


def test_a_school_cannot_have_two_unfinished_programmes_for_overlapping_years(app, login_as):
    _first, first_programme = _partnership(app, "Гляденская СОШ", "Крутоярская СОШ", 2026, "in_progress")
    second, _ = _partnership(app, "Гляденская СОШ", "Степновская СОШ", 2027)
    curator = login_as("curator")
    before = database_fingerprint(app)
    resp = curator.post("/programmes/new", data={"partnership_id": second, "start_year": 2027})
    assert resp.status_code == 422
    assert "У школы уже есть незавершённая программа на пересекающиеся годы" in _text(resp)
    assert database_fingerprint(app) == before

    # Once the first one is closed early, the school may start the next.
    with app.app_context():
        db.session.get(Programme, first_programme).status = "closed"
        db.session.commit()
    resp = curator.post("/programmes/new", data={"partnership_id": second, "start_year": 2027})
    assert resp.status_code == 302
    with app.app_context():
        assert _count(Programme, Programme.partnership_id == second) == 1


def test_partnership_years_cannot_be_changed_away_from_its_programme(app, login_as):
    partnership_id, _ = _partnership(app, "Гляденская СОШ", "Крутоярская СОШ", 2026, "draft")
    admin = login_as("admin")
    with app.app_context():
        p = db.session.get(Partnership, partnership_id)
        data = {"school_id": p.school_id, "tutor_school_id": p.tutor_school_id, "curator_id": p.curator_id,
                "start_year": 2027, "is_active": "y", "version": p.version}
    before = database_fingerprint(app)
    resp = admin.post(f"/partnerships/{partnership_id}/edit", data=data)
    assert resp.status_code == 422
    assert "выйдет за годы сопровождения" in _text(resp)
    assert database_fingerprint(app) == before


# --- Planned and held visits -----------------------------------------------------------------

def _visit_data(app, visit_date, planned):
    with app.app_context():
        partnership = db.session.scalar(sa.select(Partnership).where(
            Partnership.school_id == _org("Павловская СОШ").id))
        data = {"partnership_id": partnership.id, "visit_date": visit_date, "format": "other",
                "purpose": "Посещение уроков математики в 7-х классах"}
    if planned:
        data["planned"] = "y"
    return data


def test_a_held_visit_cannot_be_dated_after_the_municipalitys_today(app, login_as):
    with time_machine.travel(NOON, tick=False):
        curator = login_as("curator")
        before = database_fingerprint(app)
        resp = curator.post("/visits/new", data=_visit_data(app, "2026-12-02", planned=False))
        assert resp.status_code == 422
        assert "Проведённый выезд не может быть датирован позже сегодняшнего дня (01.12.2026)" in _text(resp)
        assert database_fingerprint(app) == before
        # Today itself is fine.
        assert curator.post("/visits/new", data=_visit_data(app, "2026-12-01", planned=False)).status_code == 302


def test_a_planned_visit_is_shown_as_planned_and_not_as_the_last_visit(app, login_as):
    with time_machine.travel(NOON, tick=False):
        curator = login_as("curator")
        with app.app_context():
            partnership_id = _visit_data(app, "", False)["partnership_id"]
            last_before = db.session.scalar(sa.select(sa.func.max(Visit.visit_date)).where(
                Visit.partnership_id == partnership_id, Visit.status == "submitted"))
        resp = curator.post("/visits/new", data=_visit_data(app, "2026-12-15", planned=True))
        assert resp.status_code == 302
        visit_id = int(resp.headers["Location"].rsplit("/", 1)[1])
        with app.app_context():
            assert db.session.get(Visit, visit_id).status == "planned"
        page = _text(curator.client.get(f"/visits/{visit_id}"))
        assert "Запланирован" in page and "Выезд состоялся — заполнить" in page
        overview = _text(curator.client.get("/visits/curators"))
        row = re.search(r"Павловская СОШ</a></td>(.*?)</tr>", overview, re.S).group(1)
        cells = re.findall(r"<td>(.*?)</td>", row, re.S)
        assert cells[1].strip() == "15.12.2026"  # the next visit
        assert "15.12.2026" not in cells[0]  # not the last one
        assert cells[0].strip() == (last_before.strftime("%d.%m.%Y") if last_before else "не было")

        # It cannot be sent to the school before it is held, nor marked held before its day.
        resp = curator.post(f"/visits/{visit_id}/submit")
        assert resp.status_code == 303
        with app.app_context():
            visit = db.session.get(Visit, visit_id)
            assert visit.status == "planned"
            edit = {"visit_date": "2026-12-15", "format": "other", "purpose": visit.purpose,
                    "findings": "", "version": visit.version}
        resp = curator.post(f"/visits/{visit_id}/edit", data=edit)
        assert resp.status_code == 422 and "позже сегодняшнего дня" in _text(resp)

    with time_machine.travel("2026-12-15 05:00:00+00:00", tick=False):
        curator = login_as("curator")  # two weeks later: a new session
        edit["findings"] = "Уроки построены по единому плану"
        assert curator.post(f"/visits/{visit_id}/edit", data=edit).status_code == 302
        with app.app_context():
            assert db.session.get(Visit, visit_id).status == "draft"


# --- Leaving the ШНОР list -------------------------------------------------------------------

def test_a_school_leaves_the_shnor_list_by_a_recorded_decision_after_its_programme(app, login_as):
    partnership_id, programme_id = _partnership(app, "Гляденская СОШ", "Крутоярская СОШ", 2024, "in_progress")
    with app.app_context():
        school = _org("Гляденская СОШ")
        school.is_low_results = True
        db.session.commit()
        school_id = school.id
    url = f"/selection/2026/schools/{school_id}/exit"
    data = {"reason": "Программа выполнена; результаты ОГЭ выше муниципальных", "decision_date": "2026-11-20"}
    with time_machine.travel(NOON, tick=False):
        assert login_as("curator").post(url, data=data).status_code == 403
        admin = login_as("admin")
        assert "Вывести из списка ШНОР" in _text(admin.client.get("/selection?year=2026"))

        # While the programme is in progress the exit is refused and nothing is written.
        before = database_fingerprint(app)
        resp = admin.post(url, data=data)
        assert resp.status_code == 422
        assert "ещё не завершена (Реализуется): сначала завершите её или закройте досрочно" in _text(resp)
        assert database_fingerprint(app) == before
        # The reason is required.
        assert admin.post(url, data={"reason": "", "decision_date": "2026-11-20"}).status_code == 422
        assert database_fingerprint(app) == before

        with app.app_context():
            db.session.get(Programme, programme_id).status = "completed"
            db.session.commit()
        assert admin.post(url, data=data).status_code == 302

        with app.app_context():
            decision = db.session.scalar(sa.select(ShnorDecision).where(ShnorDecision.school_id == school_id,
                                                                        ShnorDecision.decision == "exited"))
            assert (decision.year, decision.reason, decision.decision_date, decision.decided_by.email) == \
                (2026, data["reason"], date(2026, 11, 20), "admin@opora.demo")
            assert not db.session.get(Organisation, school_id).is_low_results
            partnership = db.session.get(Partnership, partnership_id)
            assert (partnership.is_active, partnership.ended_on, partnership.ended_reason) == \
                (False, date(2026, 11, 20), data["reason"])
            assert decision.partnership_id == partnership_id
        page = _text(admin.client.get("/selection?year=2026"))
        exits = re.search(r'<section[^>]*id="shnor-exits".*?</section>', page, re.S).group(0)
        assert "Гляденская СОШ — 20.11.2026" in exits and data["reason"] in exits
