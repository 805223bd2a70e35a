"""Bad input: a clear Russian message and a 4xx, never a 500, never a partial write."""
import pytest
import sqlalchemy as sa

from app.extensions import db
from helpers import csrf_token, database_fingerprint


def test_missing_csrf_token_is_refused_in_russian(app, auth, demo):
    auth.login("admin")
    before = database_fingerprint(app)
    resp = auth.client.post(f"/orgs/{demo['plain_school']}/row", data={"short_name": "x", "version": "1"})
    assert resp.status_code == 400
    assert "нет токена CSRF" in resp.get_data(as_text=True)
    assert database_fingerprint(app) == before


def test_login_without_csrf_is_refused(client):
    resp = client.post("/login", data={"email": "admin@opora.demo", "password": "demo12345"})
    assert resp.status_code == 400 and "CSRF" in resp.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/orgs/abc", "/orgs/-1", "/orgs/99999999999999999999", "/partnerships/0",
                                 "/admin/users/1.5", "/nowhere", "/orgs/3/../../etc/passwd"])
def test_malformed_and_unknown_ids_are_404_in_russian(login_as, url):
    resp = login_as("admin").client.get(url)
    assert resp.status_code == 404
    assert "не найдены" in resp.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/orgs/%00", "/orgs?q=%00", "/visits?format=a%00b"])
def test_nul_bytes_are_refused_at_the_door(login_as, url):
    resp = login_as("admin").client.get(url)
    assert resp.status_code == 400 and "Запрос не понят" in resp.get_data(as_text=True)


def test_overlong_fields_are_422_and_write_nothing(app, login_as, demo):
    admin = login_as("admin")
    before = database_fingerprint(app)
    resp = admin.post("/orgs/new", data={"kind": "school", "name": "Ш" * 5000, "short_name": "к" * 500})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "Значение не должно содержать более 120 символов." in html  # Russian, not WTForms' English
    assert "Field cannot be longer" not in html
    resp = admin.htmx_post(f"/orgs/{demo['plain_school']}/row", {"short_name": "к" * 121, "version": "1"})
    assert resp.status_code == 422
    assert database_fingerprint(app) == before


@pytest.mark.parametrize("payload", [
    {"kind": "planet", "name": "X", "short_name": "X"},
    {"kind": "school", "name": "X", "short_name": "X", "students": "-5"},
    {"kind": "school", "name": "X", "short_name": "X", "students": "1e309"},
    {"kind": "school", "name": "X", "short_name": "X", "students": "девять"},
    {"kind": "school", "name": "\x01\x02", "short_name": "\u202e\u0007"},
    {"kind": "school", "name": "\x00\x01\x02", "short_name": "\u202e\u0000"},
])
def test_hostile_organisation_values(app, login_as, payload):
    admin = login_as("admin")
    before = database_fingerprint(app)
    resp = admin.post("/orgs/new", data=payload)
    # Control characters are refused by the form (422); NUL already at the door (400).
    assert resp.status_code == (400 if "\x00" in "".join(payload.values()) else 422), resp.status_code
    assert database_fingerprint(app) == before


@pytest.mark.parametrize("field,value", [("agreement_date", "2025-02-30"), ("start_year", "99999"),
                                          ("start_year", "-1"), ("curator_id", "999999"), ("school_id", "abc")])
def test_impossible_partnership_values(app, login_as, demo, field, value):
    admin = login_as("admin")
    data = {"school_id": demo["plain_school"], "tutor_school_id": demo["tutor_school"], "curator_id": "1",
            "start_year": "2026", field: value}
    before = database_fingerprint(app)
    resp = admin.post("/partnerships/new", data=data)
    assert resp.status_code == 422
    assert database_fingerprint(app) == before


def test_other_municipality_ids_in_forms_are_refused(app, login_as, demo):
    admin = login_as("admin")
    before = database_fingerprint(app)
    data = {"school_id": demo["foreign_school"], "tutor_school_id": demo["tutor_school"], "curator_id": "1",
            "start_year": "2026"}
    assert admin.post("/partnerships/new", data=data).status_code == 422
    data = {"email": "x@opora.demo", "full_name": "X", "role": "school", "organisation_id": demo["foreign_school"],
            "password": "Password12345"}
    assert admin.post("/admin/users/new", data=data).status_code == 422
    assert database_fingerprint(app) == before


def test_unknown_language_is_refused(auth):
    auth.login("school")
    resp = auth.post("/language/xx")
    assert resp.status_code == 303


def test_error_pages_are_russian(client):
    assert "Страница или объект не найдены" in client.get("/no-such-page").get_data(as_text=True)


def test_internal_error_page(app, login_as):
    app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)
    from app.dashboard import routes

    original = routes.services.municipality_counts
    routes.services.municipality_counts = lambda *_: 1 / 0
    try:
        resp = login_as("admin").client.get("/")
    finally:
        routes.services.municipality_counts = original
    assert resp.status_code == 500
    assert "Внутренняя ошибка" in resp.get_data(as_text=True)
    assert "ZeroDivisionError" not in resp.get_data(as_text=True)


def test_forbidden_page_is_russian(login_as):
    resp = login_as("observer").client.get("/admin/users")
    assert resp.status_code == 403 and "Недостаточно прав" in resp.get_data(as_text=True)


def test_huge_request_body_is_413(app, login_as):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    resp = login_as("admin").post("/orgs/new", data={"name": "x" * 5000})
    assert resp.status_code in (400, 413)


def test_healthz_reports_database(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.json == {"status": "ok", "database": "ok",
                                                       "database_ms": resp.json["database_ms"]}


def test_healthz_and_pages_say_503_when_the_database_is_down(app, login_as):
    auth = login_as("admin")
    good_url = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        db.engine.dispose()
    broken = sa.create_engine("sqlite:////nonexistent-dir/x.db")
    with app.app_context():
        engines = db._app_engines[app]
        saved = engines[None]
        engines[None] = broken
    try:
        resp = app.test_client().get("/healthz")
        assert resp.status_code == 503 and resp.json["database"] == "unavailable"
        page = auth.client.get("/orgs")
        assert page.status_code == 503 and "нет связи с базой данных" in page.get_data(as_text=True)
    finally:
        with app.app_context():
            engines[None] = saved
    assert app.test_client().get("/healthz").status_code == 200  # recovers by itself
    assert good_url


def test_security_headers(client):
    resp = client.get("/login")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert "<script>" not in resp.get_data(as_text=True)  # no inline script anywhere in the layout


def test_csrf_token_from_another_session_is_refused(app, login_as, demo):
    alice, bob = login_as("admin"), login_as("admin")
    resp = alice.client.post(f"/orgs/{demo['plain_school']}/row", data={"csrf_token": bob.token, "short_name": "x"})
    assert resp.status_code == 400
    assert csrf_token(alice.client)
