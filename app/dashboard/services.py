"""What each role sees first, and the summary dashboard."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, text

from .. import policy
from ..accounts.models import User
from ..exports import summary as data
from ..extensions import db
from ..orgs.models import Organisation, Partnership
from ..programmes.forms import PROGRAMME_STATUS_LABELS
from ..teachers.models import DEFICIT_CATEGORIES


def municipality_counts(municipality_id):
    """Aggregates only: safe for every role of the municipality, observers included."""
    org = Organisation
    schools = db.select(func.count()).select_from(org).where(
        org.municipality_id == municipality_id, org.kind == "school", org.is_archived.is_(False))
    return {
        "schools": db.session.scalar(schools),
        "low_results": db.session.scalar(schools.where(org.is_low_results.is_(True))),
        "unfavourable": db.session.scalar(schools.where(org.is_unfavourable.is_(True))),
        "partnerships": db.session.scalar(db.select(func.count()).select_from(Partnership).where(
            Partnership.municipality_id == municipality_id, Partnership.is_active.is_(True))),
        "users": db.session.scalar(db.select(func.count()).select_from(User).where(
            User.municipality_id == municipality_id, User.is_active_account.is_(True))),
    }


def my_partnerships():
    return db.session.scalars(policy.visible(Partnership).where(Partnership.is_active.is_(True))
                              .order_by(Partnership.start_year.desc())).all()


def my_tasks(user, limit=10):
    """Open tasks assigned to the user, soonest first: what to do next."""
    from sqlalchemy.orm import joinedload

    from ..programmes.models import Programme, Task

    return db.session.scalars(db.select(Task).where(Task.owner_id == user.id,
                                                    Task.status.in_(("planned", "in_progress")))
                              .options(joinedload(Task.programme).joinedload(Programme.school))
                              .order_by(Task.due_date.is_(None), Task.due_date).limit(limit)).all()


def database_ok():
    """Whether the database answers (the health check); a failed probe leaves the session usable."""
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:  # any driver error means "database down" here
        db.session.rollback()
        return False


# --- The summary dashboard: the rows the Excel summary exports -----------------------------------

# Headers of the dashboard table in the reader's language. The rows' keys are the workbook's
# Russian column names (exports.summary), which the sheet keeps whoever exports it.
SUMMARY_HEADERS = {
    "Школа": _l("Школа"), "Школа-тьютор": _l("Школа-тьютор"), "Куратор": _l("Куратор"),
    "Статус программы": _l("Программа"), "Выполнено": _l("Выполнено"), "Выполнено, %": "%",
    "Просрочено": _l("Просрочено"), "Срок в ближайшие 14 дней": _l("14 дней"),
    "Показателей в плане": _l("Показатели в плане"), "Выездов за период": _l("Выездов за период"),
    "Последний выезд": _l("Последний выезд"), "Открытых рекомендаций": _l("Открытых рекомендаций"),
}
CARD_HEADER = ("Диагностическая карта, баллов", _l("Карта, баллов"))
NO_PROGRAMME = _l("нет программы")


def deficit_columns():
    """[(row key, header)]: a column per deficit category, named in the reader's language."""
    from ..teachers.services import CATEGORY_NAMES

    return [(data.DEFICIT_COLUMNS[code], f"{CATEGORY_NAMES[code]}, %") for code in DEFICIT_CATEGORIES]


def summary_columns():
    """[(row key, header)] of the dashboard table, in its order."""
    return [*SUMMARY_HEADERS.items(), *deficit_columns(), CARD_HEADER]


def status_label(code):
    return PROGRAMME_STATUS_LABELS[code] if code else NO_PROGRAMME


def summary_totals(rows):
    """The headline numbers above the table, summed over its rows."""
    total = {key: sum(r[column] for r in rows) for key, column in (
        ("tasks", "Мероприятий всего"), ("done", "Выполнено"), ("overdue", "Просрочено"),
        ("due_soon", "Срок в ближайшие 14 дней"), ("on_track", "Показателей в плане"),
        ("indicators", "Показателей всего"))}
    total["done_percent"] = round(100 * total["done"] / total["tasks"]) if total["tasks"] else 0
    return total


def status_counts(rows):
    """[(status label, number of schools)] in the order of the programme's life, «no programme» last."""
    counts = {}
    for r in rows:
        counts[r["programme_status"]] = counts.get(r["programme_status"], 0) + 1
    order = [*PROGRAMME_STATUS_LABELS, None]
    return [(status_label(code), counts[code]) for code in order if code in counts]


def card_top(municipality_id, year, limit=10):
    """The diagnostic card's first `limit` schools (most problems first): rank, school, total, candidate."""
    from ..selection.services import grid

    _card, _criteria, rows = grid(municipality_id, year)
    return [{"rank": r["rank"], "school": r["school"].short_name, "total": r["total"], "candidate": r["candidate"]}
            for r in rows[:limit]]


def summary_page(user, year, period):
    """Everything the summary dashboard shows for `user` (not a school team: they see their programme)."""
    from ..teachers.services import heatmap
    from ..visits.services import coverage_gaps

    rows = data.summary_rows(policy.visible(Partnership), user.municipality_id, year, period)
    summarize = policy.can("summarize", user.municipality)
    card = card_top(user.municipality_id, year) if summarize else []
    return {"rows": rows, "totals": summary_totals(rows), "statuses": status_counts(rows),
            "columns": summary_columns(), "categories": deficit_columns(),
            "done_bars": [(r["Школа"], r["Выполнено, %"]) for r in rows],
            "gaps": coverage_gaps(user.municipality), "heat": heatmap(user.municipality_id) if summarize else [],
            "card": card, "card_bars": [(r["school"], r["total"]) for r in card]}
