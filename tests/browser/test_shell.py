import re

import pytest
from playwright.sync_api import expect

HOME_HEADINGS = {
    "admin": "Управление образования: Назаровский район",
    "curator": "Мои школы",
    "tutor": "Сопровождаемые школы",
    "school": "МБОУ «Павловская СОШ»",
    "observer": "Обзор муниципалитета: Назаровский район",
}


@pytest.mark.parametrize("role", list(HOME_HEADINGS))
def test_each_role_logs_in_and_sees_its_home(page, login, role):
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    login(page, role)
    expect(page.get_by_role("heading", level=1)).to_have_text(HOME_HEADINGS[role])
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    assert not errors, errors  # no CSP violations, no script errors


def test_wrong_password_shows_russian_message(page, live_server):
    page.goto(f"{live_server}/login")
    page.get_by_label("Электронная почта").fill("admin@opora.demo")
    page.get_by_label("Пароль").fill("не тот пароль")
    page.get_by_role("button", name="Войти").click()
    expect(page.get_by_text("Неверная электронная почта или пароль.")).to_be_visible()


def test_admin_edits_a_school_inline_with_htmx(page, login, live_server):
    login(page, "admin")
    page.get_by_role("navigation", name="Главное меню").get_by_role("link", name="Школы", exact=True).click()
    page.wait_for_function("() => window.htmx !== undefined")
    row = page.locator("tr", has_text="Гляденская СОШ")
    row.get_by_role("link", name="Изменить").click()
    field = page.get_by_label("Руководитель")
    expect(field).to_be_visible()
    field.fill("Семёнова Людмила Анатольевна")
    page.locator("#org-results").get_by_role("button", name="Сохранить").click()
    expect(page.locator("tr", has_text="Гляденская СОШ")).to_contain_text("Семёнова Людмила Анатольевна")
    assert page.url.endswith("/orgs")  # swapped in place, no navigation
    page.reload()
    expect(page.locator("tr", has_text="Гляденская СОШ")).to_contain_text("Семёнова Людмила Анатольевна")


def test_live_search_filters_without_reload(page, login):
    login(page, "admin")
    page.get_by_role("navigation", name="Главное меню").get_by_role("link", name="Школы", exact=True).click()
    page.wait_for_function("() => window.htmx !== undefined")  # scripts are deferred
    page.get_by_label("Поиск по названию").fill("крут")
    expect(page.locator("#org-results tbody tr")).to_have_count(1)
    expect(page.locator("#org-results")).to_contain_text("Крутоярская")
    expect(page).to_have_url(re.compile(r"q=%D0%BA%D1%80%D1%83%D1%82|q=крут"))


def test_keyboard_only_login(page, live_server):
    page.goto(f"{live_server}/login")
    page.keyboard.type("school@opora.demo")  # the e-mail field has the focus on load
    page.keyboard.press("Tab")
    page.keyboard.type("demo12345")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Павловская")


def test_logout(page, login, live_server):
    login(page, "tutor")
    page.locator("details.dropdown summary").click()
    page.get_by_role("button", name="Выйти").click()
    expect(page.get_by_text("Вы вышли из системы.")).to_be_visible()
    page.goto(f"{live_server}/")
    expect(page).to_have_url(re.compile(r"/login"))
