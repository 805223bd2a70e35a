"""The school team records a diagnostic session for a teacher and adds a step to the teacher's route."""
from playwright.sync_api import expect


def test_record_a_session_and_add_a_route_step(browser, login, live_server):
    page = login(browser.new_context().new_page(), "school")
    page.get_by_role("navigation", name="Главное меню").get_by_role("link", name="Педагоги").click()
    page.get_by_text("Новая диагностика").click()
    page.get_by_label("Дата", exact=True).fill("2026-11-20")
    page.get_by_label("Метод").select_option(label="самооценка")
    page.get_by_label("Кто проводил").fill("заместитель директора по УВР")
    page.get_by_role("button", name="Начать").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("20.11.2026")

    teacher = page.locator("table tbody tr a").first
    name = teacher.inner_text()
    teacher.click()
    page.get_by_label("формирование читательской грамотности", exact=True).select_option(label="значительно")
    page.get_by_label("оценивание достижений планируемых результатов, владение оценочными инструментами",
                      exact=True).select_option(label="частично")
    page.get_by_role("button", name="Сохранить результаты").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.locator("#dynamics + table")).to_contain_text("20.11.2026")

    page.get_by_text("Добавить шаг маршрута").click()
    new_step = page.locator("#new-step")
    new_step.get_by_label("Вид").select_option(label="наставничество педагога школы-тьютора")
    new_step.get_by_label("Шаг маршрута").fill("Наставничество: приёмы смыслового чтения")
    new_step.get_by_label("Срок").fill("2027-02-28")
    new_step.get_by_label("Кто проводит").fill("МБОУ «Преображенская СОШ»")
    new_step.get_by_label("Какие дефициты закрывает").select_option(
        label="метапредметные: формирование читательской грамотности")
    page.get_by_role("button", name="Добавить шаг").click()
    route = page.locator("#route + table")
    expect(route).to_contain_text("Наставничество: приёмы смыслового чтения")
    expect(route).to_contain_text("формирование читательской грамотности")
