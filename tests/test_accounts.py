import re

import sqlalchemy as sa

from app.accounts.models import LoginAttempt, User
from app.extensions import db
from helpers import FAST_HASH, csrf_token


def _login(client, email, password):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def test_login_page_is_russian(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="ru">' in page and "Вход в Опору" in page and "Пароль" in page


def test_each_demo_login_reaches_its_home(login_as):
    headings = {"admin": "Управление образования", "curator": "Мои школы", "tutor": "Сопровождаемые школы",
                "school": "Павловская", "observer": "Обзор муниципалитета"}
    for role, heading in headings.items():
        page = login_as(role).client.get("/").get_data(as_text=True)
        assert heading in page, role


def test_wrong_password_and_unknown_user_get_the_same_russian_message(client):
    for email, password in (("admin@opora.demo", "wrong-password1"), ("nobody@opora.demo", "demo12345")):
        resp = _login(client, email, password)
        assert resp.status_code == 401
        assert "Неверная электронная почта или пароль" in resp.get_data(as_text=True)


def test_throttling_state_lives_in_the_database(app, client):
    limit = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(limit):
        assert _login(client, "curator@opora.demo", "bad-password-1").status_code == 401
    resp = _login(client, "curator@opora.demo", "demo12345")
    assert resp.status_code == 429 and "Слишком много неудачных попыток" in resp.get_data(as_text=True)
    assert resp.headers["Retry-After"]
    # A second app (another process behind the balancer) on the same database refuses too.
    from app import create_app

    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "PASSWORD_HASH_METHOD": FAST_HASH})
    assert _login(other.test_client(), "curator@opora.demo", "demo12345").status_code == 429
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt)) == limit
    # Other accounts are not affected.
    assert _login(client, "tutor@opora.demo", "demo12345").status_code == 302


def test_session_cookie_flags(client):
    resp = _login(client, "admin@opora.demo", "demo12345")
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secure_cookie_when_configured(monkeypatch, database_url):
    from app import create_app

    monkeypatch.setenv("OPORA_SECURE_COOKIES", "1")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "PASSWORD_HASH_METHOD": FAST_HASH})
    resp = _login(app.test_client(), "admin@opora.demo", "demo12345")
    assert "Secure" in resp.headers["Set-Cookie"]


def test_logout_invalidates_the_old_session_cookie(app, auth):
    auth.login("school")
    stolen = auth.client.get_cookie("session").value
    assert auth.logout().status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/").status_code == 302  # sent to the login page


def test_logout_is_post_only(auth):
    auth.login("school")
    assert auth.client.get("/logout").status_code == 405


def test_password_change(app, auth):
    auth.login("tutor")
    resp = auth.post("/account/password", data={"current": "wrong", "new": "short", "repeat": "short"})
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "не короче 10 символов" in page
    resp = auth.post("/account/password", data={"current": "wrong-one-123", "new": "NewPassword2026",
                                               "repeat": "NewPassword2026"})
    assert resp.status_code == 422 and "Текущий пароль введён неверно" in resp.get_data(as_text=True)
    resp = auth.post("/account/password", data={"current": "demo12345", "new": "NewPassword2026",
                                               "repeat": "NewPassword2026"})
    assert resp.status_code == 302
    assert auth.client.get("/").status_code == 200  # still signed in after the change
    fresh = app.test_client()
    assert _login(fresh, "tutor@opora.demo", "demo12345").status_code == 401
    assert _login(fresh, "tutor@opora.demo", "NewPassword2026").status_code == 302


def test_admin_creates_resets_and_deactivates_users(app, auth, demo):
    auth.login("admin")
    data = {"email": "new.teacher@opora.demo", "full_name": "Новикова Анна Петровна", "position": "учитель",
            "role": "school", "organisation_id": str(demo["school"]), "password": "StartPassword1"}
    assert auth.post("/admin/users/new", data=data).status_code == 302
    # Duplicate e-mail is refused in Russian.
    resp = auth.post("/admin/users/new", data=data)
    assert resp.status_code == 422 and "уже есть" in resp.get_data(as_text=True)
    # A school user must belong to a school.
    bad = dict(data, email="x@opora.demo", organisation_id="0")
    assert "выберите школу" in auth.post("/admin/users/new", data=bad).get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "new.teacher@opora.demo"))
        user_id = user.id
    assert _login(app.test_client(), "new.teacher@opora.demo", "StartPassword1").status_code == 302
    assert auth.post(f"/admin/users/{user_id}/password", data={"reset-password": "ResetPassword9"}).status_code == 302
    assert _login(app.test_client(), "new.teacher@opora.demo", "ResetPassword9").status_code == 302
    # Deactivation: cannot log in, but the account and its history stay.
    assert auth.post(f"/admin/users/{user_id}/active").status_code == 302
    assert _login(app.test_client(), "new.teacher@opora.demo", "ResetPassword9").status_code == 401
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None and not user.is_active
    resp = auth.client.get("/admin/users?q=новикова", headers={"HX-Request": "true"})
    page = resp.get_data(as_text=True)
    assert "<html" not in page and "HX-Request" in resp.headers["Vary"]
    assert "Новикова" in page and "отключён" in page and "Ковалёва" not in page


def test_admin_cannot_deactivate_themselves(app, auth):
    auth.login("admin")
    with app.app_context():
        me = db.session.scalar(sa.select(User).where(User.email == "admin@opora.demo"))
    assert auth.post(f"/admin/users/{me.id}/active").status_code == 422


def test_open_redirect_is_ignored(client):
    token = csrf_token(client, "/login")
    resp = client.post("/login", data={"email": "admin@opora.demo", "password": "demo12345",
                                       "csrf_token": token, "next": "//evil.example/x"})
    assert resp.headers["Location"] == "/"


def test_login_redirects_back_to_the_requested_page(client):
    resp = client.get("/partnerships")
    assert "next=" in resp.headers["Location"]
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    nxt = re.search(r'name="next" type="hidden" value="([^"]+)"', page).group(1)
    resp = client.post("/login", data={"email": "admin@opora.demo", "password": "demo12345",
                                       "csrf_token": token, "next": nxt})
    assert resp.headers["Location"].startswith("/partnerships")
