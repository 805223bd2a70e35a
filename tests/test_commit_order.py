"""Change ids follow commit order, on PostgreSQL too: a reader who saw id N has seen every
change below N (the live feed and cached pages rely on it)."""
import threading
import time

import sqlalchemy as sa

from app.activity.models import ActivityEvent
from app.extensions import db
from app.orgs.models import Municipality


def _event(municipality_id, summary):
    return ActivityEvent(municipality_id=municipality_id, actor_id=None, object_type="municipality",
                         object_id=municipality_id, scope="test:order", action="update", summary=summary,
                         changes={})


def test_a_later_writer_waits_and_gets_a_higher_id(app):
    with app.app_context():
        municipality_id = db.session.scalar(sa.select(Municipality.id).order_by(Municipality.id))
    second = {}

    def later_writer():
        with app.app_context():
            event = _event(municipality_id, "second")
            db.session.add(event)
            db.session.flush()  # waits here while the first writer is open
            second["id"] = event.id
            db.session.commit()
            second["committed_at"] = time.monotonic()

    with app.app_context():
        first = _event(municipality_id, "first")
        db.session.add(first)
        db.session.flush()
        thread = threading.Thread(target=later_writer)
        thread.start()
        time.sleep(0.8)
        assert "committed_at" not in second, "the second writer committed while the first was open"
        first_id = first.id
        committed_at = time.monotonic()
        db.session.commit()
    thread.join(timeout=15)
    assert second["committed_at"] >= committed_at
    assert second["id"] > first_id
