"""Fixtures: a fresh database per test (copied from a migrated, seeded template),
a client, and `auth.login(role)` for the demo logins.

With TEST_DATABASE_URL (set by tests/run_postgres.py) every test gets its own
PostgreSQL database cloned from a template database; otherwise a SQLite file.
"""
import itertools
import os
import re
import shutil

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db

PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL")  # postgresql+psycopg://postgres@host:port/postgres
FAST_HASH = "pbkdf2:sha256:1000"
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
def app(database_url, tmp_path):
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PASSWORD_HASH_METHOD": FAST_HASH,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "SERVER_NAME": None,
    })
    # No app context stays pushed while requests run: each request must get its own
    # `g` (Flask reuses an outer context, and with it a stale CSRF token).
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
FORM_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(client, url="/account/password"):
    page = client.get(url).get_data(as_text=True)
    match = META_CSRF.search(page) or FORM_CSRF.search(page)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


class Auth:
    def __init__(self, client):
        self.client = client
        self.token = None

    def login(self, role_or_email, password="demo12345"):
        email = role_or_email if "@" in role_or_email else f"{role_or_email}@opora.demo"
        token = csrf_token(self.client, "/login")
        resp = self.client.post("/login", data={"email": email, "password": password, "csrf_token": token})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        self.token = csrf_token(self.client)
        return resp

    def post(self, url, data=None, **kwargs):
        """POST with the CSRF token, as a form in the page would."""
        data = dict(data or {})
        data.setdefault("csrf_token", self.token or csrf_token(self.client))
        return self.client.post(url, data=data, **kwargs)

    def htmx_post(self, url, data=None):
        headers = {"HX-Request": "true", "X-CSRFToken": self.token or csrf_token(self.client)}
        return self.client.post(url, data=data or {}, headers=headers)

    def logout(self):
        return self.post("/logout")


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
    """Ids of the demo objects, looked up by their natural keys."""
    from app.accounts.models import User
    from app.orgs.models import Municipality, Organisation, Partnership

    def org(short):
        return db.session.scalar(sa.select(Organisation).where(Organisation.short_name == short))

    def user(email):
        return db.session.scalar(sa.select(User).where(User.email == email))

    with app.app_context():
        return _demo_ids(org, user)


def _demo_ids(org, user):
    from app.orgs.models import Municipality, Partnership

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


def database_fingerprint(app):
    """Row counts and version sums of every table: equal before and after means nothing was written."""
    with app.app_context():
        return _fingerprint()


def _fingerprint():
    result = {}
    for table in db.metadata.sorted_tables:
        count = db.session.scalar(sa.select(sa.func.count()).select_from(table))
        versions = db.session.scalar(sa.select(sa.func.sum(table.c.version))) if "version" in table.c else None
        result[table.name] = (count, versions)
    db.session.rollback()
    return result
