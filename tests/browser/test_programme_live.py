"""Two people on one programme in two browsers: live updates without reload, and a conflict
instead of a lost edit."""
import re

import sqlalchemy as sa
from playwright.sync_api import expect

from app.extensions import db
from app.programmes.models import Task


def _planned_tasks(app, programme_id, n):
    with app.app_context():
        return db.session.scalars(sa.select(Task.id).where(Task.programme_id == programme_id,
                                                           Task.status == "planned").order_by(Task.id).limit(n)).all()


def test_live_update_and_conflict_between_two_browsers(app, browser, login, live_server, demo):
    pid = demo["programme"]
    first, second = _planned_tasks(app, pid, 2)
    school = login(browser.new_context().new_page(), "school")
    tutor = login(browser.new_context().new_page(), "tutor")
    school.goto(f"{live_server}/programmes/{pid}")
    tutor.goto(f"{live_server}/programmes/{pid}")
    # Each sees the other on the page.
    expect(school.locator("#presence")).to_contain_text("Петрова Елена Николаевна", timeout=5000)
    expect(tutor.locator("#presence")).to_contain_text("Иванов Сергей Александрович", timeout=5000)

    # The tutor starts editing the second task (on its current version).
    tutor.locator(f"#task-{second} a[aria-label^='Изменить']").click()
    title = tutor.locator(f"#task-{second} textarea[name=title]")
    expect(title).to_be_visible()
    tutor.evaluate("window.__sameDocument = true")

    # The school changes the first task's status: the tutor sees it within 3 s, no reload.
    school.locator(f"#task-{first} select[name=status]").select_option("done")
    expect(tutor.locator(f"#task-{first} select[name=status]")).to_have_value("done", timeout=3000)
    assert tutor.evaluate("window.__sameDocument") is True

    # The school changes the task the tutor is editing: the tutor's form stays, with a warning.
    school.locator(f"#task-{second} select[name=status]").select_option("in_progress")
    expect(tutor.locator(f"#task-{second} .changed-warning")).to_be_visible(timeout=3000)
    title.fill("Провести методический десант школы-тьютора с посещением уроков")
    tutor.locator(f"#task-{second} button[type=submit]").click()

    conflict = tutor.locator(f"#task-{second} .conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("Выполняется")  # theirs
    expect(conflict).to_contain_text("Провести методический десант")  # mine, not lost
    with app.app_context():
        task = db.session.get(Task, second)
        assert task.status == "in_progress" and "методический десант" not in task.title

    # The tutor decides to keep their text: saving again applies it over the current version.
    tutor.locator(f"#task-{second} select[name=status]").select_option("in_progress")
    tutor.locator(f"#task-{second} button[type=submit]").click()
    # Saved: the row is back (no form, no conflict) and shows the new title. The conflict view
    # also holds the text ("mine"), so the row's end state is what proves the save.
    expect(tutor.locator(f"#task-{second} .conflict")).to_have_count(0)
    expect(tutor.locator(f"#task-{second} textarea")).to_have_count(0)
    expect(tutor.locator(f"#task-{second}")).to_contain_text("Провести методический десант")
    with app.app_context():
        task = db.session.get(Task, second)
        assert task.status == "in_progress" and task.title.startswith("Провести методический десант")
    # And the school's page follows without a reload.
    expect(school.locator(f"#task-{second}")).to_contain_text("Провести методический десант", timeout=3000)


def test_rows_move_and_change_status_without_forms(app, browser, login, live_server, demo):
    """The row's controls are not in forms: htmx posts them with the page's CSRF header."""
    pid = demo["programme"]
    page = login(browser.new_context().new_page(), "school")
    page.goto(f"{live_server}/programmes/{pid}")
    first_row = page.locator("tr.task").first
    first_id = first_row.get_attribute("id")
    section = page.locator(f"tbody:has(#{first_id})")
    section_id = section.get_attribute("id")
    expect(page.locator(f"#{section_id} tr.task").first).to_have_attribute("id", first_id)
    page.locator(f"#{first_id} button[aria-label='Ниже']").click()
    expect(page.locator(f"#{section_id} tr.task").nth(1)).to_have_attribute("id", first_id)
    task_id = int(first_id.split("-")[1])
    page.locator(f"#{first_id} select[name=status]").select_option("cancelled")
    expect(page.locator(f"#{first_id}")).to_have_class(re.compile(r"status-cancelled"))
    with app.app_context():
        assert db.session.get(Task, task_id).status == "cancelled"
