"""Reading uploaded xlsx files safely, and making the templates that go with them.

An import is all or nothing: the file is read and every row checked first; only a file
without a single error is written, in one transaction. Errors name the row and the column.
"""
import io
import zipfile

import openpyxl
import xlsxwriter
from flask_babel import gettext as _

MAX_BYTES = 5 * 1024 * 1024
MAX_UNPACKED = 60 * 1024 * 1024  # a zip bomb unpacks to far more than any real sheet
MAX_ROWS = 5000


class ImportRefused(ValueError):
    """The file as a whole is refused (type, size, structure)."""


class RowErrors(ValueError):
    """Rows with problems: [(row number, column title, message)]. Nothing was written."""

    def __init__(self, errors):
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


def read_rows(file_storage, headers, max_rows=MAX_ROWS):
    """Rows of the first sheet as (row number, {header: value}), after checking the file."""
    name = (file_storage.filename or "").lower()
    data = file_storage.stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ImportRefused(_("Файл больше 5 МБ."))
    if not name.endswith(".xlsx") or not zipfile.is_zipfile(io.BytesIO(data)):
        raise ImportRefused(_("Нужен файл Excel в формате .xlsx (шаблон можно скачать на этой странице)."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED:
                raise ImportRefused(_("Файл распаковывается в слишком большой объём — похоже, он повреждён."))
            if "xl/workbook.xml" not in archive.namelist():
                raise ImportRefused(_("Это не книга Excel .xlsx."))
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ImportRefused:
        raise
    except Exception:  # openpyxl raises many kinds of errors on broken files
        raise ImportRefused(_("Файл повреждён или не является книгой Excel.")) from None
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        first = next(rows, None)
        found = [str(v).strip() if v is not None else "" for v in (first or ())]
        if found[:len(headers)] != list(headers):
            raise ImportRefused(_("Заголовки первой строки не совпадают с шаблоном. Ожидаются: %(h)s.",
                                  h="; ".join(headers)))
        result = []
        for number, values in enumerate(rows, start=2):
            values = list(values or ())[:len(headers)]
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            if len(result) >= max_rows:
                raise ImportRefused(_("Слишком много строк: не больше %(n)s.", n=max_rows))
            values += [None] * (len(headers) - len(values))
            result.append((number, dict(zip(headers, values))))
        return result
    finally:
        workbook.close()


def text(value):
    return "" if value is None else str(value).strip()


def template(sheet_title, headers, instructions, examples=(), widths=None):
    """An xlsx template: the data sheet with headers (and examples) plus an instructions sheet."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True})
    sheet = book.add_worksheet(sheet_title[:31])
    sheet.write_row(0, 0, headers, bold)
    for row, example in enumerate(examples, start=1):
        sheet.write_row(row, 0, example)
    for col, title in enumerate(headers):
        sheet.set_column(col, col, (widths or {}).get(title, max(14, len(title) + 4)))
    sheet.freeze_panes(1, 0)
    notes = book.add_worksheet(_("Инструкция"))
    notes.set_column(0, 0, 110)
    for row, line in enumerate(instructions):
        notes.write(row, 0, line, bold if row == 0 else None)
    book.close()
    buffer.seek(0)
    return buffer


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
