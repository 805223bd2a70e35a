"""Time: stored as naive UTC, shown and reasoned about in the municipality's zone.

"Today" decides what is overdue, due soon, and which school year is under way, so it is
always a municipality's today: `today()` in a request is the signed-in user's
municipality's (the zone Flask-Babel formats with); CLI commands and jobs pass the
municipality, `today(municipality)`, or a zone name, `today_in("Europe/Moscow")`.
"""
import functools
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, available_timezones

DEFAULT_ZONE = "Asia/Krasnoyarsk"


def utcnow():
    """Naive UTC timestamp: stored the same way on SQLite and PostgreSQL."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


@functools.cache
def known_zones():
    return frozenset(available_timezones())


def is_zone(name):
    """An IANA zone name this system knows (Asia/Krasnoyarsk, Europe/Moscow…)."""
    return isinstance(name, str) and name in known_zones()


def today_in(zone):
    """The date it is now in a zone (an IANA name or a tzinfo)."""
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    return datetime.now(tz).date()


def today(municipality=None):
    """The municipality's today; without one, the current request's (its user's municipality),
    or the configured default zone outside a request."""
    if municipality is not None:
        return today_in(municipality.timezone or DEFAULT_ZONE)
    return today_in(current_zone())


def current_zone():
    """The zone of this request (Flask-Babel's, chosen by i18n.select_timezone), else the default."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return DEFAULT_ZONE
    from flask_babel import get_timezone

    return get_timezone() or current_app.config.get("BABEL_DEFAULT_TIMEZONE", DEFAULT_ZONE)


def school_year(on=None):
    """The school year a date falls in, named by the year it starts (September 2026 → 2026)."""
    on = on or today()
    return on.year if on.month >= 9 else on.year - 1
