"""Locale: the user's choice kept in the session (set at login from the profile), Russian by default.

Only the session is read, never the database: error pages must translate even when
the database is down.
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
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]
