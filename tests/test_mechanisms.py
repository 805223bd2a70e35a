"""The municipal mechanisms self-assessment (seeds 000, 001, 003) and the management cycle (seeds 001, 004)."""
import re

import sqlalchemy as sa

from app.demo import seed_mechanisms
from app.extensions import db
from app.mechanisms import services
from app.mechanisms.models import MechanismCriterion, MechanismScore
from app.programmes.models import Goal
from app.visits.models import Recommendation
from helpers import database_fingerprint

YEAR = 2019  # seed 000's self-assessment was made in May 2020: the school year 2019/20
VERSION = re.compile(r'name="version" (?:type="hidden" )?value="(\d+)"')


def _catalogue(app, municipality_id):
    """[(mechanism code, [(criterion id, max points)])] in the page's order."""
    with app.app_context():
        return [(m.code, [(c.id, c.max_points) for c in cs]) for m, cs in services.catalogue(municipality_id)]


def _criterion(app, municipality_id, code, index=0):
    return dict(_catalogue(app, municipality_id))[code][index]


def _enter(app, municipality_id, year, points_by_criterion):
    """Bulk entry through the service (the HTTP path is tested separately)."""
    from app.accounts.models import User

    with app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.municipality_id == municipality_id,
                                                        User.role == "admin"))
        for criterion_id, points in points_by_criterion.items():
            score = services.score_for(db.session.get(MechanismCriterion, criterion_id), year)
            services.save_score(admin, score, {"points": float(points), "comment": "", "evidence": ""}, score.version)
        db.session.commit()  # services flush; the request (here: the test) commits


def _score(app, criterion_id, year):
    with app.app_context():
        return db.session.scalar(sa.select(MechanismScore).where(MechanismScore.criterion_id == criterion_id,
                                                                 MechanismScore.year == year))


def _url(criterion_id, year=YEAR, edit=False):
    return f"/mechanisms/scores/{criterion_id}/{year}" + ("/edit" if edit else "")


def test_default_catalogue_follows_the_seeds(app, demo):
    catalogue = _catalogue(app, demo["municipality"])
    codes = [code for code, _criteria in catalogue]
    assert codes == ["student_assessment", "low_results_schools", "talents", "career_guidance",  # results
                     "objectivity", "leaders_efficiency", "teacher_development", "upbringing", "preschool"]
    maxima = {code: sum(m for _id, m in criteria) for code, criteria in catalogue}
    assert sum(maxima.values()) == 321
    assert maxima["low_results_schools"] == 23 and maxima["objectivity"] == 29 and maxima["leaders_efficiency"] == 55
    # Seed 000: the school leaders' monitoring is «более 30 %» of the activity mechanisms.
    activity = sum(maxima[c] for c in codes[4:])
    assert 55 / activity > 0.30
    # The distribution of seed 000's points fits the catalogue.
    for code, criteria in catalogue:
        points = seed_mechanisms.SEED_000_POINTS[code]
        assert len(points) == len(criteria) and all(0 <= p <= m for p, (_id, m) in zip(points, criteria))
    assert sum(sum(p) for p in seed_mechanisms.SEED_000_POINTS.values()) == 187
    # Created once: a second call reads the same rows.
    assert _catalogue(app, demo["municipality"]) == catalogue


def test_seed_000_points_entered_over_http_give_187_of_321(app, login_as, demo):
    admin = login_as("admin")
    catalogue = _catalogue(app, demo["municipality"])
    first = catalogue[0][1][0][0]
    # The inline form is a fragment; a new score starts at version 0.
    form = admin.client.get(_url(first, edit=True), headers={"HX-Request": "true"})
    assert form.status_code == 200 and "<html" not in form.get_data(as_text=True)
    assert VERSION.search(form.get_data(as_text=True)).group(1) == "0"
    for code, criteria in catalogue:
        for (criterion_id, _max), points in zip(criteria, seed_mechanisms.SEED_000_POINTS[code]):
            resp = admin.htmx_post(_url(criterion_id), {"points": str(points), "version": "0",
                                                        "comment": "Самооценка 2020 года",
                                                        "evidence": "https://example.org/prikaz-45.pdf"})
            assert resp.status_code == 200, resp.get_data(as_text=True)[:2000]
    body = resp.get_data(as_text=True)
    assert "<html" not in body and "HX-Request" in resp.headers["Vary"]
    assert "HX-Trigger" not in resp.headers  # nothing listens: the totals travel out of band
    assert re.search(r'id="assessment-summary"[^>]*hx-swap-oob="true"', body)  # the totals, out of band
    assert re.search(r'<template>\s*<tfoot id="mechanism-total-\d+" hx-swap-oob="true"', body)
    assert body.lstrip().startswith(f'<tr id="score-{criterion_id}">')  # the row itself, first
    with app.app_context():
        totals = services.totals(demo["municipality"], YEAR)
        by_code = {m.code: totals["mechanisms"][m.id] for m, _cs in services.catalogue(demo["municipality"])}
    assert (totals["overall"]["points"], totals["overall"]["max"]) == (187, 321)
    # Seed 000 says «59 %», but 187 / 321 is 58.26 %: Opora shows the arithmetic, 58 %.
    assert totals["overall"]["percent"] == 58
    assert (by_code["low_results_schools"]["points"], by_code["low_results_schools"]["max"]) == (19, 23)
    assert by_code["low_results_schools"]["percent"] == 83
    assert (by_code["objectivity"]["points"], by_code["objectivity"]["max"]) == (20, 29)
    assert (by_code["leaders_efficiency"]["points"], by_code["leaders_efficiency"]["max"],
            by_code["leaders_efficiency"]["percent"]) == (32, 55, 58)  # seed 000: «32 балла из 55 (58%)»
    assert by_code["student_assessment"]["points"] == 22
    page = admin.client.get(f"/mechanisms?year={YEAR}").get_data(as_text=True)
    assert "187 из 321 = 58 %" in page
    assert "19 из 23 · 83 %" in page and "32 из 55 · 58 %" in page
    assert "https://example.org/prikaz-45.pdf" in page and "Самооценка 2020 года" in page


def test_points_above_the_maximum_are_refused(app, login_as, demo):
    admin = login_as("admin")
    criterion_id, maximum = _criterion(app, demo["municipality"], "low_results_schools")
    before = database_fingerprint(app)
    for points in (str(maximum + 1), "-1", "nan", "пять"):
        resp = admin.htmx_post(_url(criterion_id), {"points": points, "version": "0"})
        assert resp.status_code == 422, points
    assert f"Баллы — от 0 до {maximum}" in admin.htmx_post(_url(criterion_id), {"points": "24", "version": "0"}) \
        .get_data(as_text=True)
    assert database_fingerprint(app) == before
    # Without JavaScript: back to the page with a message, nothing written either.
    resp = admin.post(_url(criterion_id), {"points": "24", "version": "0"})
    assert resp.status_code == 303 and f"year={YEAR}" in resp.headers["Location"]
    assert database_fingerprint(app) == before


def test_a_stale_save_is_a_conflict(app, login_as, demo):
    admin, other = login_as("admin"), login_as("admin")
    criterion_id, _maximum = _criterion(app, demo["municipality"], "objectivity")
    assert admin.htmx_post(_url(criterion_id), {"points": "7", "version": "0"}).status_code == 200
    # The other admin opened the form before that save: version 0.
    resp = other.htmx_post(_url(criterion_id), {"points": "3", "comment": "моё", "version": "0"})
    assert resp.status_code == 409
    body = resp.get_data(as_text=True)
    assert "Пока вы редактировали" in body and 'data-editing' in body and "моё" in body
    score = _score(app, criterion_id, YEAR)
    assert score.points == 7 and score.version == 1
    assert VERSION.search(body).group(1) == "1"  # saving again writes theirs over, knowingly
    assert other.htmx_post(_url(criterion_id), {"points": "3", "version": "1"}).status_code == 200
    assert _score(app, criterion_id, YEAR).points == 3
    # An edit against an older version of a stored score: refused too; a mangled one is a damaged form.
    assert admin.htmx_post(_url(criterion_id), {"points": "8", "version": "1"}).status_code == 409
    for version in ("x", ""):
        assert admin.htmx_post(_url(criterion_id), {"points": "8", "version": version}).status_code == 400
    assert _score(app, criterion_id, YEAR).points == 3


def test_only_the_admin_edits(app, login_as, demo):
    criterion_id, _maximum = _criterion(app, demo["municipality"], "low_results_schools")
    for role in ("curator", "tutor", "school", "observer"):
        auth = login_as(role)
        page = auth.client.get(f"/mechanisms?year={YEAR}")
        assert page.status_code == 200
        assert _url(criterion_id, edit=True) not in page.get_data(as_text=True)
        assert auth.client.get(_url(criterion_id, edit=True), headers={"HX-Request": "true"}).status_code == 403
        before = database_fingerprint(app)
        assert auth.htmx_post(_url(criterion_id), {"points": "5", "version": "0"}).status_code == 403
        assert auth.post("/mechanisms/criteria", {"criterion-mechanism_id": "1", "criterion-text": "x",
                                                  "criterion-max_points": "3"}).status_code == 403
        assert database_fingerprint(app) == before, role


def test_another_municipality_is_not_found(app, login_as, demo):
    admin = login_as("admin")
    foreign_id, _maximum = _criterion(app, demo["other_municipality"], "low_results_schools")
    before = database_fingerprint(app)
    assert admin.client.get(_url(foreign_id, edit=True), headers={"HX-Request": "true"}).status_code == 404
    assert admin.client.get(_url(foreign_id), headers={"HX-Request": "true"}).status_code == 404
    assert admin.htmx_post(_url(foreign_id), {"points": "1", "version": "0"}).status_code == 404
    assert admin.client.get(f"/mechanisms/criteria/{foreign_id}/edit").status_code == 404
    assert database_fingerprint(app) == before
    # Their own scores never show here.
    _enter(app, demo["other_municipality"], YEAR, {foreign_id: 5})
    with app.app_context():
        assert services.totals(demo["municipality"], YEAR)["overall"]["points"] == 0


def test_years_are_school_years_in_range(login_as, demo, app):
    admin = login_as("admin")
    criterion_id, _maximum = _criterion(app, demo["municipality"], "talents")
    for year in ("2014", "2041", "abc"):
        assert admin.client.get(f"/mechanisms?year={year}").status_code == 404
    assert admin.client.get(_url(criterion_id, 2050), headers={"HX-Request": "true"}).status_code == 404
    assert admin.client.get("/mechanisms?year=2015").status_code == 200
    # Plain (no-JavaScript) requests for fragments go back to the page.
    resp = admin.client.get(_url(criterion_id, edit=True))
    assert resp.status_code == 303 and f"year={YEAR}" in resp.headers["Location"]


def test_comparison_with_previous_years(app, login_as, demo):
    with app.app_context():
        items = services.catalogue(demo["municipality"])
    _enter(app, demo["municipality"], YEAR - 1, seed_mechanisms.seed_year_points(items, 1))
    _enter(app, demo["municipality"], YEAR, seed_mechanisms.seed_year_points(items, 0))
    with app.app_context():
        rows = services.comparison(demo["municipality"], YEAR)
    assert [r["year"] for r in rows] == [YEAR - 1, YEAR]
    overall = [(r["totals"]["overall"]["points"], r["totals"]["overall"]["percent"]) for r in rows]
    assert overall == [(163, 51), (187, 58)]
    page = login_as("observer").client.get(f"/mechanisms?year={YEAR}").get_data(as_text=True)
    comparison = page.split('id="assessment-comparison"', 1)[1]
    assert f"{YEAR - 1}/{YEAR}" in comparison and f"/mechanisms?year={YEAR - 1}" in comparison
    assert re.search(rf'id="comparison-{YEAR - 1}"><strong>163 / 321</strong> · 51 %', comparison)
    assert re.search(rf'id="comparison-{YEAR}"><strong>187 / 321</strong> · 58 %', comparison)
    # The earlier year's page compares with nothing before it.
    earlier = login_as("observer").client.get(f"/mechanisms?year={YEAR - 1}").get_data(as_text=True)
    assert f'id="comparison-{YEAR}"' not in earlier


def test_demo_seed_is_idempotent(app, demo):
    from app.orgs.models import Municipality

    with app.app_context():
        municipality = db.session.get(Municipality, demo["other_municipality"])
        db.session.execute(sa.delete(MechanismScore).where(MechanismScore.municipality_id == municipality.id))
        db.session.commit()
        seed_mechanisms.seed_assessment(municipality, 2025)
        db.session.commit()
        count = db.session.scalar(sa.select(sa.func.count(MechanismScore.id)).where(
            MechanismScore.municipality_id == municipality.id))
        seed_mechanisms.seed_assessment(municipality, 2025)
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count(MechanismScore.id)).where(
            MechanismScore.municipality_id == municipality.id)) == count == 2 * 45
        this_year, last_year = (services.totals(municipality.id, y)["overall"] for y in (2025, 2024))
        assert (this_year["points"], this_year["max"]) == (187, 321)
        assert last_year["points"] == 163 < this_year["points"]


def test_admin_edits_the_catalogue(app, login_as, demo):
    admin = login_as("admin")
    catalogue = dict(_catalogue(app, demo["municipality"]))
    with app.app_context():
        mechanism_id = db.session.get(MechanismCriterion, catalogue["low_results_schools"][0][0]).mechanism_id
    resp = admin.post("/mechanisms/criteria", {"criterion-mechanism_id": str(mechanism_id),
                                               "criterion-text": "Открытость результатов: публичный доклад",
                                               "criterion-max_points": "4", "criterion-year": str(YEAR)})
    assert resp.status_code == 302 and f"year={YEAR}" in resp.headers["Location"]
    assert admin.post("/mechanisms/criteria", {"criterion-mechanism_id": str(mechanism_id), "criterion-text": "x",
                                               "criterion-max_points": "0"}).status_code == 422
    with app.app_context():
        totals = services.totals(demo["municipality"], YEAR)
        assert totals["mechanisms"][mechanism_id]["max"] == 27 and totals["overall"]["max"] == 325
    # Editing: the maximum cannot fall below points already given; switching off leaves the totals.
    criterion_id, _maximum = catalogue["low_results_schools"][0]
    _enter(app, demo["municipality"], YEAR, {criterion_id: 5})
    url = f"/mechanisms/criteria/{criterion_id}/edit"
    version = VERSION.search(admin.client.get(url).get_data(as_text=True)).group(1)
    data = {"text": "Мониторинг и анализ результатов оценочных процедур", "max_points": "3", "version": version}
    assert admin.post(url, data).status_code == 422
    assert admin.post(url, dict(data, max_points="5", is_active="")).status_code == 302
    with app.app_context():
        totals = services.totals(demo["municipality"], YEAR)
        assert totals["mechanisms"][mechanism_id]["max"] == 22 and totals["mechanisms"][mechanism_id]["points"] == 0
    assert admin.post(url, dict(data, max_points="5", is_active="y")).status_code == 409  # stale version
    assert admin.htmx_post(_url(criterion_id), {"points": "1", "version": "1"}).status_code == 422  # switched off


def _cycle(auth):
    page = auth.client.get("/mechanisms/cycle").get_data(as_text=True)
    return dict(re.findall(r'id="cycle-(\w+)" data-done="(yes|no)"', page)), page


def test_management_cycle_is_computed_from_the_data(app, login_as, demo):
    admin = login_as("admin")
    steps, page = _cycle(admin)
    assert list(steps) == list(services.CYCLE_CODES)
    # The demo programme (one of three supported schools) evidences every step, but for one school
    # only; visits with recommendations went to two of the three.
    assert {code for code, done in steps.items() if done == "yes"} == {"analysis_recommendations"}, steps
    assert f'/programmes/{demo["programme"]}' in page and f'/visits/{demo["visit"]}' in page
    assert "выполнено для 1 из 3 школ (33 %)" in page and "выполнено для 2 из 3 школ (67 %)" in page
    assert "Подтверждено шагов: 1 из 6" in page
    # Delete the evidence of that step: it is now missing.
    with app.app_context():
        db.session.execute(sa.delete(Recommendation).where(Recommendation.municipality_id == demo["municipality"]))
        db.session.commit()
    steps, page = _cycle(admin)
    assert steps["analysis_recommendations"] == "no"
    assert "Нет отправленных школе выездов с адресными рекомендациями" in page
    with app.app_context():
        db.session.execute(sa.delete(Goal).where(Goal.municipality_id == demo["municipality"]))
        db.session.commit()
    page = admin.client.get("/mechanisms/cycle").get_data(as_text=True)
    goals_row = page[page.index('id="cycle-goals"'):page.index('id="cycle-indicators_methods"')]
    assert "выполнено для 0 из 3 школ (0 %)" in goals_row


def test_management_cycle_stays_in_the_municipality(app, login_as, demo):
    # The other municipality's draft programme has a goal and an indicator but no visit recommendations
    # of ours; our data never count for them, nor theirs for us.
    foreign = login_as("admin@raichikhinsk.demo")
    steps, page = _cycle(foreign)
    assert f'/programmes/{demo["programme"]}' not in page and "Павловская" not in page
    assert steps["goals"] == "yes" and steps["effect_analysis"] == "no"
    # A school team sees that the step is done, with links only to what it may open.
    school, _page = _cycle(login_as("school"))
    assert school == _cycle(login_as("admin"))[0]
