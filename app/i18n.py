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
