"""Issue 12, items 2 and 5: times in the municipality's zone, its "today", numbers and plurals the Russian way."""
import re
from datetime import date, datetime, timezone

import sqlalchemy as sa
import time_machine

from app.extensions import db
from app.orgs.models import Municipality
from app.programmes.models import ReportingPeriod, Task
from helpers import database_fingerprint

VERSION = re.compile(r'name="version" (?:type="hidden" )?value="(\d+)"')


def _utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


def _set_zone(admin, zone):
    """Through the admin's screen, as a department head would."""
    resp = admin.post("/orgs/timezone", data={"timezone": zone})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]


def _task(app, programme_id, due=None):
    with app.app_context():
        task = db.session.scalar(sa.select(Task).where(Task.programme_id == programme_id, Task.status == "planned")
                                 .order_by(Task.id))
        if due is not None:
            task.due_date = due
            db.session.commit()
        return task.id


def test_a_change_at_0210_krasnoyarsk_shows_as_0210_on_the_main_pages(app, login_as, demo):
    task_id = _task(app, demo["programme"])
    # 19:10 UTC on 1 December is 02:10 on 2 December in Krasnoyarsk (UTC+7), 22:10 on 1 December in Moscow.
    with time_machine.travel(_utc(2026, 12, 1, 19, 10), tick=False):
        tutor, deputy, admin = login_as("tutor"), login_as("school-deputy@opora.demo"), login_as("admin")
        with app.app_context():
            version = db.session.get(Task, task_id).version
        assert tutor.htmx_post(f"/tasks/{task_id}/status", {"status": "in_progress",
                                                            "version": str(version)}).status_code == 200
        assert tutor.post(f"/tasks/{task_id}/comments", data={"body": "@school-deputy, посмотрите."}).status_code == 302
        pages = {
            "programme": (deputy, f"/programmes/{demo['programme']}"),
            "history": (deputy, f"/programmes/{demo['programme']}/history"),
            "task": (deputy, f"/tasks/{task_id}"),
            "notifications": (deputy, "/notifications"),
        }

        def shown(expected, wrong):
            for name, (who, url) in pages.items():
                html = who.client.get(url).get_data(as_text=True)
                assert expected in html, name
                assert wrong not in html, name

        shown("02.12.2026 02:10", "01.12.2026 19:10")
        _set_zone(admin, "Europe/Moscow")
        shown("01.12.2026 22:10", "02.12.2026 02:10")
    with app.app_context():
        assert db.session.get(Municipality, demo["municipality"]).timezone == "Europe/Moscow"


def test_the_time_zone_is_checked_and_only_the_admin_sets_it(app, login_as, demo):
    admin = login_as("admin")
    before = database_fingerprint(app)
    resp = admin.post("/orgs/timezone", data={"timezone": "Asia/Krasnoyarskk"}, follow_redirects=True)
    assert "Неизвестный часовой пояс" in resp.get_data(as_text=True)
    assert database_fingerprint(app) == before
    assert login_as("curator").post("/orgs/timezone", data={"timezone": "Europe/Moscow"}).status_code == 403
    with app.app_context():
        assert db.session.get(Municipality, demo["municipality"]).timezone == "Asia/Krasnoyarsk"
    assert 'value="Asia/Krasnoyarsk"' in admin.client.get("/orgs").get_data(as_text=True)


def test_today_is_the_municipality_today(app, login_as, demo):
    from app import timeutil

    task_id = _task(app, demo["programme"], due=date(2026, 12, 1))
    with time_machine.travel(_utc(2026, 12, 1, 20, 0), tick=False):  # 03:00 on 2 December in Krasnoyarsk
        admin, school = login_as("admin"), login_as("school")
        task_page = school.client.get(f"/tasks/{task_id}").get_data(as_text=True)
        assert "просрочено" in task_page.split("Срок исполнения", 1)[1].split("</dd>", 1)[0]
        row = school.client.get(f"/tasks/{task_id}/row", headers={"HX-Request": "true"}).get_data(as_text=True)
        assert " overdue" in row.split(">", 1)[0]
        with app.app_context():
            m = db.session.get(Municipality, demo["municipality"])
            assert timeutil.today(m) == date(2026, 12, 2)
            m.timezone = "Europe/Moscow"  # the service without a request: the municipality's own today
            assert timeutil.today(m) == date(2026, 12, 1)
            db.session.rollback()
        _set_zone(admin, "Europe/Moscow")  # 23:00 on 1 December: due today, not overdue
        task_page = school.client.get(f"/tasks/{task_id}").get_data(as_text=True)
        assert "просрочено" not in task_page.split("Срок исполнения", 1)[1].split("</dd>", 1)[0]
        row = school.client.get(f"/tasks/{task_id}/row", headers={"HX-Request": "true"}).get_data(as_text=True)
        assert " overdue" not in row.split(">", 1)[0]


def _open_period(app, programme_id):
    with app.app_context():
        periods = db.session.scalars(sa.select(ReportingPeriod).where(
            ReportingPeriod.programme_id == programme_id).order_by(ReportingPeriod.position)).all()
        return periods[4].id  # November 2026: open for the school's actuals


def test_decimal_comma_on_an_indicator_value(app, login_as, demo):
    school = login_as("school")
    url = f"/indicators/{demo['indicator']}/values/{_open_period(app, demo['programme'])}/edit"

    def version():
        form = school.client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
        return VERSION.search(form).group(1), form

    v, _form = version()
    resp = school.htmx_post(url, {"target": "1 234,5", "actual": "10,5", "version": v})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    cell = resp.get_data(as_text=True)
    assert '<span class="target">1\xa0234,5</span>' in cell and '<strong class="actual">10,5</strong>' in cell
    v, form = version()
    assert 'value="10,5"' in form and 'value="1234,5"' in form and 'type="number"' not in form  # re-submittable
    assert school.htmx_post(url, {"target": "1234.5", "actual": "10.5", "version": v}).status_code == 200
    v, _form = version()
    assert school.htmx_post(url, {"target": "1\u00a0234,5", "actual": "10,5", "version": v}).status_code == 200
    v, _form = version()
    before = database_fingerprint(app)
    resp = school.htmx_post(url, {"target": "15", "actual": "abc", "version": v})
    assert resp.status_code == 422 and "Введите число, например 10,5." in resp.get_data(as_text=True)
    assert database_fingerprint(app) == before


def test_decimal_comma_on_a_self_assessment_score(app, login_as, demo):
    from app.mechanisms.models import MechanismCriterion

    with app.app_context():
        criterion = db.session.get(MechanismCriterion, demo["assessment_criterion"])
        criterion.max_points = 20
        db.session.commit()
    admin = login_as("admin")
    url = f"/mechanisms/scores/{demo['assessment_criterion']}/2026"
    resp = admin.htmx_post(url, {"points": "10,5", "version": "0", "comment": "", "evidence": ""})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    assert "<strong>10,5</strong>" in resp.get_data(as_text=True)
    form = admin.client.get(url + "/edit", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'value="10,5"' in form
    version = VERSION.search(form).group(1)
    before = database_fingerprint(app)
    resp = admin.htmx_post(url, {"points": "abc", "version": version, "comment": "", "evidence": ""})
    assert resp.status_code == 422 and "Введите число, например 10,5." in resp.get_data(as_text=True)
    # «1 234,5» is read as a number: refused by the criterion's range, not as junk.
    resp = admin.htmx_post(url, {"points": "1 234,5", "version": version, "comment": "", "evidence": ""})
    assert resp.status_code == 422 and "Баллы — от 0 до 20." in resp.get_data(as_text=True)
    assert database_fingerprint(app) == before


def test_plurals_and_whole_counts(app, login_as):
    from flask import render_template_string

    dashboard = login_as("admin").client.get("/dashboard?year=2026").get_data(as_text=True)
    assert '<span class="number">3</span>сопровождаемые школы' in dashboard
    # The third Russian form comes from the ru catalogue (app/translations/ru): plain ngettext.
    template = '{{ ngettext("сопровождаемая школа", "сопровождаемые школы", n) }}'
    with app.test_request_context():
        shown = {n: render_template_string(template, n=n) for n in (1, 3, 5, 11, 21)}
        numbers = render_template_string("{{ num(8.0) }} · {{ num(2.5) }} · {{ num(1234.5) }} · {{ num(none) }}")
    assert shown == {1: "сопровождаемая школа", 3: "сопровождаемые школы", 5: "сопровождаемых школ",
                     11: "сопровождаемых школ", 21: "сопровождаемая школа"}
    assert numbers == "8 · 2,5 · 1\xa0234,5 · —"
    home = login_as("admin").client.get("/").get_data(as_text=True)
    assert not re.search(r'class="number">\d+\.0<', home + dashboard)  # counts are integers
