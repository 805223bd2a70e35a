"""One user action, one transaction, committed here and nowhere else.

Services change objects and flush (so version checks and unique keys answer at once, inside
the request, as a Conflict the route turns into 409); the request that carried the action
commits once, after the route answered successfully. So an action happens whole or not at
all: a refusal (4xx, or a no-JavaScript redirect that carries a refusal, see `refuse()`) or an
error rolls back everything the action had written so far — never an orphan task from a
recommendation whose last step failed.

Work that is not a request (CLI commands, export jobs, demo seeding) ends its transactions
with `commit()`; a long batch commits every `BATCH` items (`batches()`), so other writers never
wait for the whole job. `commit()` also ends the few request steps that must be durable before
the action goes on (a login attempt is counted before its password is checked).
"""
import logging

from flask import g, has_request_context, request
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from .extensions import db

log = logging.getLogger("opora.transaction")

SAFE_METHODS = frozenset(("GET", "HEAD", "OPTIONS"))
# Items per transaction in batch jobs: small enough that a save elsewhere waits a few
# milliseconds, large enough that the commits cost little.
BATCH = 200


def commit():
    """End the current transaction: the one call to `Session.commit()` outside the request's end."""
    try:
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        raise


def batches(items, size=BATCH):
    """Yield `items` in lists of `size`, committing after each list (a batch job's progress is
    kept if it stops half way, and no list holds locks for long)."""
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]
        commit()


def refuse():
    """Mark the current request's action as refused although its answer is not a 4xx (a redirect
    back to the page for a browser without JavaScript): nothing it wrote is committed."""
    if has_request_context():
        g.opora_refused = True


def init_app(app):
    @app.after_request
    def commit_user_action(response):
        session = db.session
        if request.method in SAFE_METHODS:
            return response
        if response.status_code >= 400 or g.get("opora_refused"):
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
