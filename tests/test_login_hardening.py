"""Logging in: two logins at once never conflict, and throttling cannot be turned against the
owner of an account (issue 13, items 4 and 9)."""
import re
import threading
from datetime import datetime, timedelta

import sqlalchemy as sa
import time_machine

from app.accounts.models import LoginAttempt, User
from app.extensions import db
from helpers import csrf_token

START = datetime(2026, 11, 9, 10, 0, 0)
ATTACKER, OWNER_IP, OFFICE = "198.51.100.7", "203.0.113.20", "192.0.2.50"


def _login(client, email, password, ip="127.0.0.1", token=None):
    token = token or csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token},
                       environ_base={"REMOTE_ADDR": ip})


def _slow_password(app, email, password="demo12345", method="pbkdf2:sha256:60000"):
    """A hash slow enough (tens of ms) that two logins overlap between loading the user and committing."""
    with app.app_context():
        fast = app.config["PASSWORD_HASH_METHOD"]
        app.config["PASSWORD_HASH_METHOD"] = method
        user = db.session.scalar(sa.select(User).where(User.email == email))
        user.set_password(password)
        db.session.commit()
        app.config["PASSWORD_HASH_METHOD"] = fast


def _at_once(*calls):
    """Run the calls in threads released together; their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 — reported by the assertion below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


# --- Two logins at once (item 4) --------------------------------------------------------

def test_two_simultaneous_logins_of_one_account_both_sign_in(app):
    _slow_password(app, "curator@opora.demo")
    with app.app_context():
        version = db.session.scalar(sa.select(User.version).where(User.email == "curator@opora.demo"))
    for _round in range(4):
        clients = [app.test_client(), app.test_client()]
        tokens = [csrf_token(c, "/login") for c in clients]
        answers = _at_once(*[lambda c=c, t=t: _login(c, "curator@opora.demo", "demo12345", token=t)
                             for c, t in zip(clients, tokens)])
        assert [getattr(a, "status_code", a) for a in answers] == [302, 302]
        for c in clients:  # both sessions work
            assert c.get("/").status_code == 200
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "curator@opora.demo"))
        assert user.last_login_at is not None
        assert user.version == version  # a login is not an edit: no version bump, no stale row


def test_double_clicked_login_form_answers_no_500(app):
    """The browser sends the same form twice with the same cookie before the first answer arrives."""
    _slow_password(app, "tutor@opora.demo")
    first = app.test_client()
    token = csrf_token(first, "/login")
    second = app.test_client()
    second.set_cookie("session", first.get_cookie("session").value)
    answers = _at_once(lambda: _login(first, "tutor@opora.demo", "demo12345", token=token),
                       lambda: _login(second, "tutor@opora.demo", "demo12345", token=token))
    assert [getattr(a, "status_code", a) for a in answers] == [302, 302]
    assert first.get("/").status_code == 200 and second.get("/").status_code == 200
    # The second click arriving after the first answer carries the new session, whose CSRF secret
    # is fresh (a planted one must not survive the login): a clean Russian 400, still signed in.
    again = first.post("/login", data={"email": "tutor@opora.demo", "password": "demo12345", "csrf_token": token})
    assert again.status_code == 400 and "Форма устарела" in again.get_data(as_text=True)
    assert first.get("/").status_code == 200
    # The same form sent again from a fresh page while signed in is sent home.
    assert first.post("/login", data={"email": "tutor@opora.demo", "password": "demo12345",
                                      "csrf_token": csrf_token(first)}).status_code == 302


def test_a_login_does_not_conflict_with_an_edit_of_the_user(app, login_as):
    """The admin saves the user's card while the user logs in: neither fails."""
    admin = login_as("admin")
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "observer@opora.demo"))
        user_id, version = user.id, user.version
    page = admin.client.get(f"/admin/users/{user_id}").get_data(as_text=True)
    assert f'value="{version}"' in page
    assert _login(app.test_client(), "observer@opora.demo", "demo12345").status_code == 302
    resp = admin.post(f"/admin/users/{user_id}", data={
        "email": "observer@opora.demo", "full_name": "Наблюдатель Новое Имя", "position": "", "role": "observer",
        "organisation_id": "0", "version": str(version)})
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.get(User, user_id).full_name == "Наблюдатель Новое Имя"


# --- Throttling (item 9) ------------------------------------------------------------------

def test_the_owner_from_another_address_is_not_held_up_by_an_attackers_failures(app):
    client = app.test_client()
    with time_machine.travel(START, tick=False) as clock:
        failures = 0
        while failures < 9:  # the attacker waits out every delay and guesses again
            resp = _login(client, "admin@opora.demo", "guess-123456", ip=ATTACKER)
            assert resp.status_code in (401, 429)
            failures += resp.status_code == 401
            clock.shift(timedelta(seconds=int(resp.headers.get("Retry-After", "0"))))
        assert _login(client, "admin@opora.demo", "demo12345", ip=ATTACKER).status_code == 429
        assert _login(app.test_client(), "admin@opora.demo", "demo12345", ip=OWNER_IP).status_code == 302
        # The owner's success does not wipe the attacker's record for the attacker's address.
        assert _login(client, "admin@opora.demo", "demo12345", ip=ATTACKER).status_code == 429


def test_delays_grow_and_the_right_password_after_the_delay_works(app):
    client = app.test_client()
    free = app.config["LOGIN_MAX_FAILURES"]
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(free):
            assert _login(client, "school@opora.demo", "wrong-pass-1", ip=OFFICE).status_code == 401
        waits = []
        for _ in range(3):
            resp = _login(client, "school@opora.demo", "demo12345", ip=OFFICE)  # even the right password waits
            assert resp.status_code == 429
            page = resp.get_data(as_text=True)
            assert "Слишком много неудачных попыток входа. Попробуйте снова через" in page
            waits.append(int(resp.headers["Retry-After"]))
            assert f"через {waits[-1]} с" in page
            clock.shift(timedelta(seconds=waits[-1] - 1))
            assert _login(client, "school@opora.demo", "wrong-pass-1", ip=OFFICE).status_code == 429  # not yet
            clock.shift(timedelta(seconds=1))
            assert _login(client, "school@opora.demo", "wrong-pass-1", ip=OFFICE).status_code == 401
        assert waits == [2, 4, 8]
        clock.shift(timedelta(seconds=16))
        assert _login(client, "school@opora.demo", "demo12345", ip=OFFICE).status_code == 302
    with app.app_context():  # a success clears the pair's record
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt).where(
            LoginAttempt.email == "school@opora.demo")) == 0


def test_the_delay_is_capped(app):
    with app.app_context():
        past = START - timedelta(minutes=1)
        db.session.add_all([LoginAttempt(email="curator@opora.demo", ip=ATTACKER, created_at=past)
                            for _ in range(40)])
        db.session.commit()
    with time_machine.travel(START, tick=False):
        resp = _login(app.test_client(), "curator@opora.demo", "demo12345", ip=ATTACKER)
    assert resp.status_code == 429
    assert int(resp.headers["Retry-After"]) == app.config["LOGIN_MAX_DELAY_SECONDS"] - 60
    assert "минут" in resp.get_data(as_text=True)


def test_failures_on_one_account_do_not_hold_up_another_from_the_same_address_until_spraying(app):
    client = app.test_client()
    ceiling = app.config["LOGIN_IP_MAX_ACCOUNTS"]
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(app.config["LOGIN_MAX_FAILURES"] + 2):
            _login(client, "curator@opora.demo", "wrong-pass-1", ip=OFFICE)
        assert _login(client, "curator@opora.demo", "demo12345", ip=OFFICE).status_code == 429
        # A colleague behind the same office address is not held up.
        colleague = app.test_client()
        assert _login(colleague, "tutor@opora.demo", "demo12345", ip=OFFICE).status_code == 302
        # Spraying: failures naming many e-mails from one address slow every login from it, briefly.
        for i in range(ceiling - 1):
            clock.shift(timedelta(seconds=1))
            assert _login(client, f"guess{i}@opora.demo", "wrong-pass-1", ip=OFFICE).status_code == 401
        resp = _login(app.test_client(), "observer@opora.demo", "demo12345", ip=OFFICE)
        assert resp.status_code == 429
        wait = int(resp.headers["Retry-After"])
        assert 0 < wait <= app.config["LOGIN_IP_MAX_DELAY_SECONDS"]
        # The same account from elsewhere is not affected; after the short delay it works here too.
        assert _login(app.test_client(), "observer@opora.demo", "demo12345", ip=OWNER_IP).status_code == 302
        clock.shift(timedelta(seconds=wait))
        assert _login(app.test_client(), "observer@opora.demo", "demo12345", ip=OFFICE).status_code == 302


def test_a_burst_of_parallel_guesses_gets_no_more_tries_than_a_sequence(app):
    free = app.config["LOGIN_MAX_FAILURES"]
    clients = [app.test_client() for _ in range(free + 5)]
    tokens = [csrf_token(c, "/login") for c in clients]
    answers = _at_once(*[lambda c=c, t=t: _login(c, "admin@opora.demo", "guess-123456", ip=ATTACKER, token=t)
                         for c, t in zip(clients, tokens)])
    codes = [getattr(a, "status_code", a) for a in answers]
    assert set(codes) <= {401, 429}, codes
    assert codes.count(401) <= free
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt)) == codes.count(401)


def test_old_attempts_are_pruned(app):
    with app.app_context():
        old = START - timedelta(minutes=app.config["LOGIN_WINDOW_MINUTES"] + 1)
        db.session.add_all([LoginAttempt(email=f"x{i}@opora.demo", ip=ATTACKER, created_at=old) for i in range(30)])
        db.session.commit()
    with time_machine.travel(START, tick=False):
        assert _login(app.test_client(), "nobody@opora.demo", "guess-123456", ip=ATTACKER).status_code == 401
    with app.app_context():
        assert db.session.scalars(sa.select(LoginAttempt.email)).all() == ["nobody@opora.demo"]


def test_unknown_emails_cost_the_same_password_check(app, monkeypatch):
    """Timing equality without timing: every kind of refused login runs exactly one
    check_password_hash, against a hash of the same method as real accounts'."""
    import app.accounts.models as models

    with app.app_context():
        db.session.execute(sa.update(User).where(User.email == "observer@opora.demo").values(is_active_account=False))
        db.session.execute(sa.update(User).where(User.email == "tutor@opora.demo").values(password_hash=None))
        db.session.commit()
        method = db.session.scalar(sa.select(User.password_hash).where(User.email == "admin@opora.demo")).split("$")[0]
    calls = []
    real = models.check_password_hash

    def spy(pwhash, password):
        calls.append(pwhash.split("$")[0])
        return real(pwhash, password)

    monkeypatch.setattr(models, "check_password_hash", spy)
    cases = {"wrong password": ("admin@opora.demo", "wrong-pass-1"),
             "unknown e-mail": ("nobody@opora.demo", "demo12345"),
             "no password yet": ("tutor@opora.demo", "demo12345"),
             "disabled": ("observer@opora.demo", "demo12345")}
    for what, (email, password) in cases.items():
        calls.clear()
        resp = _login(app.test_client(), email, password)
        assert resp.status_code == 401, what
        assert "Неверная электронная почта или пароль" in resp.get_data(as_text=True)
        assert calls == [method], (what, calls)


def test_throttled_answer_names_no_account(app):
    """Unknown e-mails are throttled exactly like known ones: a 429 says nothing about existence."""
    with time_machine.travel(START, tick=False):
        answers = {}
        for email in ("admin@opora.demo", "nobody@opora.demo"):
            client = app.test_client()
            for _ in range(app.config["LOGIN_MAX_FAILURES"]):
                _login(client, email, "wrong-pass-1", ip=ATTACKER)
            resp = _login(client, email, "wrong-pass-1", ip=ATTACKER)
            answers[email] = (resp.status_code, resp.headers.get("Retry-After"),
                              re.sub(r'(value|content)="[^"]*"', "", resp.get_data(as_text=True)))
    assert answers["admin@opora.demo"] == answers["nobody@opora.demo"]
    assert answers["admin@opora.demo"][:2] == (429, "2")
