"""Each scope counts its own changes: a save bumps its programme's revision (once per flush,
shared by the events it records), leaves other scopes alone, and the live feed reads by it."""
import sqlalchemy as sa

from app.activity.models import ActivityEvent, ScopeRevision
from app.activity.services import revision_of
from app.collab import services as collab
from app.extensions import db
from app.programmes.models import Task


def _revisions(app):
    with app.app_context():
        return dict(db.session.execute(sa.select(ScopeRevision.scope, ScopeRevision.revision)).all())


def test_a_save_bumps_its_programme_only_and_the_feed_reads_by_revision(app, login_as, demo):
    pid = demo["programme"]
    scope = f"programme:{pid}"
    before = _revisions(app)
    with app.app_context():
        task = db.session.scalar(sa.select(Task).where(Task.programme_id == pid, Task.status == "planned"))
        task_id, version = task.id, task.version
    school = login_as("school")
    assert school.htmx_post(f"/tasks/{task_id}/status", {"status": "done", "version": str(version)}).status_code == 200
    after = _revisions(app)
    assert after[scope] == before.get(scope, 0) + 1
    assert {k: v for k, v in after.items() if k != scope} == {k: v for k, v in before.items() if k != scope}
    with app.app_context():
        events = collab.events_since(scope, before.get(scope, 0))
        assert [(e.object_type, e.object_id, e.revision) for e in events] == [("task", task_id, after[scope])]
        assert collab.events_since(scope, after[scope]) == []
        assert revision_of(scope) == after[scope]


def test_events_of_one_flush_share_a_revision_and_the_next_transaction_gets_the_next(app, demo):
    with app.app_context():
        municipality_id = db.session.scalar(sa.select(Task.municipality_id).limit(1))
        events = [ActivityEvent(municipality_id=municipality_id, object_type="task", object_id=i, scope="programme:x",
                                action="update", changes={}) for i in (1, 2)]
        db.session.add_all(events)
        db.session.commit()
        assert {e.revision for e in events} == {1}
        later = ActivityEvent(municipality_id=municipality_id, object_type="task", object_id=3, scope="programme:x",
                              action="update", changes={})
        db.session.add(later)
        db.session.commit()
        assert later.revision == 2 and revision_of("programme:x") == 2
        db.session.add(ActivityEvent(municipality_id=municipality_id, object_type="task", object_id=4,
                                     scope="programme:x", action="update", changes={}))
        db.session.flush()
        assert revision_of("programme:x") == 3  # inside the transaction
        db.session.rollback()  # a rolled-back change leaves the revision where it was
        assert revision_of("programme:x") == 2
