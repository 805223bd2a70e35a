"""History, the change feed, the audit log and notifications speak people's words: labels,
names and dates, never field names, codes or ids — in Russian and in English (issue 12,
items 3 and 4). The diagnostic card's columns are headed by the criteria's names."""
import io
import re
from datetime import date

import openpyxl
import pytest
import sqlalchemy as sa
import time_machine

from app.accounts.models import User
from app.activity.labels import unregistered
from app.activity.models import ActivityEvent
from app.collab.models import Notification
from app.extensions import db
from app.orgs.models import Organisation
from app.programmes.models import Indicator, Section, Task
from app.selection.models import CardScore
from app.selection.services import criteria

# What must never reach a person where a label, a name or a word belongs.
RAW = ("owner_id", "section_id", "status", "direction", "is_low_results", "cardscore", "due_date",
       "planned", "done", "lower", "in_progress", "True", "False", "None")


def _blocks(html, opening, tag):
    """The markup of every element that starts with `opening` (nested tags of the same name
    included), as text without tags: what a reader sees there."""
    found = []
    for start in [m.start() for m in re.finditer(re.escape(opening), html)]:
        depth, pos = 0, start
        for m in re.finditer(rf"<(/?){tag}\b[^>]*>", html[start:]):
            depth += -1 if m.group(1) else 1
            if depth == 0:
                pos = start + m.end()
                break
        found.append(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html[start:pos])))
    assert found, f"no {opening} on the page"
    return " ".join(found)


def history_text(html):
    return _blocks(html, '<ul class="history">', "ul")


def _assert_readable(text, *ids, words=RAW):
    for word in words:
        assert not re.search(rf"\b{word}\b", text), f"{word!r} shown in: {text[:3000]}"
    # Times of day («7:06 AM», «02:10») are not ids: the check must not depend on the clock.
    text = re.sub(r"\b\d{1,2}:\d{2}(\s?[AP]M)?", " ", text)
    for number in ids:
        assert not re.search(rf"(?<![\d.,/]){number}(?![\d.,/])", text), f"bare id {number} in: {text[:3000]}"


@pytest.fixture
def edits(app, login_as, demo):
    """Edits made through HTTP by the people who make them: a task's section, owner, due date
    and status (tutor), an indicator's direction (tutor), a school's ШНОР flag (admin) and a
    card score (admin)."""
    tutor, admin = login_as("tutor"), login_as("admin")
    with app.app_context():
        task = db.session.scalar(sa.select(Task).where(Task.programme_id == demo["programme"],
                                                       Task.status == "planned").order_by(Task.id))
        section = db.session.scalar(sa.select(Section).where(Section.programme_id == demo["programme"],
                                                             Section.id != task.section_id).order_by(Section.id))
        from app.programmes.models import Programme
        from app.programmes.services import participants

        # Someone of the school's team who is not the owner yet: the change is from «—» to a name.
        owner = next(u for u in participants(db.session.get(Programme, demo["programme"]))
                     if u.role == "school" and u.id != task.owner_id)
        task.owner_id = None
        db.session.commit()
        before = db.session.scalar(sa.select(sa.func.max(ActivityEvent.id))) or 0
        indicator = db.session.scalar(sa.select(Indicator).where(Indicator.programme_id == demo["programme"],
                                                                 Indicator.direction == "higher")
                                      .order_by(Indicator.id))
        school = db.session.get(Organisation, demo["plain_school"])
        ids = dict(task=task.id, section=section.id, section_title=section.title, owner=owner.id,
                   owner_name=owner.full_name, owner_email=owner.email, indicator=indicator.id, school=school.id,
                   school_version=school.version, school_name=school.short_name)
        ind_data = {"name": indicator.name, "unit": indicator.unit, "direction": "lower", "source": indicator.source,
                    "baseline": "" if indicator.baseline is None else str(indicator.baseline),
                    "baseline_date": indicator.baseline_date.isoformat() if indicator.baseline_date else "",
                    "version": indicator.version}
        task_data = {"section_id": section.id, "title": task.title, "status": "done", "owner_id": owner.id,
                     "responsible": task.responsible, "expected_result": task.expected_result,
                     "due_date": "2027-03-15", "evidence": "Протокол", "version": task.version}
        criterion = criteria(school.municipality_id, 2026)[0]
        ids.update(criterion=criterion.id, criterion_name=criterion.short_name, criterion_code=criterion.code)
        score = db.session.scalar(sa.select(CardScore).where(CardScore.criterion_id == criterion.id,
                                                             CardScore.school_id == school.id))
        score_data = {"criterion": criterion.id, "school": school.id,
                      "points": "0" if score and score.points else "1", "version": score.version if score else 0}
    assert tutor.htmx_post(f"/tasks/{ids['task']}", task_data).status_code == 200
    assert tutor.htmx_post(f"/indicators/{ids['indicator']}/edit", ind_data).status_code == 200
    resp = admin.htmx_post(f"/orgs/{ids['school']}/row", {"short_name": ids["school_name"],
                                                         "director": "Семёнова Л. А.", "is_low_results": "y",
                                                         "version": ids["school_version"]})
    assert resp.status_code == 200
    resp = admin.htmx_post("/selection/2026/scores", score_data)
    assert resp.status_code == 200
    with app.app_context():
        events = db.session.scalars(sa.select(ActivityEvent)).all()
        assert unregistered(events) == set()  # every field any history row holds has a label
        new = [e for e in events if e.id > before]
        assert len(new) == 4 and all(e.params and not e.summary for e in new)  # kind + parameters, no frozen text
    return ids, tutor, admin, login_as(ids["owner_email"])


def _english(user):
    assert user.post("/language/en", data={"next": "/"}).status_code == 302


def test_history_in_russian_shows_labels_names_and_dates(app, edits, demo):
    ids, tutor, admin, school = edits
    task_page = history_text(tutor.client.get(f"/tasks/{ids['task']}").get_data(as_text=True))
    assert "Статус" in task_page and "Выполнено" in task_page and "Запланировано" in task_page
    assert f"Исполнитель: — → {ids['owner_name']}" in task_page
    assert "Раздел" in task_page and ids["section_title"][:40] in task_page
    assert "Срок" in task_page and "15.03.2027" in task_page
    _assert_readable(task_page, ids["owner"], ids["section"])

    programme = tutor.client.get(f"/programmes/{demo['programme']}").get_data(as_text=True)
    feed = history_text(programme)  # «Последние изменения»
    assert "Направление" in feed and "чем меньше, тем лучше" in feed and "Выполнено" in feed
    _assert_readable(feed, ids["owner"], ids["section"], ids["indicator"])
    full = history_text(tutor.client.get(f"/programmes/{demo['programme']}/history").get_data(as_text=True))
    assert ids["owner_name"] in full and "чем больше, тем лучше" in full
    _assert_readable(full, ids["owner"], ids["section"], ids["indicator"])

    org = history_text(admin.client.get(f"/orgs/{ids['school']}").get_data(as_text=True))
    assert "ШНОР: нет → да" in org
    _assert_readable(org, ids["school"])

    audit = _blocks(admin.client.get("/admin/audit").get_data(as_text=True), "<tbody>", "tbody")
    assert "Организация" in audit and "ШНОР: нет → да" in audit
    assert "Балл диагностической карты" in audit and ids["criterion_name"] in audit
    assert ids["criterion_code"] not in audit
    _assert_readable(audit, ids["school"])

    # The new owner was told, in words: who assigned what.
    notes = _blocks(school.client.get("/notifications").get_data(as_text=True), '<ul class="notifications"', "ul")
    assert "назначает вам мероприятие" in notes
    _assert_readable(notes, ids["task"])


def test_history_in_english_keeps_the_structure_without_codes(app, edits, demo):
    ids, tutor, admin, school = edits
    _english(tutor)
    _english(admin)
    task_page = history_text(tutor.client.get(f"/tasks/{ids['task']}").get_data(as_text=True))
    # These labels already have English translations in the catalogue.
    assert "Status" in task_page and "Done" in task_page and "Section" in task_page
    assert "Assignee" in task_page and ids["owner_name"] in task_page
    assert "3/15/27" in task_page  # the date as the English locale writes it
    _assert_readable(task_page, ids["owner"], ids["section"])
    feed = history_text(tutor.client.get(f"/programmes/{demo['programme']}").get_data(as_text=True))
    # "lower" is the code and also an English word: the label must read in full.
    assert "Direction: higher is better → lower is better" in feed
    _assert_readable(feed, ids["owner"], ids["section"], ids["indicator"], words=set(RAW) - {"lower"})
    org = history_text(admin.client.get(f"/orgs/{ids['school']}").get_data(as_text=True))
    assert "LRS" in org and "yes" in org
    _assert_readable(org, ids["school"])
    audit = _blocks(admin.client.get("/admin/audit").get_data(as_text=True), "<tbody>", "tbody")
    assert "Points" in audit and ids["criterion_code"] not in audit
    _assert_readable(audit, ids["school"])


def test_stored_as_message_and_parameters(app, edits):
    """Nothing language-specific is frozen into a new row: the message is a msgid, values are
    as stored, so the reader's language decides how they read."""
    ids = edits[0]
    with app.app_context():
        note = db.session.scalar(sa.select(Notification).where(Notification.kind == "assigned",
                                                               Notification.object_id == ids["task"]))
        assert note.message == "%(actor)s назначает вам мероприятие «%(title)s»" and note.text == ""
        event = db.session.scalar(sa.select(ActivityEvent).where(ActivityEvent.object_type == "task",
                                                                ActivityEvent.object_id == ids["task"])
                                  .order_by(ActivityEvent.id.desc()))
        assert event.changes["owner_id"] == [None, ids["owner"]] and event.summary == ""


def test_old_rows_and_unknown_fields_never_show_codes(app, login_as, demo):
    """A row written before messages were stored keeps its text; a field nobody registered is
    shown under a neutral label, not its name, and unregistered() names it for the tests."""
    admin = login_as("admin")
    with app.app_context():
        event = ActivityEvent(municipality_id=1, actor_id=None, object_type="organisation",
                              object_id=demo["plain_school"], action="update", summary="Старая запись",
                              changes={"mystery_flag": [False, True]})
        db.session.add(event)
        db.session.commit()
        assert unregistered([event]) == {("organisation", "mystery_flag")}
    text = history_text(admin.client.get(f"/orgs/{demo['plain_school']}").get_data(as_text=True))
    assert "Старая запись" in text and "другое поле" in text and "mystery_flag" not in text


def test_overdue_reminder_date_follows_the_language(app, login_as, demo):
    from app.programmes.services import overdue_reminders

    with app.app_context():
        task = db.session.scalar(sa.select(Task).where(Task.programme_id == demo["programme"]).order_by(Task.id))
        owner = db.session.scalar(sa.select(User).where(User.email == "school@opora.demo"))
        task.owner_id, task.status, task.due_date = owner.id, "planned", date(2026, 11, 20)
        db.session.commit()
    with time_machine.travel("2026-12-01 03:00:00Z", tick=False):
        with app.test_request_context():
            overdue_reminders()
        school = login_as("school")
        ru = _blocks(school.client.get("/notifications").get_data(as_text=True), '<ul class="notifications"', "ul")
        assert "(срок 20.11.2026)" in ru
        _english(school)
        en = _blocks(school.client.get("/notifications").get_data(as_text=True), '<ul class="notifications"', "ul")
        assert "11/20/26" in en and "2026-11-20" not in en


def test_card_columns_are_named_by_criteria_not_codes(app, login_as):
    admin = login_as("admin")
    with app.app_context():
        crits = criteria(1, 2026)
        codes = [c.code for c in crits]
        names = [c.short_name for c in crits]
    assert names[0] == "Результаты ОГЭ" and "oge_fail" in codes
    grid = admin.client.get("/selection?year=2026").get_data(as_text=True)
    head = _blocks(grid, "<thead>", "thead")
    assert all(name in head for name in names) and not any(code in head for code in codes)
    assert 'class="wrap-header"' in grid

    # The exported workbook's card sheet.
    from app.exports.summary import card_frame

    with app.app_context():
        frame, _card = card_frame(1, 2026)
    assert list(frame.columns)[2:2 + len(names)] == names

    # The import template and an import error name the column as people know it.
    template = admin.client.get("/selection/2026/template.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(template.data))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    assert headers[1:1 + len(names)] == names
    sheet.cell(row=2, column=2, value="много")
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    resp = admin.post("/selection/2026/import", data={"file": (buffer, "karta.xlsx")},
                      content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and names[0] in html and "не число" in html
    assert not any(code in html for code in codes)


def test_a_conflict_view_names_fields_and_values_in_words(app, login_as, demo):
    """Theirs against mine after a stale save: labels and values, never `direction`/`lower`."""
    from app.programmes.models import Indicator

    with app.app_context():
        indicator = db.session.get(Indicator, demo["indicator"])
        data = {"name": indicator.name, "unit": indicator.unit, "source": indicator.source,
                "direction": "lower" if indicator.direction == "higher" else "higher",
                "baseline": "", "baseline_date": "", "version": str(indicator.version - 1)}
    resp = login_as("school").htmx_post(f"/indicators/{demo['indicator']}/edit", data)
    assert resp.status_code == 409
    page = resp.get_data(as_text=True)
    table = page.split('class="conflict"', 1)[1].split("</table>", 1)[0]
    assert "Направление" in table and "чем меньше, тем лучше" in table
    for code in ("direction", ">lower<", ">higher<", "baseline_date", "unit<"):
        assert code not in table, code
