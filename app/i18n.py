"""Locale: the user's choice kept in the session (set at login from the profile), Russian by default.

Only the session is read, never the database: error pages must translate even when
the database is down. The time zone is the signed-in user's municipality's (loaded with
the user), the configured default when there is none or the database cannot answer.
"""
from flask import current_app, has_request_context, session


def select_locale():
    if not has_request_context():  # CLI commands and export jobs: the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("locale")
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone():
    """The signed-in user's municipality's zone. The user loader brings the municipality
    with the user (one statement), so this costs no query of its own; Flask-Babel keeps
    the answer for the rest of the request. Anonymous pages, CLI commands, jobs, and error
    pages while the database is down get the configured default."""
    default = current_app.config["BABEL_DEFAULT_TIMEZONE"]
    if not has_request_context():
        return default
    from flask_login import current_user
    from sqlalchemy.exc import SQLAlchemyError

    try:
        municipality = current_user.municipality if current_user.is_authenticated else None
    except SQLAlchemyError:
        return default
    zone = getattr(municipality, "timezone", None)
    from .timeutil import is_zone

    return zone if is_zone(zone) else default


def ngettext(singular, plural, num, *, many=None, **variables):
    """Flask-Babel's ngettext, plus Russian's third form. Russian is the source language and
    has no catalogue, so gettext alone knows two forms («1 школа», «3 школы»); `many` gives
    the third («5 школ»). Extracted as an ordinary ngettext (msgid, msgid_plural): other
    languages translate through their catalogue as usual. Templates get it as `ngettext`."""
    from babel import Locale
    from flask_babel import get_locale
    from flask_babel import ngettext as babel_ngettext

    locale = get_locale()
    if many is None or (locale is not None and locale.language != "ru"):
        return babel_ngettext(singular, plural, num, **variables)
    form = Locale("ru").plural_form(abs(num))
    text = {"one": singular, "few": plural}.get(form, many)
    return text % {"num": num, **variables}
