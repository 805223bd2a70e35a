"""The import reader's limits, the pasted-table reader, exact numbers and examples that are
never imported."""
import datetime
import io

import openpyxl
import pytest
import sqlalchemy as sa
import xlsxwriter
from test_hostile_imports import Raw, blank_flood, huge_dimension, huge_row, row_xml, wide_rows, workbook
from werkzeug.datastructures import FileStorage

from app import imports
from app.exports.bulk import SCHOOL_EXAMPLE, SCHOOL_HEADERS
from app.extensions import db
from app.orgs.models import Organisation
from app.teachers.models import Teacher
from app.teachers.services import IMPORT_HEADERS, TEACHER_EXAMPLE
from helpers import database_fingerprint

HEADERS = ("ФИО", "Стаж, лет", "Категория")


def _read(payload, headers=HEADERS, max_rows=imports.MAX_ROWS):
    return imports.read_rows(FileStorage(io.BytesIO(payload), filename="file.xlsx"), headers, max_rows=max_rows)


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield app


# --- The xlsx reader -------------------------------------------------------------------------

def test_declared_dimensions_are_not_trusted(ctx):
    rows = _read(huge_dimension(HEADERS))  # not padded up to the declared A1:XFD1048576
    assert rows == [(1_048_576, {"ФИО": None, "Стаж, лет": "x", "Категория": None})]  # its real row number


@pytest.mark.parametrize("make,message", [
    (huge_row, "больше 1 024 заполненных или оформленных ячеек"),
    (blank_flood, "считая пустые и оформленные строки"),
    (wide_rows, "больше 150 000 заполненных или оформленных ячеек"),
])
def test_hostile_sheets_stop_at_a_limit(ctx, make, message):
    """Stopped by the count limit itself, not by the time budget (whose message differs): how
    fast is measured in bench/hostile_imports.py."""
    payload = make(HEADERS)
    with pytest.raises(imports.ImportRefused) as refused:
        _read(payload)
    assert message in str(refused.value).replace("\u00a0", " ")


def test_blank_rows_count_toward_the_rows_scanned(ctx):
    limit = imports.scan_limit(10)
    blank = '<row r="%d"><c r="A%d" t="inlineStr"><is><t> </t></is></c></row>'
    just_under = [row_xml(1, HEADERS), row_xml(2, ["Иванов", 3, ""])] + [blank % (n, n) for n in range(3, limit + 1)]
    assert [n for n, _r in _read(workbook(just_under), max_rows=10)] == [2]  # blank rows skipped
    with pytest.raises(imports.ImportRefused, match="пустые"):
        _read(workbook(just_under + [blank % (limit + 1, limit + 1)]), max_rows=10)
    many = [row_xml(1, HEADERS)] + [row_xml(n, [f"П{n}", 1, ""]) for n in range(2, 13)]
    with pytest.raises(imports.ImportRefused, match="не больше 10"):
        _read(workbook(many), max_rows=10)


def test_the_reading_budget_stops_a_slow_file(ctx):
    """Within every count limit but slow to parse: 140,000 cells in ignored columns."""
    ctx.config["IMPORT_READ_SECONDS"] = 0.05
    payload = wide_rows(HEADERS, rows=140, cells=1000)
    with pytest.raises(imports.ImportRefused, match="Файл читается слишком долго"):
        _read(payload)
    ctx.config["IMPORT_READ_SECONDS"] = 30
    with pytest.raises(imports.ImportRefused, match="нет ни одной заполненной строки"):
        _read(payload)  # the same file within a generous budget: read to the end (its rows are blank)


def test_the_reading_budget_applies_to_every_import(app, login_as, demo):
    app.config["IMPORT_READ_SECONDS"] = 0
    school = login_as("school")
    payload = workbook(row_xml(1, IMPORT_HEADERS) + row_xml(2, ["Новый Педагог"]))
    before = database_fingerprint(app)
    resp = school.post(f"/schools/{demo['school']}/teachers/import", data={"file": (io.BytesIO(payload), "p.xlsx")},
                       content_type="multipart/form-data")
    assert resp.status_code == 422 and "Файл читается слишком долго" in resp.get_data(as_text=True)
    assert database_fingerprint(app) == before


def test_only_the_template_columns_are_kept_and_long_cells_are_cut(ctx):
    long = "я" * 40_000
    rows = _read(workbook(row_xml(1, [*HEADERS, "Заметки"]) + row_xml(2, ["Иванов", 3, long, "лишнее"])))
    assert rows == [(2, {"ФИО": "Иванов", "Стаж, лет": 3, "Категория": "я" * (imports.MAX_CELL_CHARS + 1)})]


def test_values_are_read_as_openpyxl_reads_them(ctx):
    """Shared strings, rich text, cached formula values, dates by cell style, booleans."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    sheet = book.add_worksheet("Лист")
    bold, date = book.add_format({"bold": True}), book.add_format({"num_format": "dd.mm.yyyy"})
    sheet.write_row(0, 0, ["A", "B", "C", "D", "E"])
    sheet.write_rich_string(1, 0, "при", bold, "вет", " мир")
    sheet.write_formula(1, 1, "=2*3", None, 6)
    sheet.write_datetime(1, 2, datetime.datetime(2026, 9, 1), date)
    sheet.write_number(1, 3, 2.25)
    sheet.write_boolean(1, 4, True)
    sheet.write(3, 0, "через строку")
    book.close()
    mine = [list(r.values()) for _n, r in _read(buffer.getvalue(), headers=("A", "B", "C", "D", "E"))]
    theirs = [list(r) for r in openpyxl.load_workbook(io.BytesIO(buffer.getvalue()), read_only=True,
                                                       data_only=True).worksheets[0].iter_rows(
        min_row=2, max_col=5, values_only=True) if any(v is not None for v in r)]
    assert mine == theirs == [["привет мир", 6, datetime.datetime(2026, 9, 1), 2.25, True],
                              ["через строку", None, None, None, None]]


def test_text_in_a_number_cell_stays_text(ctx):
    rows = _read(workbook(row_xml(1, HEADERS) + row_xml(2, ["Иванов", Raw("много"), Raw("nan")])))
    assert rows == [(2, {"ФИО": "Иванов", "Стаж, лет": "много", "Категория": "nan"})]


# --- Pasted tables ---------------------------------------------------------------------------

def test_a_pasted_table_reads_like_a_file(ctx):
    pasted = ("ФИО\tСтаж, лет\tКатегория\r\n"
              "Иванова Мария\t12\tпервая\r\n"
              "\t\t\r\n"
              '"Петров\nПётр"\t3,5\t"высшая ""А"""\tлишнее\r\n')
    assert imports.read_pasted(pasted, HEADERS) == [
        (2, {"ФИО": "Иванова Мария", "Стаж, лет": "12", "Категория": "первая"}),
        (4, {"ФИО": "Петров\nПётр", "Стаж, лет": "3,5", "Категория": "высшая \"А\""})]
    # Without its header row every row is data, the columns in the template's order.
    assert imports.read_pasted("Сидоров\t7", HEADERS) == [(1, {"ФИО": "Сидоров", "Стаж, лет": "7", "Категория": None})]


@pytest.mark.parametrize("pasted,message", [
    ("", "нет ни одной заполненной строки"),
    ("\n" * 2000, "пустые"),
    ("x\t" * 2000, "больше 1 024"),
    ("Иванов\t1\n" * 20, "не больше 10"),
    ("я" * (imports.MAX_PASTE_CHARS + 1), "слишком много текста"),
    ('"' + "я" * 200_000, "кавычки"),
])
def test_pasted_tables_have_the_same_limits(ctx, pasted, message):
    with pytest.raises(imports.ImportRefused) as refused:
        imports.read_pasted(pasted, HEADERS, max_rows=10)
    assert message in str(refused.value).replace("\u00a0", " ")


def test_pasted_table_budget(ctx):
    ctx.config["IMPORT_READ_SECONDS"] = 0
    with pytest.raises(imports.ImportRefused, match="слишком долго"):
        imports.read_pasted("Иванов\t1\n" * 300, HEADERS)


# --- Numbers --------------------------------------------------------------------------------

@pytest.mark.parametrize("value,expected", [
    (12, 12), (12.0, 12), ("12", 12), (" 70 ", 70), (None, None), ("  ", None),
    ("3,5", "нужно целое число, а не «3,5»"), (12.7, "нужно целое число, а не «12,7»"),
    ("много", "нужно целое число, а не «много»"), ("nan", "нужно целое число"), (float("inf"), "нужно целое"),
    ("1e5", "нужно целое число"), (True, "нужно целое число"), (datetime.date(2026, 1, 1), "нужно целое число"),
    (71, "нужно целое число от 0 до 70, а не «71»"), (-1, "от 0 до 70"),
])
def test_integer_cells_are_exact(ctx, value, expected):
    if isinstance(expected, str):
        with pytest.raises(imports.CellError) as error:
            imports.integer(value, minimum=0, maximum=70)
        assert expected in str(error.value)
    else:
        assert imports.integer(value, minimum=0, maximum=70) == expected
    assert imports.integer("1\u00a0200") == imports.integer(" 1 200 ") == 1200


def test_decimal_cells(ctx):
    assert imports.number("3,5") == 3.5 and imports.number(12.7) == 12.7 and imports.number("1 234,25") == 1234.25
    assert imports.number("3,25", places=2) == 3.25
    with pytest.raises(imports.CellError, match="после запятой"):
        imports.number("3,255", places=2)
    with pytest.raises(imports.CellError, match="нужно число, а не «abc»"):
        imports.number("abc")
    errors = []
    assert imports.cell(errors, 7, "Баллы", imports.number, "9", minimum=0, maximum=3) is None
    assert errors == [(7, "Баллы", "нужно число от 0 до 3, а не «9»")]


def _teachers_file(rows):
    return workbook(row_xml(1, IMPORT_HEADERS) + "".join(row_xml(n, r) for n, r in enumerate(rows, start=2)))


def test_teacher_experience_is_refused_not_cut(app, login_as, demo):
    school = login_as("school")
    url = f"/schools/{demo['school']}/teachers/import"
    before = database_fingerprint(app)
    resp = school.post(url, data={"file": (io.BytesIO(_teachers_file([
        ("Дробная Анна", "учитель", "", "3,5"), ("Дробный Иван", "учитель", "", 12.7)])), "p.xlsx")},
        content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Строка 2, столбец «Стаж, лет»: нужно целое число, а не «3,5»" in html
    assert "Строка 3, столбец «Стаж, лет»: нужно целое число, а не «12,7»" in html
    assert database_fingerprint(app) == before
    resp = school.post(url, data={"file": (io.BytesIO(_teachers_file([("Целая Анна", "учитель", "", 12.0),
                                                                       ("Текстовая Вера", "учитель", "", " 7 ")])),
                                           "p.xlsx")}, content_type="multipart/form-data")
    assert resp.status_code == 302
    with app.app_context():
        assert dict(db.session.execute(sa.select(Teacher.full_name, Teacher.experience_years).where(
            Teacher.full_name.in_(["Целая Анна", "Текстовая Вера"]))).all()) == {"Целая Анна": 12, "Текстовая Вера": 7}


def test_school_students_are_refused_not_cut(app, login_as):
    admin = login_as("admin")
    row = ["Дробная СОШ", "МБОУ «Дробная СОШ»", "школа", "", "", "3,5", "нет", "нет"]
    before = database_fingerprint(app)
    resp = admin.post("/imports/schools", data={"file": (io.BytesIO(workbook(
        row_xml(1, SCHOOL_HEADERS) + row_xml(2, row))), "s.xlsx")}, content_type="multipart/form-data")
    assert resp.status_code == 422
    assert "Строка 2, столбец «Обучающихся»: нужно целое число, а не «3,5»" in resp.get_data(as_text=True)
    assert database_fingerprint(app) == before


# --- Examples are never imported -------------------------------------------------------------

@pytest.mark.parametrize("kind", ["schools", "teachers"])
def test_examples_stay_on_the_instructions_sheet(app, login_as, demo, kind):
    if kind == "schools":
        auth, url, upload = login_as("admin"), "/imports/schools/template.xlsx", "/imports/schools"
        example, mine = SCHOOL_EXAMPLE, ("Моя СОШ", "МБОУ «Моя СОШ»", "школа", "", "", 90, "нет", "нет")
    else:
        auth, url = login_as("school"), "/teachers/template.xlsx"
        upload = f"/schools/{demo['school']}/teachers/import"
        example, mine = TEACHER_EXAMPLE, ("Мой Педагог", "учитель", "химия", 4, "первая", "нет")
    template = auth.client.get(url).data
    book = openpyxl.load_workbook(io.BytesIO(template))
    data, notes = book.worksheets[0], book["Инструкция"]
    assert data.max_row == 1  # the headers only
    lines = [[c.value for c in row] for row in notes.iter_rows()]
    heading = next(i for i, r in enumerate(lines) if r[0] and str(r[0]).startswith("Пример заполнения"))
    assert list(lines[heading + 2][:len(example)]) == list(example)

    def post(payload):
        return auth.post(upload, data={"file": (payload, "t.xlsx")}, content_type="multipart/form-data")

    before = database_fingerprint(app)
    resp = post(io.BytesIO(template))  # the template as downloaded: nothing to import
    assert resp.status_code == 422 and "нет ни одной заполненной строки" in resp.get_data(as_text=True)
    assert database_fingerprint(app) == before
    # A file made from an older template, with the example still on the data sheet, and a
    # row added under it: the example is refused, so nothing is imported.
    old = io.BytesIO()
    data.append(list(example))
    data.append(list(mine))
    book.save(old)
    old.seek(0)
    resp = post(old)
    assert resp.status_code == 422 and "Строка 2" in resp.get_data(as_text=True)
    assert "это пример из шаблона" in resp.get_data(as_text=True)
    assert database_fingerprint(app) == before
    # The downloaded template with one row of mine: exactly that row.
    book = openpyxl.load_workbook(io.BytesIO(template))
    book.worksheets[0].append(list(mine))
    new = io.BytesIO()
    book.save(new)
    new.seek(0)
    assert post(new).status_code == 302
    with app.app_context():
        if kind == "schools":
            names = set(db.session.scalars(sa.select(Organisation.short_name)))
        else:
            names = set(db.session.scalars(sa.select(Teacher.full_name).where(Teacher.school_id == demo["school"])))
    assert mine[0] in names and example[0] not in names


def test_template_rows_are_prefilled_and_samples_are_not(ctx):
    book = openpyxl.load_workbook(imports.template("Лист", HEADERS, ["Как заполнить"], rows=[("Школа 1",)],
                                                   sample=[("Пример", 1, "первая")]))
    assert [[c.value for c in r] for r in book.worksheets[0].iter_rows()] == [list(HEADERS), ["Школа 1", None, None]]
    assert ["Пример", 1, "первая"] in [[c.value for c in r][:3] for r in book["Инструкция"].iter_rows()]
