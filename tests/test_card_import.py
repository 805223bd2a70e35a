"""The diagnostic card's import: blank cells change nothing, a preview before any write, conflicts
with edits made meanwhile, history per cell, undo; and no GET in identification writes.

Each test builds its own card (year 2030: criteria and scores of its own) in the demo municipality."""
import io
import re
import zipfile
from datetime import datetime, timedelta, timezone

import openpyxl
import pytest
import sqlalchemy as sa
import time_machine

from app.activity.labels import present
from app.activity.models import ActivityEvent
from app.extensions import db
from app.orgs.models import Organisation
from app.selection.models import CardCriterion, CardImport, CardScore, CardYear, RiskFactor
from helpers import database_fingerprint

YEAR = 2030
# Three criteria of our own: two yes/no, one «per sign» up to 3 — a school's maximum is 5.
CRITERIA = [("c_oge", "Результаты ОГЭ: неудовлетворительные результаты", "binary", 1),
            ("c_vpr", "Объективность ВПР: признаки необъективности", "binary", 1),
            ("c_zone", "Зона риска: число признаков", "per_sign", 3)]
HEADERS = ["Школа", "Результаты ОГЭ", "Объективность ВПР", "Зона риска"]


def _build_card(app):
    """Card 2030: 22 points in 21 non-zero cells over every school but the first (20 × 1 and one 2);
    the first school has nothing yet. Returns {"schools": [(id, name)], "crits": [ids], "filled": id}."""
    with app.app_context():
        schools = db.session.execute(sa.select(Organisation.id, Organisation.short_name).where(
            Organisation.municipality_id == 1, Organisation.kind == "school", Organisation.is_archived.is_(False))
            .order_by(Organisation.short_name)).all()
        db.session.add(CardYear(municipality_id=1, year=YEAR, threshold=4))
        crits = [CardCriterion(municipality_id=1, year=YEAR, position=i, code=code, text=text, scoring=scoring,
                               max_points=top) for i, (code, text, scoring, top) in enumerate(CRITERIA, start=1)]
        db.session.add_all(crits)
        db.session.flush()
        cells = [(school_id, c) for school_id, _name in schools[1:] for c in crits][:21]
        assert len(cells) == 21
        for n, (school_id, criterion) in enumerate(cells):
            points = 2 if criterion.code == "c_zone" and n == 2 else 1
            db.session.add(CardScore(municipality_id=1, criterion_id=criterion.id, school_id=school_id, points=points))
        db.session.commit()
        return {"schools": [tuple(s) for s in schools], "crits": [c.id for c in crits], "filled": schools[0][0]}


def _points(app):
    """{(school id, criterion id): points} of the card."""
    with app.app_context():
        return dict(((s, c), p) for s, c, p in db.session.execute(
            sa.select(CardScore.school_id, CardScore.criterion_id, CardScore.points).join(CardCriterion)
            .where(CardCriterion.year == YEAR, CardCriterion.municipality_id == 1)).all())


def _book(auth, fill):
    """The template as downloaded, with `fill` = {school name: [cell values]} typed in."""
    resp = auth.client.get(f"/selection/{YEAR}/template.xlsx")
    assert resp.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(resp.data))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == HEADERS
    for row in sheet.iter_rows(min_row=2):
        for cell, value in zip(row[1:], fill.get(row[0].value, ())):
            cell.value = value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _upload(auth, data, year=YEAR):
    return auth.post(f"/selection/{year}/import", data={"file": (io.BytesIO(data), "karta.xlsx")},
                     content_type="multipart/form-data")


def _token(resp):
    return re.search(r'name="token" value="([^"]+)"', resp.get_data(as_text=True)).group(1)


def _rows_of_preview(html):
    """{school: [(criterion, before, after)]} as the preview lists them."""
    result = {}
    for school, body in re.findall(r'<h2 id="preview-school-\d+">([^<]+)</h2>(.*?)</section>', html, re.S):
        result[school] = re.findall(r'<th scope="row"[^>]*>([^<]+)</th><td class="diff-before">([^<]+)</td>'
                                    r'<td class="diff-after">([^<]+)</td>', body)
    return result


def test_a_filled_row_changes_only_that_school_after_a_preview(app, login_as):
    """The issue's case: the template lists every school; one school filled in and uploaded used to
    set 21 non-zero scores to 0 (card total 22 → 5). Now blank cells stay, and the upload is a preview
    first."""
    card = _build_card(app)
    admin = login_as("admin")
    before_points = _points(app)
    assert sum(before_points.values()) == 22 and sum(1 for p in before_points.values() if p) == 21
    first_id, first_name = card["schools"][0]
    # The template lists every school with blank cells and says what a blank cell means; its
    # example sits on the instructions sheet only.
    book = openpyxl.load_workbook(io.BytesIO(admin.client.get(f"/selection/{YEAR}/template.xlsx").data))
    data_sheet, notes = book.worksheets
    assert [r[0].value for r in data_sheet.iter_rows(min_row=2)] == [name for _id, name in card["schools"]]
    assert all(c.value is None for r in data_sheet.iter_rows(min_row=2) for c in r[1:])
    instructions = " ".join(str(c.value) for r in notes.iter_rows() for c in r if c.value is not None)
    assert "Пустая ячейка — балл не меняется" in instructions and "СОШ № 1" in instructions
    data = _book(admin, {first_name: [1, 1, 3]})

    before = database_fingerprint(app)
    resp = _upload(admin, data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200, html[-2000:]
    assert database_fingerprint(app) == before  # the preview wrote nothing
    assert _rows_of_preview(html) == {first_name: [("Результаты ОГЭ", "0", "1"), ("Объективность ВПР", "0", "1"),
                                                   ("Зона риска", "0", "3")]}
    assert "Файл изменит баллов: 3 в 1 школе." in html
    assert "Загрузить изменения" in html and "Отмена" in html

    resp = admin.post(f"/selection/{YEAR}/import/confirm", data={"token": _token(resp)})
    assert resp.status_code == 302
    after = _points(app)
    assert sum(after.values()) == 27  # 22 + the first school's 5, not 5
    assert {k: v for k, v in after.items() if k[0] != first_id} == before_points
    assert [after[(first_id, c)] for c in card["crits"]] == [1, 1, 3]

    with app.test_request_context():
        scores = db.session.scalars(sa.select(CardScore).where(CardScore.school_id == first_id,
                                                               CardScore.criterion_id.in_(card["crits"]))).all()
        events = db.session.scalars(sa.select(ActivityEvent).where(
            ActivityEvent.object_type == "cardscore", ActivityEvent.object_id.in_([s.id for s in scores]))).all()
        assert sorted(e.changes["points"][1] for e in events) == [1, 1, 3]
        assert all(e.changes["points"][0] is None and e.scope == f"card:1:{YEAR}" for e in events)
        words = {e.text: e.changes[0] for e in present(events)}
        assert words[f"Из файла — {first_name}: Зона риска: число признаков"] == ("Баллы", "—", "3")
        batch = db.session.scalar(sa.select(CardImport).where(CardImport.year == YEAR))
        assert (batch.cells, batch.schools, batch.undone_at) == (3, 1, None)
        imported = db.session.scalars(sa.select(ActivityEvent).where(ActivityEvent.object_type == "cardyear",
                                                                     ActivityEvent.action == "import")).all()
        assert [present(imported)[0].text] == ["Загрузка баллов из файла: изменено баллов — 3, школ — 1"]
    page = admin.client.get(f"/selection?year={YEAR}").get_data(as_text=True)
    assert "Последняя загрузка из файла" in page and "Отменить загрузку" in page
    assert "изменено баллов: 3 в 1 школе" in page


def test_zero_or_a_dash_clears_and_unchanged_cells_are_not_listed(app, login_as):
    card = _build_card(app)
    admin = login_as("admin")
    points = _points(app)
    (second_id, second_name), (third_id, third_name) = card["schools"][1:3]
    oge, vpr, zone = card["crits"]
    assert points[(second_id, oge)] == 1 and points[(second_id, vpr)] == 1 and points[(third_id, zone)] == 1
    # second: 0 and «-» clear, the zone (2 stored) typed again as 2 is no change; third: 1 → 3 as «3».
    data = _book(admin, {second_name: [0, "-", 2], third_name: [None, "  ", "3"]})
    resp = _upload(admin, data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200, html[-2000:]
    assert _rows_of_preview(html) == {second_name: [("Результаты ОГЭ", "1", "0"), ("Объективность ВПР", "1", "0")],
                                      third_name: [("Зона риска", "1", "3")]}
    assert admin.post(f"/selection/{YEAR}/import/confirm", data={"token": _token(resp)}).status_code == 302
    after = _points(app)
    assert (after[(second_id, oge)], after[(second_id, vpr)], after[(second_id, zone)]) == (0, 0, 2)
    assert after[(third_id, zone)] == 3 and after[(third_id, oge)] == points[(third_id, oge)]
    assert sum(after.values()) == 22 - 2 + 2

    # A file that changes nothing is said so, and offers nothing to confirm.
    resp = _upload(admin, _book(admin, {}))
    assert resp.status_code == 200 and "Файл ничего не меняет" in resp.get_data(as_text=True)
    assert 'name="token"' not in resp.get_data(as_text=True)


def test_an_edit_between_preview_and_confirm_is_not_overwritten(app, login_as):
    card = _build_card(app)
    admin, other = login_as("admin"), login_as("admin")
    (first_id, first_name), (second_id, second_name) = card["schools"][:2]
    oge, vpr, zone = card["crits"]
    preview = _upload(admin, _book(admin, {first_name: [1, None, None], second_name: [0, None, None]}))
    assert preview.status_code == 200
    with app.app_context():
        oge_version = db.session.scalar(sa.select(CardScore.version).where(CardScore.school_id == second_id,
                                                                           CardScore.criterion_id == oge))
    # Someone else saves the second school's ОГЭ cell (the file wants 0 there) as 1 again → version moves.
    resp = other.htmx_post(f"/selection/{YEAR}/scores", {"criterion": oge, "school": second_id, "points": 0,
                                                              "version": oge_version})
    assert resp.status_code == 200
    resp = other.htmx_post(f"/selection/{YEAR}/scores", {"criterion": oge, "school": second_id, "points": 1,
                                                              "version": oge_version + 1})
    assert resp.status_code == 200
    before = database_fingerprint(app)
    resp = admin.post(f"/selection/{YEAR}/import/confirm", data={"token": _token(preview)})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409, html[-2000:]
    assert "Ничего не загружено" in html and second_name in html and "Результаты ОГЭ" in html
    assert database_fingerprint(app) == before  # neither the moved cell nor the first school's were written
    assert (first_id, oge) not in _points(app)

    # Moved to exactly the file's value: nothing to overwrite, the rest goes in.
    preview = _upload(admin, _book(admin, {first_name: [1, None, None], second_name: [0, None, None]}))
    with app.app_context():
        oge_version = db.session.scalar(sa.select(CardScore.version).where(CardScore.school_id == second_id,
                                                                           CardScore.criterion_id == oge))
    assert other.htmx_post(f"/selection/{YEAR}/scores", {"criterion": oge, "school": second_id, "points": 0,
                                                              "version": oge_version}).status_code == 200
    assert admin.post(f"/selection/{YEAR}/import/confirm", data={"token": _token(preview)}).status_code == 302
    after = _points(app)
    assert after[(first_id, oge)] == 1 and after[(second_id, oge)] == 0


def test_undo_restores_and_refuses_when_a_cell_moved_since(app, login_as):
    card = _build_card(app)
    admin = login_as("admin")
    original = _points(app)
    (first_id, first_name), (second_id, second_name) = card["schools"][:2]
    oge, vpr, zone = card["crits"]

    def load(fill):
        preview = _upload(admin, _book(admin, fill))
        assert admin.post(f"/selection/{YEAR}/import/confirm", data={"token": _token(preview)}).status_code == 302
        with app.app_context():
            return db.session.scalar(sa.select(CardImport.id).order_by(CardImport.id.desc()))

    batch = load({first_name: [1, None, 2], second_name: [0, 0, None]})
    assert _points(app) != original
    assert admin.post(f"/selection/{YEAR}/import/undo", data={"import": batch}).status_code == 302
    assert _points(app) == original  # the cells it created are gone again, the changed ones back
    with app.test_request_context():
        undone = db.session.get(CardImport, batch)
        assert undone.undone_at is not None and undone.undone_by.email == "admin@opora.demo"
        events = db.session.scalars(sa.select(ActivityEvent).where(ActivityEvent.action == "undo")).all()
        assert len(events) == 1 and present(events)[0].action == "отмена загрузки"
        assert "восстановлено баллов — 4, школ — 2" in present(events)[0].text
    resp = admin.post(f"/selection/{YEAR}/import/undo", data={"import": batch})
    assert resp.status_code == 303  # undone already: refused with a message
    assert "уже отменена" in admin.client.get(f"/selection?year={YEAR}").get_data(as_text=True)

    first_batch, batch = batch, load({first_name: [1, None, None], second_name: [None, 0, None]})
    resp = admin.post(f"/selection/{YEAR}/import/undo", data={"import": first_batch})
    assert resp.status_code == 303  # only the latest import can be undone
    with app.app_context():
        version = db.session.scalar(sa.select(CardScore.version).where(CardScore.school_id == first_id,
                                                                       CardScore.criterion_id == oge))
    assert admin.htmx_post(f"/selection/{YEAR}/scores", {"criterion": oge, "school": first_id, "points": 0,
                                                              "version": version}).status_code == 200
    before = database_fingerprint(app)
    resp = admin.post(f"/selection/{YEAR}/import/undo", data={"import": batch})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409 and "Загрузка не отменена" in html and first_name in html
    assert database_fingerprint(app) == before
    # Foreign or unknown imports: 404; another role: 403.
    assert admin.post(f"/selection/{YEAR}/import/undo", data={"import": 999999}).status_code == 404
    assert admin.post(f"/selection/{YEAR + 1}/import/undo", data={"import": batch}).status_code == 404
    assert login_as("curator").post(f"/selection/{YEAR}/import/undo", data={"import": batch}).status_code == 403


def test_preview_tokens_are_the_users_own_and_expire(app, login_as):
    card = _build_card(app)
    first_name = card["schools"][0][1]
    with time_machine.travel(datetime(2030, 10, 1, 9, 0, tzinfo=timezone.utc), tick=False) as traveller:
        admin = login_as("admin")
        preview = _upload(admin, _book(admin, {first_name: [1, 1, 1]}))
        token = _token(preview)
        before = database_fingerprint(app)
        for bad in (token[:-3] + "abc", "", "x" * 50):
            resp = admin.post(f"/selection/{YEAR}/import/confirm", data={"token": bad})
            assert resp.status_code == 409 and "загрузите файл ещё раз" in resp.get_data(as_text=True)
        # Another year's card does not take this year's preview.
        resp = admin.post(f"/selection/{YEAR + 1}/import/confirm", data={"token": token})
        assert resp.status_code == 409
        traveller.shift(timedelta(minutes=31))
        resp = admin.post(f"/selection/{YEAR}/import/confirm", data={"token": token})
        assert resp.status_code == 409 and "устарел" in resp.get_data(as_text=True)
        assert database_fingerprint(app) == before


def _with_numeric_text_cell(data, ref, text):
    """Rewrite one cell of the first sheet as a *numeric* cell holding text (a crafted workbook)."""
    source, target = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                xml = body.decode()
                xml, count = re.subn(rf'<c r="{ref}"[^>]*?(/>|>.*?</c>)', f'<c r="{ref}" t="n"><v>{text}</v></c>', xml)
                assert count == 1, xml[:500]
                body = xml.encode()
            out.writestr(item, body)
    return target.getvalue()


def test_text_or_fractions_in_number_cells_are_row_errors(app, login_as):
    card = _build_card(app)
    admin = login_as("admin")
    names = [name for _id, name in card["schools"]]
    data = _book(admin, {names[0]: ["много", None, "2,5"], names[1]: [True, "1e999", "nan"],
                         names[2]: [2, None, "-1"]})
    before = database_fingerprint(app)
    resp = _upload(admin, data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Ничего не загружено" in html
    assert "Строка 2, столбец «Результаты ОГЭ»: не число: «много»" in html
    assert "Строка 2, столбец «Зона риска»: целое число баллов" in html
    assert "Строка 3, столбец «Результаты ОГЭ»: не число: «True»" in html
    assert "Строка 3, столбец «Объективность ВПР»: не число: «1e999»" in html
    assert "Строка 3, столбец «Зона риска»: не число: «nan»" in html
    assert "Строка 4, столбец «Результаты ОГЭ»: баллы от 0 до 1" in html
    assert "Строка 4, столбец «Зона риска»: баллы от 0 до 3" in html
    assert database_fingerprint(app) == before


def test_a_crafted_numeric_cell_holding_text_is_refused_not_a_500(app, login_as):
    card = _build_card(app)
    admin = login_as("admin")
    data = _with_numeric_text_cell(_book(admin, {card["schools"][0][1]: [1, None, None]}), "B2", "abc")
    before = database_fingerprint(app)
    resp = _upload(admin, data)
    assert resp.status_code == 422, resp.status_code
    assert database_fingerprint(app) == before


def _a_school(app):
    with app.app_context():
        return db.session.scalar(sa.select(Organisation.id).where(
            Organisation.municipality_id == 1, Organisation.kind == "school").order_by(Organisation.id))


@pytest.mark.parametrize("year", [2031])
def test_no_get_in_identification_writes(app, login_as, demo, tmp_path, year):
    """A year without a card or risk catalogue: pages, the template, the dashboard and the observer's
    workbook show the defaults and store nothing; the first change stores them."""
    school = demo["school"]
    with app.app_context():
        assert db.session.scalar(sa.select(CardYear.id).where(CardYear.year == year)) is None
    admin, observer, curator, school_user = (login_as(r) for r in ("admin", "observer", "curator", "school"))
    before = database_fingerprint(app)
    urls = {admin: [f"/selection?year={year}", f"/selection/{year}/criteria",
                    f"/selection/{year}/template.xlsx", f"/schools/{school}/risks?year={year}",
                    f"/selection/{year}/schools/{school}/decision",
                    f"/selection/{year}/schools/{school}/exit", f"/dashboard?year={year}",
                    "/selection/context", "/watchlist"],
            observer: [f"/selection?year={year}", f"/selection/{year}/template.xlsx",
                       f"/dashboard?year={year}", f"/schools/{school}/risks?year={year}"],
            curator: [f"/selection?year={year}", f"/dashboard?year={year}"],
            school_user: [f"/schools/{school}/risks?year={year}"]}
    for auth, pages in urls.items():
        for url in pages:
            resp = auth.client.get(url)
            assert resp.status_code in (200, 302), (url, resp.status_code)
            assert database_fingerprint(app) == before, url
    page = admin.client.get(f"/selection?year={year}").get_data(as_text=True)
    assert "Карта этого года ещё не начата" in page and "Результаты ОГЭ" in page
    risks = school_user.client.get(f"/schools/{school}/risks?year={year}").get_data(as_text=True)
    assert "Низкий уровень оснащения школы" in risks
    template = openpyxl.load_workbook(io.BytesIO(admin.client.get(f"/selection/{year}/template.xlsx").data))
    assert len(template.worksheets[0][1]) == 7  # «Школа» + the six criteria it would start with

    # The observer's workbook of that year (the same functions the export job calls).
    from app import policy
    from app.accounts.models import User
    from app.exports.services import summary_workbook
    from app.orgs.models import Municipality, Partnership

    with app.test_request_context():
        user = db.session.scalar(sa.select(User).where(User.email == "observer@opora.demo"))
        summary_workbook(str(tmp_path / "observer.xlsx"), policy.visible(Partnership, user),
                         db.session.get(Municipality, 1), year, audience="observer")
        db.session.rollback()
    assert database_fingerprint(app) == before

    # The first change stores the card with its criteria (and says so in its history) …
    with app.app_context():
        ids = [o for o in db.session.scalars(sa.select(Organisation.id).where(
            Organisation.municipality_id == 1, Organisation.kind == "school").order_by(Organisation.id))]
    resp = admin.htmx_post(f"/selection/{year}/scores", {"position": 3, "school": ids[0], "points": 1,
                                                             "version": 0})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    with app.test_request_context():
        card = db.session.scalar(sa.select(CardYear).where(CardYear.year == year))
        crits = db.session.scalars(sa.select(CardCriterion).where(CardCriterion.year == year)
                                   .order_by(CardCriterion.position)).all()
        assert card is not None and len(crits) == 6
        score = db.session.scalar(sa.select(CardScore).where(CardScore.criterion_id == crits[2].id))
        assert (score.school_id, score.points) == (ids[0], 1)
        started = db.session.scalar(sa.select(ActivityEvent).where(ActivityEvent.object_type == "cardyear",
                                                                   ActivityEvent.object_id == card.id))
        assert present([started])[0].text == f"Диагностическая карта {year}/{year + 1} начата: критериев — 6"
    # … and the first risk assessment stores the year's catalogue.
    data = {"position": 1, "p1-level": "high", "p1-is_actual": "y", "p1-measures": "", "p1-version": 0}
    assert school_user.post(f"/schools/{school}/risks/{year}/default", data=data).status_code == 302
    with app.app_context():
        factors = db.session.scalars(sa.select(RiskFactor).where(RiskFactor.year == year)).all()
        assert len(factors) > 5
