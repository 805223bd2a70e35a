"""Dates, times and numbers as the reader's locale writes them (Flask-Babel): the one place
that formats them, for templates (as filters, see ui.py) and for texts built in Python."""
import functools
from datetime import datetime
from decimal import Decimal

from babel.numbers import format_decimal as babel_format_decimal
from flask_babel import format_date, format_time, get_locale


def show_date(value):
    """A date as the locale writes it. A stored timestamp (naive UTC) is first moved to the
    municipality's zone, so 19:10 UTC on 1 December is 2 December in Krasnoyarsk; a plain
    date is a calendar day and is never shifted."""
    return format_date(value, "short") if value else ""


def show_datetime(value):
    if not value:
        return ""
    if not isinstance(value, datetime):  # a plain date has no time to show
        return show_date(value)
    return f"{format_date(value, 'short')} {format_time(value, 'short')}"


def show_number(value, digits=2):
    """A number as the locale writes it: 10,5 and 1 234,5 in Russian; whole numbers (counts of
    people, points) without ",0"; a dash for none."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return str(value)
    return _formatted_number(value, digits, str(get_locale() or "ru"))


@functools.lru_cache(maxsize=4096)
def _formatted_number(value, digits, locale):
    """Babel's formatting costs ~50 µs a call and a programme page shows hundreds of the same
    few values: formatted once per (value, digits, locale) and process."""
    if float(value).is_integer():
        return babel_format_decimal(int(value), format="#,##0", locale=locale)
    return babel_format_decimal(value, format="#,##0." + "#" * digits, locale=locale)
