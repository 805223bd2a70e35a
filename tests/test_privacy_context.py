"""Privacy (observers read no free text about people; a tutor school sees only its schools),
the context index per school year with an automatic threshold, and the management cycle by share."""
import re
from datetime import date, datetime

import pytest
import sqlalchemy as sa
import time_machine

from app.accounts.models import User
from app.extensions import db
from app.mechanisms import services as assessment
from app.orgs.models import ContextFactor, ContextValue, Municipality, Organisation, Partnership
from app.programmes import services as programmes
from app.programmes.models import Goal
from app.selection import services as identification
from app.teachers.models import DiagnosticSession
from app.visits.models import LessonObservation, Recommendation, Visit

TEACHER = "Подгорбунская Алла Семёновна"
FINDINGS = "Закрепить за Подгорбунской А. С. наставника по формирующему оцениванию."
REC_TEXT = "Подгорбунской А. С. посетить уроки наставника до конца четверти."
NOTES = "Подгорбунская А. С. не использует приёмы обратной связи."


def _user_id(email):
    return db.session.scalar(sa.select(User.id).where(User.email == email))


@pytest.fixture
def named_visit(app, demo):
    """A submitted visit to the demo school whose findings, lesson notes and recommendation name a teacher."""
    from app.teachers.models import Teacher

    with app.app_context():
        teacher = Teacher(municipality_id=demo["municipality"], school_id=demo["school"], full_name=TEACHER)
        db.session.add(teacher)
        visit = Visit(municipality_id=demo["municipality"], partnership_id=demo["partnership"],
                      school_id=demo["school"], visit_date=date(2026, 11, 20), format="consultation",
                      purpose="Посещение уроков Подгорбунской А. С.", findings=FINDINGS, status="submitted",
                      created_by_id=_user_id("curator@opora.demo"), submitted_at=datetime(2026, 11, 20, 9))
        db.session.add(visit)
        db.session.flush()
        db.session.add(LessonObservation(municipality_id=demo["municipality"], visit_id=visit.id,
                                         teacher_id=teacher.id, subject="Математика", grade="7", notes=NOTES))
        rec = Recommendation(municipality_id=demo["municipality"], partnership_id=demo["partnership"],
                             school_id=demo["school"], visit_id=visit.id, text=REC_TEXT,
                             owner="Подгорбунская А. С.", deadline=date(2026, 12, 25))
        db.session.add(rec)
        db.session.commit()
        return {"visit": visit.id, "rec": rec.id}


def _text(auth, url):
    resp = auth.client.get(url)
    assert resp.status_code == 200, url
    return resp.get_data(as_text=True)


def test_observer_reads_no_free_text_about_people(login_as, named_visit):
    observer = login_as("observer")
    page = _text(observer, f"/visits/{named_visit['visit']}")
    assert "Подгорбунск" not in page  # neither findings, purpose, notes, recommendation nor the teacher
    assert FINDINGS not in page and REC_TEXT not in page and TEACHER not in page
    # ...but the counts and statuses stay.
    assert re.search(r"Рекомендаций</dt><dd>1<", page) and re.search(r"Посещено уроков</dt><dd>1<", page)
    assert "Открыта" in page and "срок" in page  # the recommendation's status and deadline
    for url in (f"/recommendations/{named_visit['rec']}", "/visits"):
        assert "Подгорбунск" not in _text(observer, url), url

    for role in ("curator", "school"):
        page = _text(login_as(role), f"/visits/{named_visit['visit']}")
        assert FINDINGS in page and REC_TEXT in page, role
    curator_page = _text(login_as("curator"), f"/visits/{named_visit['visit']}")
    assert TEACHER in curator_page and NOTES in curator_page


def test_tutor_sees_context_and_deficits_of_its_schools_only(app, login_as, demo):
    supported, other = demo["school"], demo["unrelated_school"]  # Павловская ← Преображенская; Сахаптинская
    with app.app_context():
        for school_id in (supported, other):
            db.session.add(DiagnosticSession(municipality_id=demo["municipality"], school_id=school_id,
                                             session_date=date(2026, 10, 1), method="test",
                                             created_by_id=_user_id("admin@opora.demo")))
        db.session.commit()
        names = {i: db.session.get(Organisation, i).short_name for i in (supported, other)}
    tutor = login_as("tutor")

    own = _text(tutor, f"/orgs/{supported}")
    assert "Контекстный профиль" in own and "многодетных" in own
    foreign = _text(tutor, f"/orgs/{other}")
    assert "Контекстный профиль" not in foreign and "многодетных" not in foreign
    assert tutor.client.get(f"/schools/{other}/teachers").status_code in (403, 404)

    index = _text(tutor, "/selection/context")
    assert names[supported] in index and names[other] not in index
    heat = _text(tutor, "/diagnostics/heatmap")
    assert names[supported] in heat and names[other] not in heat
    # The department still compares every school.
    curator_heat = _text(login_as("admin"), "/diagnostics/heatmap")
    assert names[supported] in curator_heat and names[other] in curator_heat

    # Support ended: the tutor school no longer sees that school's families or teachers.
    with app.app_context():
        db.session.get(Partnership, demo["partnership"]).is_active = False
        db.session.commit()
    assert "многодетных" not in _text(tutor, f"/orgs/{supported}")
    assert names[supported] not in _text(tutor, "/diagnostics/heatmap")


def _index_of(municipality_id, school_id, year):
    return next(r["index"] for r in identification.context_indices(municipality_id, year)
                if r["school"].id == school_id)


def test_context_values_are_kept_per_school_year(app, login_as, demo):
    with app.app_context():
        before_2025 = _index_of(demo["municipality"], demo["school"], 2025)
        assert before_2025 is not None
    with time_machine.travel(datetime(2026, 10, 5, 3, 0), tick=False):  # school year 2026/27
        admin = login_as("admin")
        page = _text(admin, f"/orgs/{demo['school']}/context")
        assert "2026/2027" in page
        fields = re.findall(r'name="(f\d+)"', page)
        assert admin.post(f"/orgs/{demo['school']}/context", {f: "50" for f in fields}).status_code == 302
        card = _text(admin, f"/orgs/{demo['school']}")
        assert "2026/2027" in card and "2025/2026" in card  # this year's values and last year's beside them
    with app.app_context():
        assert _index_of(demo["municipality"], demo["school"], 2026) == 50.0
        assert _index_of(demo["municipality"], demo["school"], 2025) == before_2025


def _school_with_index(municipality_id, name, index, year):
    """A school whose every factor gives `index`: negative factors at index %, positive at 100 - index %."""
    school = Organisation(municipality_id=municipality_id, kind="school", name=name, short_name=name)
    db.session.add(school)
    db.session.flush()
    for f in db.session.scalars(sa.select(ContextFactor).where(ContextFactor.municipality_id == municipality_id)):
        db.session.add(ContextValue(organisation_id=school.id, factor_id=f.id, school_year=year,
                                    share=index if f.direction == "negative" else 100 - index))
    return school


def test_automatic_threshold_tells_schools_apart_and_an_explicit_one_overrides(app, login_as, demo):
    year = 2030  # a year only the schools built here have data for
    with app.app_context():
        built = {index: _school_with_index(demo["municipality"], f"Тестовая школа {index}", index, year).short_name
                 for index in (10, 11, 12, 13, 14, 40)}
        db.session.commit()
        m = db.session.get(Municipality, demo["municipality"])
        assert m.context_index_threshold is None  # the migration made the old fixed default automatic
        rows = identification.context_indices(m.id, year)
        threshold = identification.context_threshold(m, rows)
        assert threshold["automatic"] and 14 < threshold["value"] < 40  # mean 16.7 + SD 10.4
        flagged = {r["school"].short_name for r in identification.flag_unfavourable(rows, threshold)
                   if r["unfavourable"]}
        assert flagged == {built[40]}
        # With the demo data too, the index separates schools: not all ten are flagged.
        demo_rows = identification.context_indices(m.id, 2025)
        demo_flags = [r for r in identification.flag_unfavourable(
            demo_rows, identification.context_threshold(m, demo_rows)) if r["unfavourable"]]
        assert 0 < len(demo_flags) < len([r for r in demo_rows if r["index"] is not None])

    admin = login_as("admin")
    page = _text(admin, f"/selection/context?year={year}")
    assert page.count("неблагоприятный контекст") == 1
    assert "автоматически: среднее по муниципалитету" in page
    # An explicit threshold overrides the automatic one and says so; empty goes back to automatic.
    resp = admin.post(f"/selection/context?year={year}", {"threshold": "12"})
    assert resp.status_code == 302
    page = _text(admin, f"/selection/context?year={year}")
    assert page.count("неблагоприятный контекст") == 4 and "задан управлением образования" in page
    assert admin.post(f"/selection/context?year={year}", {"threshold": "250"}).status_code == 422
    assert admin.post(f"/selection/context?year={year}", {"threshold": ""}).status_code == 302
    with app.app_context():
        assert db.session.get(Municipality, demo["municipality"]).context_index_threshold is None
    # Not the admin: the threshold stays.
    assert login_as("curator").post(f"/selection/context?year={year}", {"threshold": "5"}).status_code == 403


def _goals_row(auth):
    page = _text(auth, "/mechanisms/cycle")
    row = page[page.index('id="cycle-goals"'):page.index('id="cycle-indicators_methods"')]
    return row, page


def test_management_cycle_step_needs_most_supported_schools(app, login_as, demo):
    admin = login_as("admin")
    # The demo: three supported schools, one programme with goals.
    row, page = _goals_row(admin)
    assert 'data-done="no"' in row and "выполнено для 1 из 3 школ (33 %)" in row
    assert "Сахаптинская СОШ" in row and "Сережская ООШ" in row  # the schools that lack it
    assert "более чем для 50 % сопровождаемых школ" in page
    with app.app_context():
        partnership = db.session.scalar(sa.select(Partnership).where(Partnership.school_id == demo["unrelated_school"]))
        actor = db.session.get(User, _user_id("admin@opora.demo"))
        programme = programmes.create_programme(actor, partnership, 2025)
        db.session.add(Goal(municipality_id=demo["municipality"], programme_id=programme.id, position=1,
                            text="Доля обучающихся 9 классов, преодолевших минимальный порог ОГЭ, — 100 %."))
        db.session.commit()
    row, _page = _goals_row(admin)
    assert 'data-done="yes"' in row and "выполнено для 2 из 3 школ (67 %)" in row
    assert "Сахаптинская СОШ" not in row.split("Нет данных")[-1].split("</p>")[0]
    assert "Сережская ООШ" in row
    with app.test_request_context():
        steps = {s["code"]: s for s in assessment.management_cycle(demo["municipality"])}
        assert steps["goals"]["covered"] == 2 and steps["goals"]["total"] == 3 and steps["goals"]["done"]
