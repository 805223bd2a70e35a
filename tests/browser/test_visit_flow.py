"""A tutor logs a visit end to end in the browser; the school team then sees it."""
from playwright.sync_api import expect


def test_log_a_visit_end_to_end(browser, login, live_server):
    tutor = login(browser.new_context().new_page(), "tutor")
    tutor.get_by_role("navigation", name="Главное меню").get_by_role("link", name="Выезды").click()
    tutor.get_by_role("button", name="Новый выезд").click()
    tutor.get_by_label("Сопровождаемая школа").select_option(label="Павловская СОШ")
    tutor.get_by_label("Дата", exact=True).fill("2026-11-20")
    tutor.get_by_label("Формат", exact=True).select_option(label="методический десант с посещением уроков")
    tutor.get_by_label("Цель", exact=True).fill("Посещение уроков математики в 6 классе, помощь молодому педагогу")
    tutor.get_by_role("button", name="Сохранить").click()
    expect(tutor.get_by_role("heading", level=1)).to_contain_text("Павловская СОШ, 20.11.2026")
    # The open recommendations of earlier visits come first.
    expect(tutor.locator("#to-check li").first).to_be_visible()

    tutor.get_by_text("Добавить посещение урока").click()
    tutor.get_by_label("Педагог").select_option(index=1)
    tutor.get_by_label("Предмет", exact=True).fill("математика")
    tutor.get_by_label("Класс", exact=True).fill("6")
    tutor.get_by_label("Тема урока").fill("Сложение дробей с разными знаменателями")
    tutor.get_by_label("Наблюдения").fill("Нет этапа рефлексии; задания одного уровня")
    tutor.get_by_label("Организован этап рефлексии").select_option(label="не проявлено")
    tutor.get_by_role("button", name="Записать").click()
    expect(tutor.locator("#observations")).to_contain_text("Сложение дробей с разными знаменателями")
    expect(tutor.locator("#observations")).to_contain_text("не проявлено")

    tutor.get_by_text("Добавить рекомендацию").click()
    tutor.get_by_label("Рекомендация", exact=True).fill("Включить этап рефлексии в технологические карты уроков")
    tutor.get_by_label("Кому (должность, ФИО)").fill("учитель математики")
    tutor.get_by_label("Срок", exact=True).fill("2026-12-15")
    tutor.get_by_role("button", name="Добавить", exact=True).click()
    expect(tutor.locator("#recommendations")).to_contain_text("Включить этап рефлексии")

    tutor.get_by_role("button", name="Изменить", exact=True).click()
    tutor.get_by_label("Выводы (что установлено)").fill("Уроки построены традиционно, нет рефлексии.")
    tutor.get_by_role("button", name="Сохранить").click()
    tutor.get_by_role("button", name="Отправить школе").click()
    expect(tutor.locator(".flash-success")).to_contain_text("Выезд отправлен")

    school = login(browser.new_context().new_page(), "school")
    school.get_by_role("navigation", name="Главное меню").get_by_role("link", name="Уведомления").click()
    expect(school.get_by_text("Уроки построены традиционно")).to_be_visible()
    school.get_by_text("Уроки построены традиционно").click()  # opens the visit, marks it read
    expect(school.get_by_role("heading", level=1)).to_contain_text("20.11.2026")
    expect(school.locator("#observations")).to_contain_text("Нет этапа рефлексии")
