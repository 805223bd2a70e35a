from datetime import datetime, timezone


def utcnow():
    """Naive UTC timestamp: stored the same way on SQLite and PostgreSQL."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def today():
    """The local date (one place to change it in tests)."""
    from datetime import date

    return date.today()
