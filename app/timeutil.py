from datetime import datetime, timezone


def utcnow():
    """Naive UTC timestamp: stored the same way on SQLite and PostgreSQL."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def today():
    """The local date (one place to change it in tests)."""
    from datetime import date

    return date.today()


def school_year(on=None):
    """The school year a date falls in, named by the year it starts (September 2026 → 2026)."""
    on = on or today()
    return on.year if on.month >= 9 else on.year - 1
