import io
import re
import time
from datetime import datetime, timezone

import openpyxl
import pytest
import sqlalchemy as sa
import time_machine

from app.extensions import db
from helpers import database_fingerprint

SHEETS = ["Сводка", "Показатели", "Мероприятия", "Выезды", "Рекомендации", "Дефициты", "Диагностическая карта",
          "Диаграммы"]


def _export(auth, year=2026, period=""):
    resp = auth.post("/exports", data={"year": year, "period": period})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    job = resp.headers["Location"]
    for _ in range(100):
        html = auth.client.get(job, headers={"HX-Request": "true"}).get_data(as_text=True)
        if f'href="{job}/file"' in html:  # ready (in any language)
            break
        assert "Не удалось" not in html
        assert "<html" not in html and ('hx-trigger="load delay:500ms"' in html)  # polls itself meanwhile
        time.sleep(0.1)
    download = auth.client.get(job + "/file")
    assert download.status_code == 200 and download.headers["Content-Disposition"].startswith("attachment")
    return openpyxl.load_workbook(io.BytesIO(download.data))


def _rows(sheet):
    header = [c.value for c in sheet[1]]
    return [dict(zip(header, [c.value for c in row])) for row in sheet.iter_rows(min_row=2)]


# The demo's reference day (content.DEMO_TODAY), noon in Krasnoyarsk: Павловская СОШ has three
# tasks past their deadline (30.06, 30.10, 13.11) and the next falls on 30.11.
@time_machine.travel(datetime(2026, 11, 22, 5, 0, tzinfo=timezone.utc), tick=True)
def test_department_summary_matches_the_dashboard(app, login_as):
    admin = login_as("admin")
    book = _export(admin)
    assert book.sheetnames == SHEETS
    summary = _rows(book["Сводка"])
    assert [r["Школа"] for r in summary] == ["Павловская СОШ", "Сахаптинская СОШ", "Сережская ООШ"]
    assert book["Сводка"].freeze_panes == "A2" and book["Сводка"].auto_filter.ref
    assert book["Мероприятия"].conditional_formatting  # overdue rows in red
    assert len(book["Диаграммы"]._charts) == 2
    dashboard = admin.client.get("/dashboard?year=2026").get_data(as_text=True)
    for row in summary:
        tr = dashboard.split(f'data-school="{row["Школа"]}"', 1)[1].split("</tr>", 1)[0]
        assert f'class="num-done">{row["Выполнено"]} / {row["Мероприятий всего"]}<' in tr
        assert f'class="num-percent">{row["Выполнено, %"]}<' in tr
        assert f'class="num-indicators">{row["Показателей в плане"]} / {row["Показателей всего"]}<' in tr
        assert f'class="num-visits">{row["Выездов за период"]}<' in tr
        assert f'class="num-recs">{row["Открытых рекомендаций"]}<' in tr
    pavlovskaya = summary[0]
    assert pavlovskaya["Мероприятий всего"] == 37 and pavlovskaya["Просрочено"] == 3
    assert isinstance(book["Выезды"]["B2"].value, __import__("datetime").datetime)  # a real Excel date
    assert book["Выезды"]["B2"].number_format == "dd.mm.yyyy"


def test_curator_gets_only_their_schools_and_observer_no_teacher(app, login_as, demo):
    curator_book = _export(login_as("curator"))
    assert {r["Школа"] for r in _rows(curator_book["Сводка"])} == {"Павловская СОШ", "Сахаптинская СОШ"}
    assert {r["Школа"] for r in _rows(curator_book["Мероприятия"])} <= {"Павловская СОШ", "Сахаптинская СОШ"}
    observer_book = _export(login_as("observer"))
    with app.app_context():
        teachers = db.session.scalars(sa.text("SELECT full_name FROM teacher WHERE municipality_id = 1")).all()
    text = " ".join(str(c.value) for ws in observer_book.worksheets for row in ws.iter_rows() for c in row
                    if c.value is not None)
    assert not any(t in text for t in teachers) and "Беловой" not in text
    # Stems catch other cases («Беловой А. С.»); staff of the department named in «Куратор» are not teachers.
    staff = " ".join(r["Куратор"] for r in _rows(observer_book["Сводка"]))
    stems = {t.split()[0][:-1] for t in teachers} - {w[:-1] for w in staff.split()} - {w for w in staff.split()}
    stems = {s for s in stems if s not in staff}
    assert not any(stem in text for stem in stems), [s for s in stems if s in text]
    deficits = _rows(observer_book["Дефициты"])
    sakh = next(r for r in deficits if r["Школа"] == "Сахаптинская СОШ")
    assert sakh["Педагогов оценено"] == "<3" and sakh["предметные, %"] == "скрыто"


def test_export_jobs_belong_to_their_owner(app, login_as):
    admin = login_as("admin")
    _export(admin)  # waits for the job: no thread outlives the test's database
    with app.app_context():
        job_id = db.session.scalar(sa.text("SELECT max(id) FROM export_job"))
    assert login_as("curator").client.get(f"/exports/{job_id}").status_code == 403
    assert login_as("school").client.get("/exports").status_code == 403
    assert admin.post("/exports", data={"year": 1900, "period": ""}).status_code == 422


def test_programme_document_xlsx_and_print_page(app, login_as, demo):
    school = login_as("school")
    page = school.client.get(f"/programmes/{demo['programme']}/document").get_data(as_text=True)
    assert "№ п/п" in page and "Срок исполнения" in page and "Ожидаемые результаты" in page and "print.css" in page
    assert "Паспорт программы" in page and "Обоснование" in page
    resp = school.client.get(f"/programmes/{demo['programme']}/document.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(resp.data))
    assert book.sheetnames == ["Паспорт", "План мероприятий", "Показатели"]
    plan = book["План мероприятий"]
    assert [c.value for c in plan[1]] == ["№ п/п", "Мероприятие", "Срок исполнения", "Ожидаемые результаты",
                                          "Ответственный", "Статус"]
    assert plan["A2"].value.startswith("1. Выявление профессиональных затруднений")
    assert login_as("tutor2@opora.demo").client.get(f"/programmes/{demo['programme']}/document").status_code == 403


def test_cli_exports(app, runner, tmp_path, demo):
    out = tmp_path / "summary.xlsx"
    result = runner.invoke(args=["export", "summary", "--municipality", "nazarovo", "--year", "2026",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(out).sheetnames == SHEETS
    out2 = tmp_path / "programme.xlsx"
    result = runner.invoke(args=["export", "programme", str(demo["programme"]), "--out", str(out2)])
    assert result.exit_code == 0 and openpyxl.load_workbook(out2)["План мероприятий"].max_row > 30
    bad = runner.invoke(args=["export", "summary", "--municipality", "nowhere", "--year", "2026", "--out", str(out)])
    assert bad.exit_code != 0 and "не найден" in bad.output


def _filled(template_bytes, rows):
    book = openpyxl.load_workbook(io.BytesIO(template_bytes))
    sheet = book.worksheets[0]
    sheet.delete_rows(2, sheet.max_row)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


@pytest.mark.parametrize("kind,good,bad,message", [
    ("schools",
     [("Новосёловская СОШ", "МБОУ «Новосёловская СОШ»", "школа", "с. Новосёлово", "Петрова А. А.", 180, "нет", "да")],
     [("Дороховская СОШ", "МБОУ «Дороховская СОШ»", "школа", "", "", 90, "нет", "нет"),
      ("Ещё одна СОШ", "", "школа", "", "", "девяносто", "может", "нет")],
     ["Строка 3, столбец «Полное название»: не заполнено", "Строка 3, столбец «Обучающихся»",
      "Строка 3, столбец «ШНОР (да/нет)»"]),
    ("users",
     [("new.deputy@opora.demo", "Сидорова Анна Павловна", "заместитель директора", "школа", "Павловская СОШ")],
     [("ok.user@opora.demo", "Иванов И. И.", "", "куратор", "Управление образования"),
      ("admin@opora.demo", "Двойник", "", "директор", "Марсианская СОШ")],
     ["Строка 3, столбец «Электронная почта»: пользователь с такой почтой уже есть", "Строка 3, столбец «Роль»",
      "Строка 3, столбец «Организация»: организация «Марсианская СОШ» не найдена"]),
])
def test_import_templates(app, login_as, kind, good, bad, message):
    admin = login_as("admin")
    template = admin.client.get(f"/imports/{kind}/template.xlsx")
    assert openpyxl.load_workbook(io.BytesIO(template.data)).sheetnames[1] == "Инструкция"
    before = database_fingerprint(app)
    resp = admin.post(f"/imports/{kind}", data={"file": (_filled(template.data, bad), "bad.xlsx")},
                      content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Ничего не загружено" in html
    for m in message:
        assert m in html, m
    assert database_fingerprint(app) == before
    resp = admin.post(f"/imports/{kind}", data={"file": (_filled(template.data, good), "good.xlsx")},
                      content_type="multipart/form-data")
    assert resp.status_code == (200 if kind == "users" else 302)  # users: the one-time links are shown at once
    with app.app_context():
        if kind == "schools":
            assert db.session.scalar(
                sa.text("SELECT is_unfavourable FROM organisation WHERE short_name = 'Новосёловская СОШ'"))
        else:
            assert db.session.scalar(
                sa.text("SELECT role FROM \"user\" WHERE email = 'new.deputy@opora.demo'")) == "school"
    if kind == "users":
        from helpers import csrf_token

        client = app.test_client()
        token = csrf_token(client, "/login")
        # An imported account has no password: it signs in only after setting one by its link.
        assert "/account/setup/" in resp.get_data(as_text=True)
        assert client.post("/login", data={"email": "new.deputy@opora.demo", "password": "Vremenny2026",
                                           "csrf_token": token}).status_code == 401


def test_imports_are_for_the_admin(login_as):
    assert login_as("curator").client.get("/imports").status_code == 403
    assert login_as("curator").post("/imports/users", data={}).status_code == 403


def test_dashboards_by_role(login_as, demo):
    curator = login_as("curator").client.get("/dashboard").get_data(as_text=True)
    assert 'data-school="Павловская СОШ"' in curator and 'data-school="Сережская ООШ"' not in curator
    school = login_as("school").client.get("/dashboard")
    assert school.status_code == 302 and f"/programmes/{demo['programme']}" in school.headers["Location"]
    observer = login_as("observer").client.get("/dashboard").get_data(as_text=True)
    assert "Диагностическая карта" in observer and "<svg" in observer and "<table" in observer
    assert re.search(r"Белова|Кузнецова Ирина", observer) is None


@time_machine.travel(datetime(2026, 11, 22, 5, 0, tzinfo=timezone.utc), tick=True)
def test_english_dashboard_reads_english_while_the_workbook_stays_russian(app, login_as):
    """The summary rows are keyed by the workbook's Russian column names; the dashboard shows
    headers and statuses from Python in the reader's language (dashboard.services)."""
    from app.accounts.models import User

    admin = login_as("admin")
    assert admin.post("/language/en", data={"next": "/dashboard"}).status_code == 302
    with app.app_context():  # stored by the request's one commit (set_language commits nothing itself)
        assert db.session.scalar(sa.select(User.locale).where(User.email == "admin@opora.demo")) == "en"
    page = admin.client.get("/dashboard?year=2026").get_data(as_text=True)
    head = page.split('id="summary-table"', 1)[1].split("</thead>", 1)[0]
    assert "<th>School</th>" in head and "<th>Tutor school</th>" in head and "<th>Open recommendations</th>" in head
    for russian in ("Статус программы", "Мероприятий", "Дефициты:", "Диагностическая карта, баллов", "Школа"):
        assert russian not in head
    row = page.split('data-school="Павловская СОШ"', 1)[1].split("</tr>", 1)[0]
    assert "<td>Being implemented</td>" in row
    assert "<td>Being implemented</td><td>1</td>" in page  # programmes by status, labels from Python
    book = _export(admin)
    header = [c.value for c in book["Сводка"][1]]
    assert header[:4] == ["Школа", "Школа-тьютор", "Куратор", "Статус программы"]
    assert "Дефициты: предметные, %" in header and "Дефициты: психолого-педагогические, %" in header
    assert "programme_status" not in header and "partnership_id" not in header
    assert "предметные, %" in [c.value for c in book["Дефициты"][1]]
