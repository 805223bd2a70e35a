"""Reading uploaded xlsx files and pasted tables safely, and making the templates that go with them.

An import is all or nothing: the file is read and every row checked first; only a file
without a single error is written, in one transaction. Errors name the row and the column.

Reading is bounded whatever the file declares. The sheet is streamed through expat (no tree,
no DTD) instead of openpyxl, because openpyxl trusts the sheet's <dimension> and pads every
missing row and column up to it: a 2 KB file declaring A1:XFD1048576 became a billion empty
cells and held a worker for a minute. Here only the rows and cells present in the file are
seen, only the template's columns are kept, and there are limits on the rows scanned (blank
ones count), the cells in a row and in the sheet, the length of a cell, and the time spent
(`IMPORT_READ_SECONDS`, 5 s). A limit stops the reading at once with a message.
"""
import csv
import io
import math
import posixpath
import re
import time
import zipfile
from xml.parsers import expat

import xlsxwriter
from flask import current_app, has_app_context
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _

# Date formats and serial dates only (imported at start-up, not on a worker's first upload).
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, WINDOWS_EPOCH, from_excel, from_ISO8601

MAX_BYTES = 5 * 1024 * 1024
MAX_UNPACKED = 60 * 1024 * 1024  # a zip bomb unpacks to far more than any real sheet
MAX_PARTS = 2000                 # files inside the xlsx (a real book has a few dozen)
MAX_ROWS = 5000
MAX_CELLS_PER_ROW = 1024         # cells present in one row of the file, read or not
MAX_CELLS = 150_000              # cells present in the whole sheet (5000 rows × 30 columns)
MAX_SHARED = 300_000             # shared strings scanned (the book's other sheets share the table)
MAX_TAGS = 1_000_000             # "<" in one part, counted before parsing: elements are what costs
MAX_CELL_CHARS = 32767           # Excel's own limit for a cell
MAX_PASTE_CHARS = 2_000_000
READ_SECONDS = 5.0
LAST_ROW, LAST_COLUMN = 1_048_576, 16_384

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


class ImportRefused(ValueError):
    """The file as a whole is refused (type, size, structure, a reading limit)."""


class RowErrors(ValueError):
    """Rows with problems: [(row number, column title, message)]. Nothing was written."""

    def __init__(self, errors):
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


class CellError(ValueError):
    """One cell does not hold what its column needs; the message is for the person."""


# --- Reading ------------------------------------------------------------------------------

def scan_limit(max_rows):
    """Rows scanned at most, blank or not: the data rows, the header and some slack for blank
    or formatted rows under the table."""
    return max_rows + 1 + max(200, max_rows // 5)


def read_rows(file_storage, headers, max_rows=MAX_ROWS):
    """Rows of the first sheet as (row number, {header: value}), after checking the file.

    The first row that is not blank must hold the headers (further columns are ignored);
    blank rows are skipped but count toward the rows scanned."""
    name = (file_storage.filename or "").lower()
    data = file_storage.stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ImportRefused(_("Файл больше 5 МБ."))
    if not name.endswith(".xlsx") or not zipfile.is_zipfile(io.BytesIO(data)):
        raise ImportRefused(_("Нужен файл Excel в формате .xlsx (шаблон можно скачать на этой странице)."))
    budget = _Budget()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_PARTS or sum(info.file_size for info in infos) > MAX_UNPACKED:
                raise ImportRefused(_("Файл распаковывается в слишком большой объём — похоже, он повреждён."))
            if "xl/workbook.xml" not in archive.namelist():
                raise ImportRefused(_("Это не книга Excel .xlsx."))
            raw = _XlsxReader(archive, len(headers), scan_limit(max_rows), budget).rows()
    except ImportRefused:
        raise
    except Exception:  # expat, zipfile, zlib and our own parsing raise many kinds of errors on broken files
        raise ImportRefused(_("Файл повреждён или не является книгой Excel.")) from None
    return _table(raw, headers, max_rows, header_required=True)


def read_pasted(text_value, headers, max_rows=MAX_ROWS):
    """A table pasted from Excel or Word (lines of tab-separated cells; Excel quotes a cell that
    holds a tab, a line break or a quote) as (row number, {header: value}), within the same
    limits as a file. If the first non-blank row is the header row it is skipped, otherwise
    every row is data with the columns in the template's order. Row numbers count the pasted
    rows from 1, as they were in the sheet they were copied from if the header came along."""
    text_value = text_value or ""
    if len(text_value) > MAX_PASTE_CHARS:
        raise ImportRefused(_("Вставлено слишком много текста: не больше %(n)s символов.",
                              n=format_decimal(MAX_PASTE_CHARS)))
    budget = _Budget()
    text_value = text_value.replace("\r\n", "\n").replace("\r", "\n")
    limit, cells, raw = scan_limit(max_rows), 0, []
    try:
        for number, values in enumerate(csv.reader(io.StringIO(text_value), delimiter="\t", quotechar='"'),
                                        start=1):
            if number > limit:
                raise ImportRefused(_too_many_scanned(limit))
            if len(values) > MAX_CELLS_PER_ROW:
                raise ImportRefused(_too_wide(number))
            cells += len(values)
            if cells > MAX_CELLS:
                raise ImportRefused(_too_many_cells())
            if number % 256 == 0:
                budget.check()
            values = [v[:MAX_CELL_CHARS + 1] or None for v in values[:len(headers)]]
            raw.append((number, values + [None] * (len(headers) - len(values))))
    except csv.Error:
        raise ImportRefused(_("Не удалось разобрать вставленную таблицу: проверьте кавычки в ячейках.")) from None
    return _table(raw, headers, max_rows, header_required=False)


def _table(raw, headers, max_rows, header_required):
    """Header check, blank rows skipped, the data row limit: the same for files and pastes."""
    headers = list(headers)
    rows = iter(raw)
    first = next(((n, v) for n, v in rows if not _blank(v)), None)
    found = [text(v) for v in (first[1] if first else ())]
    if first is None and not header_required:
        raise ImportRefused(_("Под заголовками нет ни одной заполненной строки: загружать нечего."))
    if found != headers:
        if header_required or first is None:
            raise ImportRefused(_("Заголовки первой строки не совпадают с шаблоном. Ожидаются: %(h)s.",
                                  h="; ".join(headers)))
        rows = iter([first, *rows])  # a paste without its header row: the first row is data
    result = []
    for number, values in rows:
        if _blank(values):
            continue
        if len(result) >= max_rows:
            raise ImportRefused(_("Слишком много строк: не больше %(n)s.", n=max_rows))
        result.append((number, dict(zip(headers, values))))
    if not result:
        raise ImportRefused(_("Под заголовками нет ни одной заполненной строки: загружать нечего."))
    return result


def _blank(values):
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _too_many_scanned(limit):
    return _("В таблице больше %(n)s строк, считая пустые и оформленные строки под данными. "
             "Удалите лишние строки под таблицей или разделите файл.", n=format_decimal(limit))


def _too_wide(number):
    return _("В строке %(r)s больше %(n)s заполненных или оформленных ячеек. Удалите лишние столбцы справа.",
             r=number, n=format_decimal(MAX_CELLS_PER_ROW))


def _too_many_cells():
    return _("В таблице больше %(n)s заполненных или оформленных ячеек. Удалите лишние строки и столбцы "
             "или разделите файл.", n=format_decimal(MAX_CELLS))


class _Budget:
    """Wall-clock time for reading one file; checked as the reading goes."""

    def __init__(self):
        seconds = current_app.config["IMPORT_READ_SECONDS"] if has_app_context() else READ_SECONDS
        self.seconds = float(seconds)
        self.deadline = time.monotonic() + self.seconds

    def check(self):
        if time.monotonic() > self.deadline:
            raise ImportRefused(_("Файл читается слишком долго (больше %(s)s с) — в нём слишком много данных "
                                  "или оформления. Удалите лишние строки и столбцы или разделите файл.",
                                  s=format_decimal(self.seconds)))


class _Shared:
    """A cell that refers to the shared strings table, resolved after the sheet is read."""
    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index


CHUNK = 64 * 1024
INTEGER = re.compile(r"[-+]?\d{1,18}")


def _parser(start=None, end=None, chars=None, namespaces=True):
    """An expat parser that refuses any DTD (so no entity expansion); with namespaces, names
    are "uri}local"."""
    parser = expat.ParserCreate(namespace_separator="}") if namespaces else expat.ParserCreate()
    parser.buffer_text = True

    def refuse(*_args):
        raise ValueError("DTD in an xlsx part")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    if start:
        parser.StartElementHandler = start
    if end:
        parser.EndElementHandler = end
    if chars:
        parser.CharacterDataHandler = chars
    return parser


def _local(name):
    return name.rsplit("}", 1)[-1]


class _XlsxReader:
    """The first sheet of a workbook: for each <row> present, its number and the values of the
    first `ncols` columns. Shared strings and dates (cell styles) are resolved as openpyxl does
    with data_only=True: a formula gives its cached value."""

    def __init__(self, archive, ncols, limit, budget):
        self.archive, self.ncols, self.limit, self.budget = archive, ncols, limit, budget

    def rows(self):
        sheet, strings, styles, epoch = self._parts()
        date_styles = self._date_styles(styles) if styles else {}
        raw, needed = self._sheet(sheet)
        if needed:
            table = self._strings(strings, needed)
            raw = [(number, [table[v.index] if isinstance(v, _Shared) else v for v in values])
                   for number, values in raw]
        return [(number, [_as_date(v, date_styles, epoch) for v in values]) for number, values in raw]

    # -- workbook structure -------------------------------------------------------------

    def _small(self, path, wanted):
        """The `wanted` elements (local name, attributes) of a small part: workbook.xml, relations."""
        if path not in self.archive.namelist():
            return []
        if self.archive.getinfo(path).file_size > 1024 * 1024:
            raise ValueError("oversized part")
        found = []

        def start(name, attrs):
            name = _local(name)
            if name in wanted:
                found.append((name, attrs))
                if len(found) > MAX_PARTS:
                    raise ValueError("too many sheets or relations")

        parser = _parser(start=start)
        parser.Parse(self.archive.read(path), True)
        return found

    def _parts(self):
        book = self._small("xl/workbook.xml", ("sheet", "workbookPr"))
        sheets = [attrs for name, attrs in book if name == "sheet"]
        epoch_1904 = any(name == "workbookPr" and attrs.get("date1904") in ("1", "true") for name, attrs in book)
        rels = {attrs.get("Id"): attrs for name, attrs in self._small("xl/_rels/workbook.xml.rels", ("Relationship",))
                if name == "Relationship"}
        if not sheets or sheets[0].get(f"{REL_NS}}}id") not in rels:
            raise ValueError("no sheet")

        def path(rel):
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))

        def by_type(suffix, default):
            for rel in rels.values():
                if rel.get("Type", "").endswith(suffix):
                    return path(rel)
            return default

        return (path(rels[sheets[0][f"{REL_NS}}}id"]]), by_type("/sharedStrings", "xl/sharedStrings.xml"),
                by_type("/styles", None), CALENDAR_MAC_1904 if epoch_1904 else WINDOWS_EPOCH)

    def _stream(self, path, parser):
        """Feed a part to the parser in chunks, within the time budget and MAX_TAGS: counting
        "<" in a chunk costs next to nothing, parsing the elements it opens does not."""
        tags = 0
        with self.archive.open(path) as source:
            while True:
                chunk = source.read(CHUNK)
                self.budget.check()
                if not chunk:
                    break
                tags += chunk.count(b"<")
                if tags > MAX_TAGS:
                    raise ImportRefused(_too_many_cells())
                parser.Parse(chunk, False)
            parser.Parse(b"", True)

    # -- the sheet ------------------------------------------------------------------------

    def _sheet(self, path):
        """Hot path (every cell of a hostile file passes here): plain names, no namespace
        processing, cells beyond the template's columns cost a counter and a comparison."""
        ncols, limit, budget = self.ncols, self.limit, self.budget
        raw, needed = [], set()
        row = values = cell = collect = None
        cells = total = column = phonetic = last = 0

        def start(name, attrs):
            nonlocal row, values, cell, collect, cells, total, column, phonetic, last
            if ":" in name:
                name = name.rsplit(":", 1)[1]  # a prefixed main namespace (x:c)
            if name == "c":
                if row is None:
                    return
                cells += 1
                total += 1
                if cells > MAX_CELLS_PER_ROW:
                    raise ImportRefused(_too_wide(row))
                if total > MAX_CELLS:
                    raise ImportRefused(_too_many_cells())
                ref = attrs.get("r")
                if ref:
                    letters = ref.rstrip("0123456789")
                    if not letters or len(letters) > 3 or not letters.isalpha() or not letters.isupper():
                        raise ValueError("bad cell reference")
                    number = 0
                    for letter in letters:
                        number = number * 26 + ord(letter) - 64
                else:
                    number = column + 1
                if not column < number <= LAST_COLUMN:
                    raise ValueError("cells out of order")
                column = number
                # Only the template's columns are kept; the rest is counted and skipped.
                cell = {"column": number, "type": attrs.get("t", "n"), "style": attrs.get("s"),
                        "v": [], "is": [], "size": 0} if number <= ncols else None
            elif name == "row":
                if len(raw) >= limit:
                    raise ImportRefused(_too_many_scanned(limit))
                number = int(attrs["r"]) if "r" in attrs else last + 1
                if not last < number <= LAST_ROW:
                    raise ValueError("rows out of order")
                row, last, values, cells, column = number, number, [None] * ncols, 0, 0
                if len(raw) % 256 == 0:
                    budget.check()
            elif cell is not None:
                if name == "rPh":
                    phonetic += 1
                elif name == "v":
                    collect = "v"
                elif name == "t" and not phonetic:
                    collect = "is"

        def chars(data):
            if cell is not None and collect and cell["size"] <= MAX_CELL_CHARS:
                cell[collect].append(data)
                cell["size"] += len(data)

        def end(name):
            nonlocal row, cell, collect, phonetic
            if cell is None and name != "row" and not name.endswith(":row"):
                return
            if ":" in name:
                name = name.rsplit(":", 1)[1]
            if name in ("v", "t"):
                collect = None
            elif name == "rPh":
                phonetic -= 1
            elif name == "c":
                value = _cell_value(cell)
                if isinstance(value, _Shared):
                    needed.add(value.index)
                values[cell["column"] - 1] = value
                cell = None
            elif name == "row" and row is not None:
                raw.append((row, values))
                row = None

        self._stream(path, _parser(start, end, chars, namespaces=False))
        return raw, needed

    # -- shared strings and styles --------------------------------------------------------

    def _strings(self, path, needed):
        """Only the shared strings the kept cells use (a hostile table can hold millions)."""
        table, state = {}, {"index": -1, "parts": None, "size": 0, "phonetic": 0, "in_t": False}
        last = max(needed)

        class Done(Exception):
            pass

        def start(name, attrs):
            name = _local(name)
            if name == "si":
                state["index"] += 1
                if state["index"] > last:
                    raise Done
                if state["index"] >= MAX_SHARED:
                    raise ImportRefused(_too_many_cells())
                state.update(parts=[] if state["index"] in needed else None, size=0)
                if state["index"] % 4096 == 0:
                    self.budget.check()
            elif name == "rPh":
                state["phonetic"] += 1
            elif name == "t" and not state["phonetic"]:
                state["in_t"] = True

        def chars(data):
            if state["in_t"] and state["parts"] is not None and state["size"] <= MAX_CELL_CHARS:
                state["parts"].append(data)
                state["size"] += len(data)

        def end(name):
            name = _local(name)
            if name == "t":
                state["in_t"] = False
            elif name == "rPh":
                state["phonetic"] -= 1
            elif name == "si" and state["parts"] is not None:
                table[state["index"]] = "".join(state["parts"])[:MAX_CELL_CHARS + 1]

        try:
            self._stream(path, _parser(start, end, chars))
        except Done:
            pass
        if not needed <= table.keys():
            raise ValueError("missing shared string")
        return table

    def _date_styles(self, path):
        """Cell style index → "date" or "timedelta" for the styles whose number format is a date."""
        if path not in self.archive.namelist():
            return {}
        formats, xfs, state = dict(BUILTIN_FORMATS), [], {"in_xfs": False}

        def start(name, attrs):
            name = _local(name)
            if name == "numFmt":
                formats[int(attrs.get("numFmtId", -1))] = attrs.get("formatCode", "")
            elif name == "cellXfs":
                state["in_xfs"] = True
            elif name == "xf" and state["in_xfs"]:
                if len(xfs) > 65_000:  # Excel's own limit is 64,000 styles
                    raise ValueError("too many styles")
                xfs.append(int(attrs.get("numFmtId", 0)))

        def end(name):
            if _local(name) == "cellXfs":
                state["in_xfs"] = False

        self._stream(path, _parser(start, end))
        kinds = {}
        for index, fmt in enumerate(xfs):
            code = formats.get(fmt, "")
            if code and is_date_format(code):
                kinds[str(index)] = "timedelta" if is_timedelta_format(code) else "date"
        return kinds


def _cell_value(cell):
    kind, v = cell["type"], "".join(cell["v"])[:MAX_CELL_CHARS + 1]
    if kind == "inlineStr":
        return "".join(cell["is"])[:MAX_CELL_CHARS + 1] or None
    if v == "":
        return None
    if kind == "s":
        return _Shared(int(v))
    if kind == "b":
        return {"1": True, "0": False}.get(v.strip(), v)
    if kind == "d":
        try:
            return from_ISO8601(v)
        except ValueError:
            return v
    if kind in ("str", "e"):
        return v
    # A number cell. Text stored as a number (hostile, or a broken writer) stays text, so the
    # column's check names the row and the column instead of the reading failing.
    if INTEGER.fullmatch(v.strip()):
        number = int(v)
    else:
        try:
            number = float(v)
        except ValueError:
            return v
        if not math.isfinite(number):
            return v
    return ("number", number, cell["style"])


def _as_date(value, date_styles, epoch):
    """A number cell's value: a datetime when its style is a date format, else the number."""
    if not (isinstance(value, tuple) and len(value) == 3 and value[0] == "number"):
        return value
    _tag, number, style = value
    kind = date_styles.get(style or "0")
    if kind is None:
        return number
    try:
        return from_excel(number, epoch, timedelta=kind == "timedelta")
    except (OverflowError, ValueError):
        return number


# --- Cells ---------------------------------------------------------------------------------

def text(value):
    """A cell as text: a whole float as an integer (12.0 → «12»), empty → ""."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def shown(value):
    """A cell's value as the person sees it in a message: «3,5», not 3.5."""
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    value = text(value)
    return value if len(value) <= 40 else value[:40] + "…"


def number(value, minimum=None, maximum=None, places=None):
    """A number from a cell, kept exactly: a number cell, or text typed as people do
    («3,5», «1 234,5»). Empty → None; anything else raises CellError with a message."""
    from decimal import Decimal

    from .forms import parse_number

    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise CellError(_("нужно число, а не «%(v)s»", v=shown(value)))
    if isinstance(value, str):
        try:
            result = parse_number(value)
        except ValueError:
            raise CellError(_("нужно число, а не «%(v)s»", v=shown(value))) from None
    elif isinstance(value, float) and not math.isfinite(value):
        raise CellError(_("нужно число, а не «%(v)s»", v=shown(value)))
    else:
        result = value
    if places is not None and -Decimal(repr(float(result))).normalize().as_tuple().exponent > places:
        raise CellError(ngettext("не больше %(num)s знака после запятой, а не «%(v)s»",
                                 "не больше %(num)s знаков после запятой, а не «%(v)s»", places, v=shown(value)))
    _check_range(result, minimum, maximum, value, whole=False)
    return float(result)


def integer(value, minimum=None, maximum=None):
    """A whole number from a cell: 12, 12.0 or «12». «3,5» or 12.7 are refused, never cut to 3
    or 12. Empty → None; anything else raises CellError with a message."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        result = value
    else:
        try:
            result = number(value)
        except CellError:
            raise CellError(_("нужно целое число, а не «%(v)s»", v=shown(value))) from None
        if not result.is_integer():
            raise CellError(_("нужно целое число, а не «%(v)s»", v=shown(value)))
        result = int(result)
    _check_range(result, minimum, maximum, value, whole=True)
    return result


def _check_range(result, minimum, maximum, value, whole):
    if (minimum is not None and result < minimum) or (maximum is not None and result > maximum):
        low = format_decimal(minimum) if minimum is not None else "−∞"
        high = format_decimal(maximum) if maximum is not None else "∞"
        if whole:
            raise CellError(_("нужно целое число от %(lo)s до %(hi)s, а не «%(v)s»", lo=low, hi=high, v=shown(value)))
        raise CellError(_("нужно число от %(lo)s до %(hi)s, а не «%(v)s»", lo=low, hi=high, v=shown(value)))


def cell(errors, row_number, column, parse, value, **limits):
    """parse(value, **limits), or None with (row, column, message) added to errors."""
    try:
        return parse(value, **limits)
    except CellError as exc:
        errors.append((row_number, column, str(exc)))
        return None


def is_example(row, headers, example):
    """The row repeats a template's example exactly (a file made from an older template that
    had its example on the data sheet): imports refuse it rather than store the example."""
    return all(text(row.get(h)).lower() == text(v).lower() for h, v in zip(headers, example))


# --- Templates -----------------------------------------------------------------------------

def template(sheet_title, headers, instructions, *, rows=(), sample=(), widths=None):
    """An xlsx template: the data sheet with the headers, then an instructions sheet.

    rows: rows written on the data sheet and imported as they are (a prefilled list, such as
    the card's schools). sample: example rows shown on the instructions sheet under «Пример
    заполнения» and never on the data sheet, so an example is never imported."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True})
    title = book.add_format({"bold": True})
    sheet = book.add_worksheet(sheet_title[:31])
    sheet.write_row(0, 0, headers, bold)
    for row, values in enumerate(rows, start=1):
        sheet.write_row(row, 0, values)
    column_widths = [(widths or {}).get(h, max(14, len(h) + 4)) for h in headers]
    for col, width in enumerate(column_widths):
        sheet.set_column(col, col, width)
    sheet.freeze_panes(1, 0)
    notes = book.add_worksheet(_("Инструкция"))
    if sample:
        # The lines overflow into the empty cells to their right; the example table below
        # gets the data sheet's column widths.
        for col, width in enumerate(column_widths):
            notes.set_column(col, col, width)
    else:
        notes.set_column(0, 0, 110)
    for row, line in enumerate(instructions):
        notes.write(row, 0, line, title if row == 0 else None)
    if sample:
        row = len(instructions) + 1
        notes.write(row, 0, _("Пример заполнения (не копируйте его на лист «%(s)s»: строки отсюда не загружаются)",
                              s=sheet_title[:31]), title)
        notes.write_row(row + 1, 0, headers, bold)
        for offset, values in enumerate(sample, start=2):
            notes.write_row(row + offset, 0, values)
    book.close()
    buffer.seek(0)
    return buffer


# --- Running an import ---------------------------------------------------------------------

def error_lines(errors):
    return [_("Строка %(r)s, столбец «%(c)s»: %(m)s", r=row, c=column, m=message) for row, column, message in errors]


def run(form, load):
    """Validate the upload form and run `load(file)`: (count, []) on success, (None, messages)
    when the form, the file or any row is refused (and then nothing was written)."""
    from .forms import form_errors

    if not form.validate_on_submit():
        return None, [form_errors(form)]
    try:
        return load(form.file.data), []
    except ImportRefused as exc:
        return None, [str(exc)]
    except RowErrors as exc:
        return None, error_lines(exc.errors)
