"""Accounts get no password from a file: one-time links to set one, or a temporary password
that must be changed at the first login (issue 13, item 2)."""
import io
import re
from datetime import timedelta

import openpyxl
import sqlalchemy as sa
import time_machine

from app.accounts.models import SetupLink, User
from app.activity.labels import unregistered
from app.activity.models import ActivityEvent
from app.extensions import db
from app.timeutil import utcnow
from helpers import FORM_CSRF, csrf_token, database_fingerprint, xlsx

LINK = re.compile(r'value="(http://localhost/account/setup/([A-Za-z0-9_-]+))"')


def _import(admin, buffer):
    return admin.post("/imports/users", data={"file": (buffer, "users.xlsx")}, content_type="multipart/form-data")


def _user(app, email):
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        db.session.expunge_all()
        return user


def _login(client, email, password):
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": csrf_token(client, "/login")})


def _set_password(client, path, password="MyOwnPassword7", repeat=None):
    page = client.get(path)
    token = FORM_CSRF.search(page.get_data(as_text=True)).group(1)
    return client.post(path, data={"new": password, "repeat": repeat or password, "csrf_token": token})


def _history(app, user_id):
    with app.app_context():
        return db.session.scalars(sa.select(ActivityEvent).where(
            ActivityEvent.object_type == "user", ActivityEvent.object_id == user_id).order_by(ActivityEvent.id)).all()


HEADERS = ("Электронная почта", "ФИО", "Должность", "Роль", "Организация")


def test_the_users_template_carries_no_password_and_no_example_row(login_as):
    admin = login_as("admin")
    book = openpyxl.load_workbook(io.BytesIO(admin.client.get("/imports/users/template.xlsx").data))
    data = book.worksheets[0]
    assert [c.value for c in data[1]] == list(HEADERS)
    assert data.max_row == 1  # nothing but the headers: an example can never become an account
    notes = " ".join(str(c.value) for row in book["Инструкция"].iter_rows() for c in row if c.value)
    assert "Пароль" not in [c.value for c in data[1]] and "ссылку" in notes


def test_a_file_with_the_old_password_column_is_refused_as_a_whole(app, login_as):
    admin = login_as("admin")
    before = database_fingerprint(app)
    resp = _import(admin, xlsx(HEADERS + ("Пароль",), [
        ("ivanova@school.ru", "Иванова Анна Сергеевна", "заместитель директора", "школа", "Павловская СОШ",
         "Vremenny2026")]))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Ничего не загружено" in page
    assert "столбец «Пароль»" in page and "Электронная почта; ФИО; Должность; Роль; Организация" in page
    assert database_fingerprint(app) == before
    assert _login(app.test_client(), "ivanova@school.ru", "Vremenny2026").status_code == 401
    # The old example kept under the new headers is not an account either.
    before = database_fingerprint(app)
    resp = _import(admin, xlsx(HEADERS, [("ivanova@school.ru", "Иванова Анна Сергеевна", "заместитель директора",
                                               "школа", "Павловская СОШ")]))
    assert resp.status_code == 422 and "пример из старого шаблона" in resp.get_data(as_text=True)
    assert database_fingerprint(app) == before


def test_imported_accounts_have_no_password_and_get_one_time_links(app, login_as):
    admin = login_as("admin")
    resp = _import(admin, xlsx(HEADERS, [
        ("petrova@school.ru", "Петрова Мария Ивановна", "учитель", "школа", "Павловская СОШ"),
        ("orlov@school.ru", "Орлов Пётр Андреевич", "", "куратор", "")]))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Загружено пользователей: 2" in page and "Ссылки для входа" in page
    links = LINK.findall(page)
    assert len(links) == 2
    for email, name in (("petrova@school.ru", "Петрова Мария Ивановна"), ("orlov@school.ru", "Орлов Пётр Андреевич")):
        assert email in page and name in page
        user = _user(app, email)
        assert user.password_hash is None and not user.must_change_password
        for guess in ("", "Vremenny2026", "demo12345"):
            assert _login(app.test_client(), email, guess).status_code in (401, 422)
    # The copy-friendly list: one line per person, tab-separated.
    listing = re.search(r'<textarea id="setup-links-all"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    assert "Петрова Мария Ивановна\tpetrova@school.ru\thttp://localhost/account/setup/" in listing
    with app.app_context():  # only digests are stored
        stored = db.session.scalars(sa.select(SetupLink.token_hash)).all()
        assert len(stored) == 2 and not {token for _url, token in links} & set(stored)
        expiry = db.session.scalar(sa.select(SetupLink.expires_at).limit(1))
        assert timedelta(days=6, hours=23) < expiry - utcnow() <= timedelta(days=7)


def test_a_link_sets_the_password_signs_in_and_works_once(app, login_as):
    admin = login_as("admin")
    page = _import(admin, xlsx(HEADERS, [("sokolova@school.ru", "Соколова Вера Павловна", "", "школа",
                                               "Павловская СОШ")])).get_data(as_text=True)
    (url, _token), = LINK.findall(page)
    path = url.replace("http://localhost", "")
    before = _user(app, "sokolova@school.ru")
    person = app.test_client()
    form = person.get(path)
    assert form.status_code == 200 and "Соколова Вера Павловна" in form.get_data(as_text=True)
    resp = _set_password(person, path, "short", "short")
    assert resp.status_code == 422 and "не короче 10 символов" in resp.get_data(as_text=True)
    resp = _set_password(person, path, "MyOwnPassword7")
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    assert person.get("/").status_code == 200  # signed in
    after = _user(app, "sokolova@school.ru")
    assert after.password_hash and after.session_token != before.session_token  # a fresh session token
    # Used: a clear Russian page with a 4xx, and the password is not changed again.
    again = app.test_client().get(path)
    assert again.status_code == 410 and "уже использована" in again.get_data(as_text=True)
    assert _login(app.test_client(), "sokolova@school.ru", "MyOwnPassword7").status_code == 302
    # History in words.
    events = _history(app, after.id)
    assert unregistered(events) == set()
    audit = admin.client.get("/admin/audit").get_data(as_text=True)
    assert "Выдана ссылка для входа, действует до" in audit


def test_an_expired_or_unknown_link_is_refused_in_russian(app, login_as):
    admin = login_as("admin")
    page = _import(admin, xlsx(HEADERS, [("lebedev@school.ru", "Лебедев Иван", "", "наблюдатель", "")]))
    (url, _token), = LINK.findall(page.get_data(as_text=True))
    path = url.replace("http://localhost", "")
    with time_machine.travel(utcnow() + timedelta(days=8)):
        resp = app.test_client().get(path)
        assert resp.status_code == 410 and "Срок действия ссылки истёк" in resp.get_data(as_text=True)
    resp = app.test_client().get("/account/setup/not-a-real-token")
    assert resp.status_code == 404 and "Ссылка недействительна" in resp.get_data(as_text=True)
    assert _user(app, "lebedev@school.ru").password_hash is None


def test_a_fresh_link_from_the_users_page_replaces_the_older(app, login_as):
    admin = login_as("admin")
    page = _import(admin, xlsx(HEADERS, [("gromova@school.ru", "Громова Ольга", "", "наблюдатель", "")]))
    (old_url, _t), = LINK.findall(page.get_data(as_text=True))
    user = _user(app, "gromova@school.ru")
    card = admin.client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "Пароль не задан" in card and "Выданная ссылка действует до" in card and "Выдать ссылку для входа" in card
    resp = admin.post(f"/admin/users/{user.id}/link")
    assert resp.status_code == 200
    (new_url, _t), = LINK.findall(resp.get_data(as_text=True))
    assert new_url != old_url
    assert app.test_client().get(old_url.replace("http://localhost", "")).status_code == 404
    assert app.test_client().get(new_url.replace("http://localhost", "")).status_code == 200
    assert login_as("curator").post(f"/admin/users/{user.id}/link").status_code == 403


def test_admin_created_user_without_password_gets_a_link(app, login_as):
    admin = login_as("admin")
    resp = admin.post("/admin/users/new", data={"email": "belova@opora.demo", "full_name": "Белова Нина",
                                                "position": "", "role": "observer", "organisation_id": "0",
                                                "password": ""})
    assert resp.status_code == 200
    (url, _t), = LINK.findall(resp.get_data(as_text=True))
    assert _user(app, "belova@opora.demo").password_hash is None
    person = app.test_client()
    assert _set_password(person, url.replace("http://localhost", "")).status_code == 302
    assert person.get("/").status_code == 200


def _assert_forced_to_change(app, email, temporary):
    person = app.test_client()
    resp = _login(person, email, temporary)
    assert resp.status_code == 302 and resp.headers["Location"] == "/account/password"
    page = person.get("/account/password").get_data(as_text=True)
    assert "временным паролем" in page
    for url in ("/", "/programmes", "/orgs"):  # no other page until the password is the user's own
        resp = person.get(url)
        assert resp.status_code == 302 and resp.headers["Location"] == "/account/password", url
    hx = person.get("/orgs", headers={"HX-Request": "true"})
    assert hx.headers["HX-Redirect"] == "/account/password"
    token = csrf_token(person)
    assert person.post("/language/en", data={"csrf_token": token, "next": "/account/password"}).status_code == 302
    assert person.post("/language/ru", data={"csrf_token": token}).status_code == 302
    resp = person.post("/account/password", data={"current": temporary, "new": "MyOwnPassword7",
                                                   "repeat": "MyOwnPassword7", "csrf_token": token})
    assert resp.status_code == 302
    assert person.get("/").status_code == 200
    user = _user(app, email)
    assert not user.must_change_password
    return user, person


def test_a_temporary_password_from_the_admin_must_be_changed_at_first_login(app, login_as):
    admin = login_as("admin")
    with app.app_context():
        school_id = db.session.scalar(sa.text("SELECT id FROM organisation WHERE short_name = 'Павловская СОШ'"))
    resp = admin.post("/admin/users/new", data={"email": "kozlova@opora.demo", "full_name": "Козлова Дарья",
                                                "position": "", "role": "school", "organisation_id": str(school_id),
                                                "password": "Temporary2026"})
    assert resp.status_code == 302
    assert _user(app, "kozlova@opora.demo").must_change_password
    user, person = _assert_forced_to_change(app, "kozlova@opora.demo", "Temporary2026")
    # Logout is allowed with a temporary password too; and a reset by the admin is temporary again.
    assert admin.post(f"/admin/users/{user.id}/password", data={"reset-password": "Another2026x"}).status_code == 302
    assert _user(app, "kozlova@opora.demo").must_change_password
    _assert_forced_to_change(app, "kozlova@opora.demo", "Another2026x")
    events = _history(app, user.id)
    assert unregistered(events) == set()
    assert [e.action for e in events] == ["create", "password", "reset_password", "password"]
    audit = admin.client.get("/admin/audit").get_data(as_text=True)
    assert "Сменить пароль при входе" in audit and "must_change_password" not in audit


def test_logout_works_with_a_temporary_password(app, login_as):
    admin = login_as("admin")
    user = _user(app, "observer@opora.demo")
    assert admin.post(f"/admin/users/{user.id}/password", data={"reset-password": "Temporary2026"}).status_code == 302
    person = app.test_client()
    _login(person, "observer@opora.demo", "Temporary2026")
    assert person.post("/logout", data={"csrf_token": csrf_token(person)}).status_code == 302
    assert person.get("/").headers["Location"].startswith("/login")
