"""Operations: structured logs with a request id; the audit log of admin actions; ProxyFix."""
import json
import logging

from helpers import FAST_HASH, csrf_token


def test_every_response_has_a_request_id_and_a_json_log_line(client, caplog):
    caplog.set_level(logging.INFO, logger="opora.access")
    resp = client.get("/healthz", headers={"X-Request-Id": "proxy-42"})
    assert resp.headers["X-Request-Id"] == "proxy-42"
    record = next(r for r in caplog.records if r.name == "opora.access")
    from app.logs import JsonFormatter, RequestIdFilter

    RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["path"] == "/healthz" and line["status"] == 200 and "ms" in line
    fresh = client.get("/healthz", headers={"X-Request-Id": "bad id; drop"})
    assert fresh.headers["X-Request-Id"] != "bad id; drop" and len(fresh.headers["X-Request-Id"]) == 16


def test_admin_actions_are_in_the_audit_log(login_as, demo):
    admin = login_as("admin")
    admin.post(f"/admin/users/{demo['user']}/active")
    page = admin.client.get("/admin/audit").get_data(as_text=True)
    table = page.split("<tbody>", 1)[1]
    row = table.split("Кузнецова Марина Юрьевна", 1)[0].rsplit("<tr", 1)[1]
    assert "отключение" in row and "Ковалёва Ирина Петровна" in row
    assert login_as("curator").client.get("/admin/audit").status_code == 403


def test_proxy_fix_counts_login_failures_per_client(database_url):
    from app import create_app
    from app.accounts.models import LoginAttempt
    from app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "PASSWORD_HASH_METHOD": FAST_HASH,
                      "PROXY_FIX": True})
    client = app.test_client()
    token = csrf_token(client, "/login")
    client.post("/login", data={"email": "admin@opora.demo", "password": "wrong-one-1", "csrf_token": token},
                headers={"X-Forwarded-For": "203.0.113.7"})
    with app.app_context():
        assert db.session.scalar(db.select(LoginAttempt.ip).order_by(LoginAttempt.id.desc())) == "203.0.113.7"
