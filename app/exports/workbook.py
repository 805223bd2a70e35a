"""Writing workbooks with XlsxWriter: Russian headers, frozen header row, autofilter, sensible
widths, real dates and numbers, conditional formats and native charts.

Rows are written with write_row (not DataFrame.to_excel): the same output, faster and lighter
on large regions; pandas prepares the frames."""
import math
from datetime import date, datetime

import pandas as pd
import xlsxwriter

DATE_FORMAT = "dd.mm.yyyy"


def _plain(value):
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


class Book:
    def __init__(self, target):
        self.book = xlsxwriter.Workbook(target, {"default_date_format": DATE_FORMAT, "strings_to_numbers": False,
                                                 "strings_to_formulas": False, "strings_to_urls": False})
        self.header = self.book.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True,
                                            "valign": "top"})
        self.wrap = self.book.add_format({"text_wrap": True, "valign": "top"})
        self.red = self.book.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
        self.green = self.book.add_format({"bg_color": "#C6EFCE", "font_color": "#006100"})
        self.title = self.book.add_format({"bold": True, "font_size": 14})
        self.bold = self.book.add_format({"bold": True})

    def sheet(self, name, df, widths=None, wrap=(), red_when=None, green_when=None):
        """One data sheet. red_when / green_when: (column, value) — the whole row is coloured where
        that column equals the value."""
        ws = self.book.add_worksheet(name[:31])
        columns = list(df.columns)
        ws.write_row(0, 0, columns, self.header)
        # Missing values become empty cells; pandas timestamps become datetimes (real Excel dates).
        cells = df.astype(object).where(df.notna(), None)
        for column in df.columns[df.dtypes.astype(str).str.startswith("datetime")]:
            cells[column] = [_plain(v) for v in cells[column]]
        write_row = ws.write_row
        for i, row in enumerate(cells.itertuples(index=False, name=None), start=1):
            write_row(i, 0, row)
        last_row, last_col = max(len(df), 1), max(len(columns) - 1, 0)
        for col, title in enumerate(columns):
            width = (widths or {}).get(title) or _guess_width(title, df[title] if len(df) else [])
            ws.set_column(col, col, width, self.wrap if title in wrap else None)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, last_row, last_col)
        for rule, fmt in ((red_when, self.red), (green_when, self.green)):
            if rule and rule[0] in columns and len(df):
                letter = xlsxwriter.utility.xl_col_to_name(columns.index(rule[0]))
                ws.conditional_format(1, 0, len(df), last_col, {
                    "type": "formula", "criteria": f'=${letter}2="{rule[1]}"', "format": fmt})
        return ws

    def close(self):
        self.book.close()


def _guess_width(title, values):
    values = list(values.iloc[:200]) if hasattr(values, "iloc") else list(values)[:200]
    sample = [len(str(v)) for v in values if v is not None]
    longest = max(sample) if sample else 0
    if isinstance(next(iter(values), None), (date, datetime)):
        return 12
    # A long header wraps (the header format wraps at spaces): as wide as its longest word,
    # not as its whole text, so a column of 0/1 is not 60 characters wide.
    heading = len(title) * 0.9 if len(title) <= 24 else max(24, max(len(w) for w in title.split()) * 1.1)
    return max(10, min(60, max(heading, longest * 1.05)))


def write_summary(target, summary, tasks, indicators, visits, recommendations, deficits, card, meta):
    """The department summary workbook. `summary` is a DataFrame of summary_rows()."""
    book = Book(target)
    hidden = ["partnership_id", "school_id", "programme_id", "programme_status"]
    summary = summary.drop(columns=[c for c in hidden if c in summary.columns])
    ws = book.sheet("Сводка", summary, widths={"Школа": 26, "Школа-тьютор": 24, "Куратор": 28,
                                               "Статус программы": 16})
    if len(summary):
        columns = list(summary.columns)
        overdue = columns.index("Просрочено")
        ws.conditional_format(1, overdue, len(summary), overdue, {"type": "cell", "criteria": ">", "value": 0,
                                                                  "format": book.red})
        percent = columns.index("Выполнено, %")
        ws.conditional_format(1, percent, len(summary), percent, {"type": "data_bar", "bar_color": "#63BE7B"})
        on_track, total = columns.index("Показателей в плане"), columns.index("Показателей всего")
        on_letter, total_letter = (xlsxwriter.utility.xl_col_to_name(c) for c in (on_track, total))
        ws.conditional_format(1, on_track, len(summary), on_track, {
            "type": "formula", "criteria": f"=AND(${total_letter}2>0,${on_letter}2=${total_letter}2)",
            "format": book.green})
    book.sheet("Показатели", indicators, widths={"Показатель": 50, "Школа": 24}, wrap=("Показатель",),
               green_when=("Состояние", "в плане"))
    book.sheet("Мероприятия", tasks, widths={"Мероприятие": 60, "Раздел": 40, "Ожидаемый результат": 40,
                                             "Школа": 24}, wrap=("Мероприятие", "Ожидаемый результат"),
               red_when=("Просрочено", "да"))
    book.sheet("Выезды", visits, widths={"Цель": 50, "Выводы": 60, "Школа": 24}, wrap=("Цель", "Выводы"))
    book.sheet("Рекомендации", recommendations, widths={"Рекомендация": 60, "Школа": 24}, wrap=("Рекомендация",),
               red_when=("Просрочена", "да"))
    book.sheet("Дефициты", deficits, widths={"Школа": 26})
    book.sheet("Диагностическая карта", card, widths={"Школа": 26}, red_when=("Кандидат", "да"))
    _charts(book, summary, deficits, meta)
    book.close()


def _charts(book, summary, deficits, meta):
    ws = book.book.add_worksheet("Диаграммы")
    ws.write(0, 0, meta.get("title", "Сводка"), book.title)
    ws.write(1, 0, meta.get("subtitle", ""))
    rows = len(summary)
    if rows:
        chart = book.book.add_chart({"type": "bar"})
        chart.add_series({"name": "Выполнено, %",
                          "categories": ["Сводка", 1, 0, rows, 0],
                          "values": ["Сводка", 1, list(summary.columns).index("Выполнено, %"), rows,
                                     list(summary.columns).index("Выполнено, %")],
                          "fill": {"color": "#4F81BD"}})
        chart.set_title({"name": "Выполнение программ по школам, %"})
        chart.set_x_axis({"min": 0, "max": 100})
        chart.set_legend({"none": True})
        chart.set_size({"width": 720, "height": max(300, 24 * rows + 80)})
        ws.insert_chart(3, 0, chart)
    # Deficits by category: the mean over schools whose groups are large enough to show.
    categories = [c for c in deficits.columns if c.endswith(", %")]
    ws.write_row(3, 12, ["Категория дефицитов", "Доля педагогов с дефицитом, % (среднее по школам)"], book.header)
    for i, column in enumerate(categories, start=4):
        values = pd.to_numeric(deficits[column], errors="coerce").dropna()
        ws.write_row(i, 12, [column.replace(", %", ""), round(float(values.mean()), 1) if len(values) else None])
    ws.set_column(12, 12, 28)
    ws.set_column(13, 13, 22)
    chart = book.book.add_chart({"type": "column"})
    chart.add_series({"name": "Доля педагогов с дефицитом, %",
                      "categories": ["Диаграммы", 4, 12, 3 + len(categories), 12],
                      "values": ["Диаграммы", 4, 13, 3 + len(categories), 13], "fill": {"color": "#C0504D"}})
    chart.set_title({"name": "Профессиональные дефициты по категориям, %"})
    chart.set_legend({"none": True})
    ws.insert_chart(10, 12, chart)


def write_programme(target, programme, goals, sections, tasks_by_section, numbers, indicators, periods, values):
    """One programme as the seed documents lay it out: passport, plan table by section, indicators by period."""
    book = Book(target)
    ws = book.book.add_worksheet("Паспорт")
    ws.set_column(0, 0, 32)
    ws.set_column(1, 1, 100, book.wrap)
    ws.write(0, 0, programme.name, book.title)
    rows = [("Наименование программы", programme.name), ("Школа", programme.school.name),
            ("Школа-тьютор", programme.partnership.tutor_school.name),
            ("Специалист-куратор", programme.partnership.curator.full_name),
            ("Сроки реализации", f"{programme.start_year}–{programme.end_year}"),
            ("Основная идея", programme.main_idea), ("Риски", programme.risks), ("Ресурсы", programme.resources)]
    for i, (label, value) in enumerate(rows, start=2):
        ws.write(i, 0, label, book.bold)
        ws.write(i, 1, value or "")
    row = len(rows) + 3
    ws.write(row, 0, "Цели", book.bold)
    for goal in goals:
        row += 1
        ws.write(row, 0, "Цель")
        ws.write(row, 1, f"{goal.text}\nОбоснование: {goal.justification}\nРеалистичность: {goal.realism}")
    plan = book.book.add_worksheet("План мероприятий")
    headers = ["№ п/п", "Мероприятие", "Срок исполнения", "Ожидаемые результаты", "Ответственный", "Статус"]
    plan.write_row(0, 0, headers, book.header)
    for col, width in enumerate((8, 60, 14, 45, 30, 14)):
        plan.set_column(col, col, width, book.wrap)
    plan.freeze_panes(1, 0)
    r = 1
    status_names = {"planned": "запланировано", "in_progress": "выполняется", "done": "выполнено",
                    "cancelled": "отменено"}
    for s_index, section in enumerate(sections, start=1):
        plan.merge_range(r, 0, r, len(headers) - 1, f"{s_index}. {section.title}", book.header)
        r += 1
        for task in tasks_by_section.get(section.id, []):
            plan.write_row(r, 0, [numbers[task.id], task.title, task.due_date, task.expected_result,
                                  task.responsible, status_names[task.status]])
            r += 1
    ind = book.book.add_worksheet("Показатели")
    head = ["Показатель", "Единица", "Источник", "База"] + [f"{p.title}: план" for p in periods] + \
        [f"{p.title}: факт" for p in periods]
    ind.write_row(0, 0, head, book.header)
    ind.set_column(0, 0, 50, book.wrap)
    ind.set_column(1, len(head), 12)
    ind.freeze_panes(1, 1)
    for i, indicator in enumerate(indicators, start=1):
        by_period = values.get(indicator.id, {})
        ind.write_row(i, 0, [indicator.name, indicator.unit, indicator.source, indicator.baseline]
                      + [(by_period[p.id].target if p.id in by_period else None) for p in periods]
                      + [(by_period[p.id].actual if p.id in by_period else None) for p in periods])
    book.close()

