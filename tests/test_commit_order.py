"""Changes of one scope follow commit order, on PostgreSQL too: a reader who saw a programme's
revision R has seen every change of revision R and below (the live feed asks for revisions
above the last it saw, the page's ETag keys on it). Writers of other scopes do not wait."""
import threading
import time

import pytest
import sqlalchemy as sa

from app.activity.models import ActivityEvent
from app.extensions import db
from app.orgs.models import Municipality


def _event(municipality_id, scope, summary):
    return ActivityEvent(municipality_id=municipality_id, actor_id=None, object_type="municipality",
                         object_id=municipality_id, scope=scope, action="update", summary=summary, changes={})


def _municipality_id(app):
    with app.app_context():
        return db.session.scalar(sa.select(Municipality.id).order_by(Municipality.id))


def _later_writer(app, municipality_id, scope, result):
    def write():
        with app.app_context():
            event = _event(municipality_id, scope, "second")
            db.session.add(event)
            db.session.flush()  # in the same scope, waits here while the first writer is open
            result["revision"] = event.revision
            result["flushed_at"] = time.monotonic()
            db.session.commit()
            result["committed_at"] = time.monotonic()

    return threading.Thread(target=write)


def test_a_later_writer_in_the_same_scope_waits_and_gets_a_higher_revision(app):
    municipality_id = _municipality_id(app)
    second = {}
    with app.app_context():
        first = _event(municipality_id, "programme:order-test", "first")
        db.session.add(first)
        db.session.flush()
        assert first.revision is not None
        thread = _later_writer(app, municipality_id, "programme:order-test", second)
        thread.start()
        time.sleep(0.8)
        assert "committed_at" not in second, "the second writer committed while the first was open"
        first_revision = first.revision
        committed_at = time.monotonic()
        db.session.commit()
    thread.join(timeout=15)
    assert second["committed_at"] >= committed_at
    assert second["revision"] == first_revision + 1
    with app.app_context():
        from app.activity.services import revision_of

        assert revision_of("programme:order-test") == first_revision + 1


def test_a_writer_in_another_scope_does_not_wait(app):
    """PostgreSQL: one programme's open writer holds only its own scope's row. (SQLite has one
    writer at a time anyway; there only the revisions are checked.)"""
    municipality_id = _municipality_id(app)
    other = {}
    with app.app_context():
        engine = db.engine.dialect.name
        first = _event(municipality_id, "programme:order-a", "first")
        db.session.add(first)
        db.session.flush()
        first_revision = first.revision
        thread = _later_writer(app, municipality_id, "programme:order-b", other)
        thread.start()
        if engine == "postgresql":
            thread.join(timeout=5)
            assert "committed_at" in other, "a writer in another programme waited for this one"
        db.session.commit()
    thread.join(timeout=15)
    assert "committed_at" in other
    assert first_revision == 1 and other["revision"] == 1  # each scope counts its own changes
    if engine != "postgresql":
        pytest.skip("SQLite serializes all writers: 'does not wait' holds on PostgreSQL only")


def test_events_without_a_scope_take_no_revision(app):
    municipality_id = _municipality_id(app)
    with app.app_context():
        event = _event(municipality_id, None, "no scope")
        db.session.add(event)
        db.session.commit()
        assert event.revision is None
