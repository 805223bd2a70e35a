"""Hostile and careless files on every import (schools, users, teachers, diagnostic card):
never a 5xx, nothing written on a refusal, refused quickly; and three hostile uploads at once
leave /healthz answering within a second on a real gunicorn server.

The files are written as raw XML into a zip: xlsxwriter and openpyxl will not make a sheet
that declares 16,384 columns or puts text into a number cell."""
import io
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from xml.sax.saxutils import escape

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import HttpSession, database_fingerprint

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# --- Crafting workbooks ----------------------------------------------------------------------

_CT = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
       '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
       '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
       '<Default Extension="xml" ContentType="application/xml"/>'
       '<Override PartName="/xl/workbook.xml" '
       'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
       '<Override PartName="/xl/worksheets/sheet1.xml" '
       'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
       '</Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
         '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
         'officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WB = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
       '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
       '<sheets><sheet name="Лист1" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WB_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'worksheet" Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'sharedStrings" Target="sharedStrings.xml"/></Relationships>')


def column_letters(number):
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class Raw(str):
    """A number cell (no type) holding this text as it is: «много» where Excel expects a number."""


def cell_xml(ref, value):
    if value is None:
        return ""
    if isinstance(value, Raw):
        return f'<c r="{ref}"><v>{escape(value)}</v></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(value)}</t></is></c>'


def row_xml(number, values):
    cells = "".join(cell_xml(f"{column_letters(i)}{number}", v) for i, v in enumerate(values, start=1))
    return f'<row r="{number}">{cells}</row>'


def workbook(sheet_data, dimension=None, shared=(), prolog=""):
    """An xlsx whose first sheet's <sheetData> is `sheet_data` (a string or an iterable of them)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CT)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WB)
        archive.writestr("xl/_rels/workbook.xml.rels", _WB_RELS)
        archive.writestr("xl/sharedStrings.xml", '<?xml version="1.0" encoding="UTF-8"?>'
                         '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                         + "".join(f"<si><t>{escape(s)}</t></si>" for s in shared) + "</sst>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as fh:
            fh.write(('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + prolog +
                      '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">').encode())
            if dimension:
                fh.write(f'<dimension ref="{dimension}"/>'.encode())
            fh.write(b"<sheetData>")
            for chunk in [sheet_data] if isinstance(sheet_data, str) else sheet_data:
                fh.write(chunk.encode())
            fh.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


def huge_dimension(headers):
    """2 KB: declares A1:XFD1048576 and has its one data row at row 1,048,576 (an empty first
    column, so every import refuses the row)."""
    return workbook(row_xml(1, headers) + row_xml(1_048_576, [None, "x"]), dimension="A1:XFD1048576")


def huge_row(headers):
    """A data row with a cell in each of the 16,384 columns."""
    cells = "".join(f'<c r="{column_letters(i)}1048576"><v>1</v></c>' for i in range(1, 16_385))
    return workbook(row_xml(1, headers) + f'<row r="1048576">{cells}</row>', dimension="A1:XFD1048576")


def blank_flood(headers, rows=400_000):
    """About 2 MB of rows holding one blank cell each."""
    return workbook([row_xml(1, headers)] + [f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t> </t></is></c></row>'
                                            for n in range(2, rows + 2)])


def wide_rows(headers, rows=2000, cells=1000):
    """Rows of styled empty cells far to the right: within the per-row limit, not the sheet's."""
    return workbook([row_xml(1, headers)] + ["<row r=\"%d\">%s</row>" % (n, "".join(
        f'<c r="{column_letters(i)}{n}" s="0"/>' for i in range(1, cells + 1))) for n in range(2, rows + 2)])


HOSTILE = {"huge_dimension": huge_dimension, "huge_row": huge_row, "blank_flood": blank_flood,
           "wide_rows": wide_rows}


# --- The four imports -----------------------------------------------------------------------

CARD_YEAR = 2026


class Import:
    def __init__(self, kind, role, template, upload):
        self.kind, self.role, self.template_url, self.upload_url = kind, role, template, upload

    def headers(self, auth):
        book = openpyxl.load_workbook(io.BytesIO(auth.client.get(self.template_url).data), read_only=True)
        return [c for c in next(book.worksheets[0].iter_rows(max_row=1, values_only=True)) if c is not None]

    def post(self, auth, payload, name="import.xlsx"):
        return auth.post(self.upload_url, data={"file": (io.BytesIO(payload), name)},
                         content_type="multipart/form-data")


def imports_for(demo):
    return [Import("schools", "admin", "/imports/schools/template.xlsx", "/imports/schools"),
            Import("users", "admin", "/imports/users/template.xlsx", "/imports/users"),
            Import("teachers", "school", "/teachers/template.xlsx", f"/schools/{demo['school']}/teachers/import"),
            Import("card", "admin", f"/selection/{CARD_YEAR}/template.xlsx",
                   f"/selection/{CARD_YEAR}/import")]


KINDS = ["schools", "users", "teachers", "card"]


def _import(demo, kind):
    return next(i for i in imports_for(demo) if i.kind == kind)


# A number column of each import, for text in a number cell (users has none: its e-mail).
NUMBER_COLUMN = {"schools": "Обучающихся", "users": "Электронная почта", "teachers": "Стаж, лет", "card": 1}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("hostile", sorted(HOSTILE))
def test_hostile_workbooks_are_refused_and_write_nothing(app, login_as, demo, kind, hostile):
    target = _import(demo, kind)
    auth = login_as(target.role)
    payload = HOSTILE[hostile](target.headers(auth))
    before = database_fingerprint(app)
    resp = target.post(auth, payload)
    assert resp.status_code == 422, (kind, hostile, resp.status_code)
    assert database_fingerprint(app) == before
    if hostile in ("blank_flood", "huge_row", "wide_rows"):
        html = resp.get_data(as_text=True)
        assert "строк" in html or "ячеек" in html, html[-2000:]


@pytest.mark.parametrize("kind", KINDS)
def test_text_in_a_number_cell_is_a_row_error_naming_row_and_column(app, login_as, demo, kind):
    """Before: openpyxl raised on <c><v>много</v></c> and every import answered 500."""
    target = _import(demo, kind)
    auth = login_as(target.role)
    headers = target.headers(auth)
    column = NUMBER_COLUMN[kind]
    column = headers[column] if isinstance(column, int) else column
    row = [Raw("много")] * len(headers)  # every cell a "number" holding text
    before = database_fingerprint(app)
    resp = target.post(auth, workbook(row_xml(1, headers) + row_xml(2, row)))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422, (kind, resp.status_code)
    assert f"Строка 2, столбец «{column}»" in html, html[-3000:]
    assert database_fingerprint(app) == before


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e400", "1" * 400, "0x10", "", " "])
def test_odd_numbers_in_number_cells_never_500(app, login_as, demo, kind, value):
    target = _import(demo, kind)
    auth = login_as(target.role)
    headers = target.headers(auth)
    column = NUMBER_COLUMN[kind]
    index = column if isinstance(column, int) else headers.index(column)
    row = ["Павловская СОШ" if kind == "card" else "Кто-то"] + [None] * (len(headers) - 1)
    row[index] = Raw(value)
    before = database_fingerprint(app)
    resp = target.post(auth, workbook(row_xml(1, headers) + row_xml(2, row)))
    assert resp.status_code < 500, (kind, value)
    if resp.status_code >= 400:
        assert database_fingerprint(app) == before


# Random cells: text (with control characters, which make the XML invalid), numbers of every
# kind, numbers written as text, text in number cells, booleans.
CELLS = st.one_of(
    st.none(), st.text(max_size=30), st.integers(min_value=-2**70, max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
    st.sampled_from(["3,5", "12.7", "12,0", "1 200", "1e400", "NaN", "-0", "١٢", "=1+1", "да", "нет", "школа",
                     "первая", "Павловская СОШ", "\u202eevil", "x" * 500]),
    st.text(max_size=12).map(Raw),
)


@pytest.mark.parametrize("kind", KINDS)
def test_random_workbooks_never_500_and_refusals_write_nothing(app, login_as, demo, kind):
    target = _import(demo, kind)
    auth = login_as(target.role)
    headers = target.headers(auth)

    @settings(max_examples=12, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(rows=st.lists(st.lists(CELLS, min_size=0, max_size=len(headers) + 2), min_size=0, max_size=4),
           gaps=st.lists(st.integers(min_value=1, max_value=5000), min_size=4, max_size=4),
           dimension=st.sampled_from([None, "A1:XFD1048576", "A1:A1", "garbage"]),
           header_ok=st.booleans())
    def check(rows, gaps, dimension, header_ok):
        parts, number = [row_xml(1, headers if header_ok else headers[::-1])], 1
        for values, gap in zip(rows, gaps):
            number += gap
            parts.append(row_xml(number, values))
        before = database_fingerprint(app)
        resp = target.post(auth, workbook(parts, dimension=dimension))
        assert resp.status_code < 500, (kind, rows, resp.status_code)
        if resp.status_code >= 400:
            assert database_fingerprint(app) == before, (kind, rows, "wrote despite refusing")

    check()


@pytest.mark.parametrize("payload", [
    b"PK\x05\x06" + b"\x00" * 18,                       # an empty zip
    "dtd",                                              # entity expansion (billion laughs)
    "unclosed",                                         # broken XML
    "shared-missing",                                   # a shared string that does not exist
    "rows-backwards",                                   # rows out of order
])
def test_broken_workbooks_are_refused_as_damaged(app, login_as, demo, payload):
    target = _import(demo, "teachers")
    auth = login_as(target.role)
    headers = target.headers(auth)
    if payload == "dtd":
        payload = workbook(row_xml(1, headers), prolog='<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">'
                           '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>')
    elif payload == "unclosed":
        payload = workbook(row_xml(1, headers) + '<row r="2"><c r="A2" t="inlineStr"><is><t>x')
    elif payload == "shared-missing":
        payload = workbook(row_xml(1, headers) + '<row r="2"><c r="A2" t="s"><v>99</v></c></row>')
    elif payload == "rows-backwards":
        payload = workbook(row_xml(5, headers) + row_xml(2, ["Иванов"]))
    before = database_fingerprint(app)
    resp = target.post(auth, payload)
    assert resp.status_code == 422
    assert "повреждён" in resp.get_data(as_text=True) or "Excel" in resp.get_data(as_text=True)
    assert database_fingerprint(app) == before


# --- Three hostile uploads at once on a real server ------------------------------------------

def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_gunicorn(database_url, workers=3):
    """gunicorn with the project's settings: sync workers, as many as on the 2-core server (3)."""
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY="hostile-import-test-key",
               OPORA_BIND=f"127.0.0.1:{port}", OPORA_WORKERS=str(workers), OPORA_GUNICORN_LOG_LEVEL="warning")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    session = HttpSession(url)
    for _ in range(300):
        try:
            if session.request("GET", "/healthz")[0] == 200:
                return proc, url
        except OSError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def _upload(session, path, payload):
    """A multipart POST of one file with the session's cookies and CSRF token."""
    import urllib.error
    import urllib.request

    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{session.token}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"pedagogi.xlsx\"\r\n"
            "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n").encode()
    body += payload + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(session.base_url + path, data=body, method="POST", headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}", "X-CSRFToken": session.token})
    try:
        with session.opener.open(req, timeout=90) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_three_hostile_uploads_at_once_leave_healthz_answering(app, demo, database_url):
    """The issue's attack: a school account uploads the 2 KB file on its teachers page, three at
    once. Before, this held all three workers for 60 s and /healthz failed for a minute."""
    from app.teachers.services import IMPORT_HEADERS

    proc, url = _start_gunicorn(database_url)
    try:
        sessions = []
        for _ in range(3):
            session = HttpSession(url)
            session.login("school@opora.demo")
            sessions.append(session)
        path = f"/schools/{demo['school']}/teachers/import"
        payloads = [huge_dimension(IMPORT_HEADERS), blank_flood(IMPORT_HEADERS), huge_row(IMPORT_HEADERS)]
        results, health, stop = [], [], threading.Event()

        def attack(session, payload):
            for _ in range(3):
                started = time.perf_counter()
                status = _upload(session, path, payload)
                results.append((status, time.perf_counter() - started))

        def poll():
            probe = HttpSession(url)
            while not stop.is_set():
                started = time.perf_counter()
                status = probe.request("GET", "/healthz")[0]
                health.append((status, time.perf_counter() - started))
                time.sleep(0.1)

        def burst():
            attackers = [threading.Thread(target=attack, args=pair) for pair in zip(sessions, payloads)]
            for thread in attackers:
                thread.start()
            for thread in attackers:
                thread.join(timeout=120)

        # A worker's first page render compiles its templates (about a second on a busy machine),
        # hostile file or not: warm the workers up first, then measure.
        burst()
        results.clear()
        poller = threading.Thread(target=poll)
        poller.start()
        burst()
        time.sleep(0.3)
        stop.set()
        poller.join(timeout=10)
        assert len(results) == 9 and all(status == 422 for status, _t in results), results
        assert max(t for _s, t in results) < 5, results
        assert len(health) >= 3, health
        assert all(status == 200 and t < 1 for status, t in health), health
    finally:
        proc.terminate()
        proc.wait(timeout=30)
