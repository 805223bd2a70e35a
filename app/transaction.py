"""One user action, one transaction.

Services change objects and flush (so version checks and unique keys answer at once, inside
the request, as a Conflict the route turns into 409); the request that carried the action
commits once, after the route answered successfully. So an action happens whole or not at
all: a refusal (4xx) or an error rolls back everything the action had written so far —
never an orphan task from a recommendation whose last step failed.

Work that is not a request (CLI commands, export jobs, demo seeding) commits itself.
"""
import logging

from flask import request
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from .extensions import db

log = logging.getLogger("opora.transaction")

SAFE_METHODS = frozenset(("GET", "HEAD", "OPTIONS"))


def init_app(app):
    @app.after_request
    def commit_user_action(response):
        session = db.session
        if request.method in SAFE_METHODS:
            return response
        if response.status_code >= 400:
            session.rollback()
            return response
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            log.warning("commit refused by a constraint: %s %s", request.method, request.path)
            from .errors import error_response

            refused = error_response(409)
            for name in ("Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options",
                         "Referrer-Policy", "Cache-Control", "Vary"):
                if name in response.headers:
                    refused.headers[name] = response.headers[name]
            return refused
        except SQLAlchemyError:
            session.rollback()
            raise
        return response
