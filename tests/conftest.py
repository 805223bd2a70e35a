"""Fixtures: a fresh database per test (copied from a migrated, seeded template),
a client, and `auth.login(role)` for the demo logins.

With TEST_DATABASE_URL (set by tests/run_postgres.py) every test gets its own
PostgreSQL database cloned from a template database; otherwise a SQLite file.
"""
import itertools
import os
import shutil
from datetime import date

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from helpers import FAST_HASH, Auth

PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL")  # postgresql+psycopg://postgres@host:port/postgres
_counter = itertools.count()


def _pg_url(name):
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def _pg_admin(sql):
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(sql))
    engine.dispose()


def _build(url):
    """Migrate (the real Alembic revisions) and load the demo data."""
    from flask_migrate import upgrade

    from app.demo.seed import seed_demo

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_METHOD": FAST_HASH})
    with app.app_context():
        upgrade()
        seed_demo()
        db.engine.dispose()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    if PG_ADMIN_URL:
        _pg_admin("DROP DATABASE IF EXISTS opora_template")
        _pg_admin("CREATE DATABASE opora_template")
        _build(_pg_url("opora_template"))
        return "opora_template"
    path = tmp_path_factory.mktemp("template") / "template.db"
    _build(f"sqlite:///{path}")
    return str(path)


@pytest.fixture
def database_url(template_db, tmp_path):
    if PG_ADMIN_URL:
        name = f"opora_t{os.getpid()}_{next(_counter)}"
        _pg_admin(f"CREATE DATABASE {name} TEMPLATE {template_db}")
        yield _pg_url(name)
        _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    else:
        path = tmp_path / "test.db"
        shutil.copy(template_db, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def empty_database_url(tmp_path):
    """A database with the migrations only: no demo data, as on a new installation."""
    from flask_migrate import upgrade

    if PG_ADMIN_URL:
        name = f"opora_e{os.getpid()}_{next(_counter)}"
        _pg_admin(f"CREATE DATABASE {name}")
        url = _pg_url(name)
    else:
        url = f"sqlite:///{tmp_path / 'empty.db'}"
    migrated = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url})
    with migrated.app_context():
        upgrade()
        db.engine.dispose()
    yield url
    if PG_ADMIN_URL:
        _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _test_app(url, tmp_path):
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "PASSWORD_HASH_METHOD": FAST_HASH,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "EXPORT_FOLDER": str(tmp_path / "exports"),
        "SERVER_NAME": None,
    })
    # No app context stays pushed while requests run: each request must get its own
    # `g` (Flask reuses an outer context, and with it a stale CSRF token).
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def empty_app(empty_database_url, tmp_path):
    yield from _test_app(empty_database_url, tmp_path)


@pytest.fixture
def app(database_url, tmp_path):
    yield from _test_app(database_url, tmp_path)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def login_as(app):
    """A fresh client signed in as the given demo role or e-mail: for tests with several users."""

    def make(role_or_email):
        client = app.test_client()
        auth = Auth(client)
        auth.login(role_or_email)
        return auth

    return make


@pytest.fixture
def demo(app):
    """Ids of the demo objects, looked up by their natural keys (plus an attachment and a
    notification per role, which the demo data does not have)."""
    from app.accounts.models import User
    from app.orgs.models import Organisation

    def org(short):
        return db.session.scalar(sa.select(Organisation).where(Organisation.short_name == short))

    def user(email):
        return db.session.scalar(sa.select(User).where(User.email == email))

    with app.app_context():
        ids = _demo_ids(org, user)
        ids.update(_programme_ids(app, ids, user))
        return ids


def _programme_ids(app, ids, user):
    import os

    from app.collab.models import Attachment, Notification
    from app.programmes.models import Goal, Indicator, Programme, ReportingPeriod, Section, Task

    result = {}
    for prefix, partnership in (("", ids["partnership"]), ("foreign_", ids["foreign_partnership"])):
        programme = db.session.scalar(sa.select(Programme).where(Programme.partnership_id == partnership))
        first = lambda model, programme=programme: db.session.scalar(  # noqa: E731
            sa.select(model.id).where(model.programme_id == programme.id).order_by(model.id.desc()))
        result.update({prefix + "programme": programme.id, prefix + "task": first(Task), prefix + "goal": first(Goal),
                       prefix + "section": first(Section), prefix + "indicator": first(Indicator),
                       prefix + "period": db.session.scalar(sa.select(ReportingPeriod.id).where(
                           ReportingPeriod.programme_id == programme.id).order_by(ReportingPeriod.position.desc()))})
        folder = app.config["UPLOAD_FOLDER"]
        os.makedirs(folder, exist_ok=True)
        stored = f"{prefix}evidence.pdf"
        with open(os.path.join(folder, stored), "wb") as fh:
            fh.write(b"%PDF-1.4 demo")
        attachment = Attachment(municipality_id=programme.municipality_id, object_type="task",
                                object_id=result[prefix + "task"],
                                    filename="Протокол педсовета.pdf", stored_name=stored,
                                    content_type="application/pdf", size=13,
                                    uploaded_by_id=user("admin@opora.demo").id)
        db.session.add(attachment)
        db.session.flush()
        result[prefix + "attachment"] = attachment.id
    from app.visits.models import Event, LessonObservation, Recommendation, Visit
    from app.visits.services import checklist

    for prefix, partnership in (("", ids["partnership"]), ("foreign_", ids["foreign_partnership"])):
        visit = db.session.scalar(sa.select(Visit).where(Visit.partnership_id == partnership).order_by(Visit.id))
        result[prefix + "visit"] = visit.id
        result[prefix + "observation"] = db.session.scalar(sa.select(LessonObservation.id).where(
            LessonObservation.visit_id == visit.id))
        result[prefix + "recommendation"] = db.session.scalar(sa.select(Recommendation.id).where(
            Recommendation.visit_id == visit.id).order_by(Recommendation.id.desc()))
        result[prefix + "criterion"] = checklist(visit.municipality_id)[0].id
    result["event"] = db.session.scalar(sa.select(Event.id).where(Event.host_id == ids["tutor_school"]))
    result["foreign_event"] = db.session.scalar(sa.select(Event.id).where(
        Event.municipality_id == ids["other_municipality"]))
    from app.teachers.models import DiagnosticSession, RouteStep, Teacher

    for prefix, school_id in (("", ids["school"]), ("foreign_", ids["foreign_school"])):
        teacher = db.session.scalar(sa.select(Teacher).where(Teacher.school_id == school_id).order_by(Teacher.id))
        result[prefix + "teacher"] = teacher.id
        session = db.session.scalar(sa.select(DiagnosticSession).where(DiagnosticSession.school_id == school_id))
        if session is None:
            session = DiagnosticSession(municipality_id=teacher.municipality_id, school_id=school_id,
                                        session_date=date(2026, 10, 1), method="test",
                                        created_by_id=user("admin@opora.demo").id)
            db.session.add(session)
            db.session.flush()
        result[prefix + "session"] = session.id
        step = RouteStep(municipality_id=teacher.municipality_id, teacher_id=teacher.id, kind="course",
                         title="Курсы ПК")
        db.session.add(step)
        db.session.flush()
        result[prefix + "step"] = step.id
    from app.selection.services import criteria as card_criteria
    from app.selection.services import ensure_card_year, ensure_risk_factors

    ensure_card_year(ids["other_municipality"], 2026)  # reads never store a card: the fixture does

    result["card_criterion"] = card_criteria(ids["municipality"], 2026)[0].id
    result["foreign_card_criterion"] = card_criteria(ids["other_municipality"], 2026)[0].id
    result["risk_factor"] = ensure_risk_factors(ids["municipality"], 2026)[0].id
    result["foreign_risk_factor"] = ensure_risk_factors(ids["other_municipality"], 2026)[0].id
    from app.exports.models import ExportJob

    jobs = {}
    for role in ("admin", "curator", "tutor", "school", "observer"):
        u = user(f"{role}@opora.demo")
        job = ExportJob(municipality_id=u.municipality_id, user_id=u.id, kind="summary", status="done",
                        filename="svodka.xlsx", params={"year": 2026})
        db.session.add(job)
        db.session.flush()
        jobs[role] = job.id
        folder = app.config["EXPORT_FOLDER"]
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"{job.id}.xlsx"), "wb") as fh:
            fh.write(b"PK\x03\x04 test")
    result["jobs"] = jobs
    foreign_job = ExportJob(municipality_id=ids["other_municipality"], user_id=ids["foreign_user"], kind="summary",
                            status="done", filename="x.xlsx", params={})
    db.session.add(foreign_job)
    db.session.flush()
    result["foreign_job"] = foreign_job.id
    notes = {}
    for role in ("admin", "curator", "tutor", "school", "observer"):
        u = user(f"{role}@opora.demo")
        n = Notification(municipality_id=u.municipality_id, user_id=u.id, kind="status", text="Проверка", url="/")
        db.session.add(n)
        db.session.flush()
        notes[role] = n.id
    foreign = user("school@raichikhinsk.demo")
    n = Notification(municipality_id=foreign.municipality_id, user_id=foreign.id, kind="status", text="Чужое", url="/")
    db.session.add(n)
    db.session.commit()
    result["notifications"] = notes
    from app.mechanisms.services import catalogue

    result["assessment_criterion"] = catalogue(ids["municipality"])[0][1][0].id
    result["foreign_assessment_criterion"] = catalogue(ids["other_municipality"])[0][1][0].id
    result["foreign_notification"] = n.id
    return result


def _demo_ids(org, user):
    from app.orgs.models import Municipality, Partnership  # noqa: F811

    nazarovo = db.session.scalar(sa.select(Municipality).where(Municipality.code == "nazarovo"))
    other = db.session.scalar(sa.select(Municipality).where(Municipality.code == "raichikhinsk"))
    pavlovskaya = org("Павловская СОШ")
    foreign_school = org("МОБУ СОШ № 22")
    ids = {
        "municipality": nazarovo.id,
        "other_municipality": other.id,
        "school": pavlovskaya.id,
        "tutor_school": org("Преображенская СОШ").id,
        "unrelated_school": org("Сахаптинская СОШ").id,
        "plain_school": org("Гляденская СОШ").id,
        "foreign_school": foreign_school.id,
        "partnership": db.session.scalar(sa.select(Partnership.id).where(Partnership.school_id == pavlovskaya.id)),
        "other_partnership": db.session.scalar(sa.select(Partnership.id).where(
            Partnership.school_id == org("Сережская ООШ").id)),
        "foreign_partnership": db.session.scalar(sa.select(Partnership.id).where(
            Partnership.school_id == foreign_school.id)),
        "user": user("school-deputy@opora.demo").id,
        "foreign_user": user("school@raichikhinsk.demo").id,
    }
    return ids
