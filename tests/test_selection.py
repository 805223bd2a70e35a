import io
import re
from datetime import datetime, timezone

import openpyxl
import sqlalchemy as sa
import time_machine

from app.extensions import db
from app.orgs.models import Organisation, Partnership
from app.programmes.models import Programme, Section
from app.selection.models import CardScore, SchoolRisk, ShnorDecision
from app.selection.services import criteria, grid, risk_factors
from helpers import database_fingerprint

# 10 schools × 6 criteria (oge_fail, ege_below_min, objectivity, risk_zone ≤3, olympiads, interim_attestation)
SCORES = {
    "Павловская СОШ": (1, 1, 1, 3, 1, 1), "Сахаптинская СОШ": (1, 0, 0, 2, 1, 0), "Сережская ООШ": (1, 0, 0, 1, 1, 1),
    "Преображенская СОШ": (0, 0, 0, 0, 0, 0), "Степновская СОШ": (0, 0, 0, 1, 0, 0),
    "Крутоярская СОШ": (0, 0, 0, 0, 1, 0), "Гляденская СОШ": (0, 1, 0, 0, 1, 1), "Сохновская СОШ": (1, 0, 0, 0, 1, 0),
    "Подсосенская СОШ": (0, 0, 1, 2, 1, 1), "Краснополянская СОШ": (0, 0, 0, 0, 0, 1),
}
THRESHOLD = 4  # → Павловская 8, Подсосенская 5, Сахаптинская 4, Сережская 4


def _schools(app):
    with app.app_context():
        return {o.short_name: o.id for o in db.session.scalars(sa.select(Organisation).where(
            Organisation.kind == "school", Organisation.municipality_id == 1))}


def _result(app, year):
    with app.app_context():
        card, _crits, rows = grid(1, year)
        return [(r["school"].short_name, r["total"], r["rank"], r["candidate"]) for r in rows]


def test_scores_rank_and_flag_exactly_the_schools_over_the_threshold(app, login_as):
    admin = login_as("admin")
    ids = _schools(app)
    assert admin.client.get("/selection?year=2027").status_code == 200
    admin.post("/selection/2027/threshold", data={"threshold": THRESHOLD})
    with app.app_context():
        crits = [c.id for c in criteria(1, 2027)]
    for name, points in SCORES.items():
        for criterion, value in zip(crits, points):
            resp = admin.htmx_post("/selection/2027/scores", {"criterion": criterion, "school": ids[name],
                                                                   "points": value, "version": 0})
            assert resp.status_code == 200, (name, resp.get_data(as_text=True)[:300])
    result = _result(app, 2027)
    assert [r[0] for r in result if r[3]] == ["Павловская СОШ", "Подсосенская СОШ", "Сахаптинская СОШ", "Сережская ООШ"]
    assert result[0] == ("Павловская СОШ", 8, 1, True)
    assert ("Сахаптинская СОШ", 4, 3, True) in result and ("Сережская ООШ", 4, 3, True) in result
    assert ("Гляденская СОШ", 3, 5, False) in result
    html = admin.client.get("/selection?year=2027").get_data(as_text=True)
    assert html.count("кандидат</span>") == 4

    # The same scores through the xlsx template give the same result for another year.
    admin.post("/selection/2028/threshold", data={"threshold": THRESHOLD})
    template = admin.client.get("/selection/2028/template.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(template.data))
    sheet = book.worksheets[0]
    for row in sheet.iter_rows(min_row=2):
        for cell, value in zip(row[1:], SCORES[row[0].value]):
            cell.value = value
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    resp = admin.post("/selection/2028/import", data={"file": (buffer, "karta.xlsx")},
                      content_type="multipart/form-data")
    assert resp.status_code == 200, resp.get_data(as_text=True)[-3000:]  # a preview: nothing written yet
    token = re.search(r'name="token" value="([^"]+)"', resp.get_data(as_text=True)).group(1)
    assert admin.post("/selection/2028/import/confirm", data={"token": token}).status_code == 302
    assert _result(app, 2028) == result


def test_a_bad_card_file_is_refused_whole(app, login_as):
    admin = login_as("admin")
    admin.client.get("/selection?year=2027")  # shows the year's default card without storing it
    template = admin.client.get("/selection/2027/template.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(template.data))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(min_row=2))
    rows[0][1].value = 1                      # fine
    rows[1][0].value = "Марсианская СОШ"      # unknown school (row 3)
    rows[2][4].value = 5                      # risk_zone above its maximum 3 (row 4)
    rows[3][2].value = "много"               # text in a number cell (row 5)
    headers = [c.value for c in sheet[1]]
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    before = database_fingerprint(app)
    resp = admin.post("/selection/2027/import", data={"file": (buffer, "karta.xlsx")},
                      content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Ничего не загружено" in html
    assert "Строка 3, столбец «Школа»: школа «Марсианская СОШ» не найдена" in html
    assert f"Строка 4, столбец «{headers[4]}»: баллы от 0 до 3" in html
    assert f"Строка 5, столбец «{headers[2]}»: не число: «много»" in html
    with app.app_context():
        crit_ids = [c.id for c in criteria(1, 2027)]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CardScore).where(
            CardScore.criterion_id.in_(crit_ids))) == 0
    assert database_fingerprint(app) == before


def test_cell_validation_and_conflict(app, login_as):
    admin, other = login_as("admin"), login_as("admin")
    ids = _schools(app)
    with app.app_context():
        risk_zone = next(c for c in criteria(1, 2026) if c.code == "risk_zone")
        score = db.session.scalar(sa.select(CardScore).where(CardScore.criterion_id == risk_zone.id,
                                                             CardScore.school_id == ids["Павловская СОШ"]))
    resp = admin.htmx_post("/selection/2026/scores", {"criterion": risk_zone.id, "school": ids["Павловская СОШ"],
                                                           "points": 7, "version": score.version})
    assert resp.status_code == 422 and "баллы от 0 до 3" in resp.get_data(as_text=True)
    assert admin.htmx_post("/selection/2026/scores", {"criterion": risk_zone.id, "school": ids["Павловская СОШ"],
                                                           "points": 3, "version": score.version}).status_code == 200
    stale = other.htmx_post("/selection/2026/scores", {"criterion": risk_zone.id, "school": ids["Павловская СОШ"],
                                                            "points": 0, "version": score.version})
    assert stale.status_code == 409 and "изменил другой участник" in stale.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(CardScore, score.id).points == 3


def test_year_against_year_entered_and_left(login_as):
    page = login_as("admin").client.get("/selection?year=2026").get_data(as_text=True)
    assert "вошли в список — Подсосенская СОШ" in page and "вышли из списка — Сахаптинская СОШ" in page


def test_confirming_creates_partnership_and_programme_in_one_form(app, login_as):
    admin = login_as("admin")
    ids = _schools(app)
    school = ids["Подсосенская СОШ"]
    with app.app_context():
        curator = db.session.scalar(sa.text("SELECT id FROM \"user\" WHERE email = 'curator2@opora.demo'"))
    resp = admin.post(f"/selection/2026/schools/{school}/decision", data={
        "decision": "confirmed", "reason": "Сумма баллов 5 при пороге 4; неудовлетворительные результаты ОГЭ",
        "tutor_school_id": ids["Крутоярская СОШ"], "curator_id": curator, "start_year": "2026",
        "agreement_number": "СД-4/2026", "agreement_date": "2026-09-01"})
    assert resp.status_code == 302
    programme_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        decision = db.session.scalar(sa.select(ShnorDecision).where(ShnorDecision.school_id == school))
        assert decision.decision == "confirmed" and decision.total == 5
        assert decision.decided_by.email == "admin@opora.demo"
        partnership = db.session.get(Partnership, decision.partnership_id)
        assert (partnership.tutor_school_id, partnership.curator_id, partnership.start_year) == \
            (ids["Крутоярская СОШ"], curator, 2026)
        programme = db.session.get(Programme, programme_id)
        assert programme.partnership_id == partnership.id and programme.status == "draft"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Section).where(
            Section.programme_id == programme_id)) == 4
        assert db.session.get(Organisation, school).is_low_results
    # The reason is required; a curator cannot decide.
    assert admin.post(f"/selection/2026/schools/{ids['Сережская ООШ']}/decision",
                      data={"decision": "declined", "reason": ""}).status_code == 422
    assert login_as("curator").post(f"/selection/2026/schools/{school}/decision",
                                    data={"decision": "declined", "reason": "x"}).status_code == 403


def test_context_index_tells_shnor_and_shnsu_apart(app, login_as):
    page = login_as("admin").client.get("/selection/context").get_data(as_text=True)
    rows = re.findall(r"<tr><td><a [^>]+>([^<]+)</a></td>\s*<td>([\d,]+|—)</td>", page)  # 12,5: Russian comma
    indices = {name: float(value.replace(",", ".")) for name, value in rows if value != "—"}
    assert len(indices) == 10
    # The demo ШНОР schools have a more unfavourable context than the others.
    shnor = [indices[n] for n in ("Павловская СОШ", "Сахаптинская СОШ", "Сережская ООШ")]
    others = [v for n, v in indices.items() if n not in ("Павловская СОШ", "Сахаптинская СОШ", "Сережская ООШ")]
    assert min(shnor) > max(others)


def test_risk_profile_and_antirisk_section(app, login_as, demo):
    school = login_as("school")
    with app.app_context():
        factor = next(f for f in risk_factors(1, 2026) if f.code == "low_equipment")
        version = db.session.scalar(sa.select(SchoolRisk.version).where(SchoolRisk.factor_id == factor.id,
                                                                        SchoolRisk.school_id == demo["school"]))
    data = {f"r{factor.id}-level": "high", f"r{factor.id}-is_actual": "y",
            f"r{factor.id}-measures": "Заявка на оснащение кабинетов физики и химии", f"r{factor.id}-version": version}
    assert school.post(f"/schools/{demo['school']}/risks/{factor.id}", data=data).status_code == 302
    assert school.post(f"/schools/{demo['school']}/risks/{factor.id}", data=data).status_code == 303  # stale now
    resp = school.post(f"/schools/{demo['school']}/risks/{factor.id}/section")
    assert resp.status_code == 302
    with app.app_context():
        risk = db.session.scalar(sa.select(SchoolRisk).where(SchoolRisk.factor_id == factor.id,
                                                             SchoolRisk.school_id == demo["school"]))
        section = db.session.get(Section, risk.section_id)
        assert risk.level == "high" and risk.is_actual
        assert section.programme_id == demo["programme"] and "Низкий уровень оснащения школы" in section.title
        from app.activity.services import history_of

        assert history_of(risk)[0].changes == {"section_id": [None, section.id]}
    page = school.client.get(f"/programmes/{demo['programme']}").get_data(as_text=True)
    assert "Антирисковое направление: Низкий уровень оснащения школы" in page
    assert login_as("observer").post(f"/schools/{demo['school']}/risks/{factor.id}/section").status_code == 403


@time_machine.travel(datetime(2026, 11, 22, 5, 0, tzinfo=timezone.utc), tick=True)  # the demo's reference day
def test_watchlist_gives_reasons(app, login_as):
    page = login_as("admin").client.get("/watchlist").get_data(as_text=True)
    assert "Павловская СОШ" in page and "просрочено мероприятий: 3" in page
    assert "Сахаптинская СОШ" in page and "нет действующей программы" in page
    assert "нет выезда 6 нед." in page
    curator_page = login_as("curator").client.get("/watchlist").get_data(as_text=True)
    assert "Сережская ООШ" not in curator_page


def test_a_cell_created_by_someone_else_a_moment_earlier_is_a_conflict(app, demo):
    """Two users fill in the same empty risk cell at once: both read "none yet"; the second
    insert meets the unique key and gets a Conflict (the page shows the current value), not a 500."""
    from app.accounts.models import User
    from app.editing import save_or_create
    from app.versioning import Conflict

    with app.test_request_context():
        factor = risk_factors(1, 2026)[0]
        assessed = sa.select(SchoolRisk.school_id).where(SchoolRisk.factor_id == factor.id)
        school = db.session.scalar(sa.select(Organisation).where(
            Organisation.municipality_id == factor.municipality_id, Organisation.kind == "school",
            Organisation.id.not_in(assessed)).order_by(Organisation.id))
        actor = db.session.scalar(sa.select(User).where(User.email == "school@opora.demo"))

        def new():
            return SchoolRisk(municipality_id=school.municipality_id, school_id=school.id, factor_id=factor.id)

        data = {"level": "high", "is_actual": True, "measures": ""}
        first = save_or_create(actor, None, new, data, "0", conflict_with=factor, scope="risks:test")
        assert first.id is not None
        db.session.commit()  # the first user's request ends (app/transaction.py commits it)
        try:
            save_or_create(actor, None, new, dict(data, level="low"), "0", conflict_with=factor, scope="risks:test")
        except Conflict as exc:
            assert exc.current is factor
        else:
            raise AssertionError("the second creation of the same cell was accepted")
        rows = db.session.scalars(sa.select(SchoolRisk).where(SchoolRisk.school_id == school.id,
                                                               SchoolRisk.factor_id == factor.id)).all()
        assert [r.level for r in rows] == ["high"]


def test_a_cell_answers_htmx_with_the_grid_and_a_plain_form_with_a_303(app, login_as):
    """One way (htmx.respond): the grid block with its notice and Vary for htmx; without
    JavaScript the card at the school's row, the refusal flashed and nothing written."""
    admin = login_as("admin")
    ids = _schools(app)
    school = ids["Краснополянская СОШ"]
    with app.app_context():
        risk_zone = next(c for c in criteria(1, 2026) if c.code == "risk_zone")
        score = db.session.scalar(sa.select(CardScore).where(CardScore.criterion_id == risk_zone.id,
                                                             CardScore.school_id == school))
        version = score.version if score else 0
    url, cell = "/selection/2026/scores", {"criterion": risk_zone.id, "school": school}
    resp = admin.htmx_post(url, dict(cell, points=9, version=version))
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "HX-Request" in resp.headers["Vary"] and "<html" not in body
    assert body.lstrip().startswith('<section id="card-grid">')
    assert re.search(r'class="flash flash-error" role="alert">Краснополянская СОШ, «[^»]+»: баллы от 0 до 3', body)
    before = database_fingerprint(app)
    resp = admin.post(url, dict(cell, points=9, version=version))
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/selection?year=2026#card-row-{school}")
    with admin.client.session_transaction() as session:
        assert [c for c, m in session.get("_flashes", []) if "баллы от 0 до 3" in m] == ["error"]
    assert database_fingerprint(app) == before
    resp = admin.post(url, dict(cell, points=2, version=version))
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"#card-row-{school}")
    with app.app_context():
        assert db.session.scalar(sa.select(CardScore.points).where(CardScore.criterion_id == risk_zone.id,
                                                                   CardScore.school_id == school)) == 2
    # The stale form again, now from a plain browser: the warning, nothing written.
    before = database_fingerprint(app)
    resp = admin.post(url, dict(cell, points=1, version=version))
    assert resp.status_code == 303
    with admin.client.session_transaction() as session:
        assert [c for c, _m in session.get("_flashes", [])][-1] == "warning"
    assert database_fingerprint(app) == before


def test_context_threshold_is_recorded_in_history(app, login_as):
    from app.activity.models import ActivityEvent

    admin = login_as("admin")
    assert admin.post("/selection/context", {"threshold": "42,5"}).status_code == 302
    with app.app_context():
        event = db.session.scalar(sa.select(ActivityEvent).where(ActivityEvent.object_type == "municipality")
                                  .order_by(ActivityEvent.id.desc()))
        assert event.changes == {"context_index_threshold": [None, 42.5]}
