"""Careless input and unlucky timing answer 4xx or the conflict view, never 500 (issue 13, item 8).

- Every form that carries a row's version, replayed with a damaged version: 400 with a
  Russian message, nothing written.
- Two people filling the same empty cell (an indicator value, a teacher's first findings, a
  self-assessment score) at the same moment: both read "no row yet", both insert; the loser
  gets the 409 conflict view with the winner's value, and nobody's value is lost. Real
  threads against the test's database file (or PostgreSQL database under run_postgres.py),
  held together between read and write so the race happens every time.
- Deleting an antirisk section created from a risk: the section goes, the risk stays and its
  history says it no longer points at the section.
"""
import threading
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from flask import request
from test_access import _rules, _url
from werkzeug.datastructures import MultiDict

from app.extensions import db
from helpers import database_fingerprint

BAD_VERSIONS = ("abc", "", "1e9999", "-1", "1.0", "１", "99999999999999999999", "0x1")
MALFORMED = "Форма пришла повреждённой"


# --- Damaged versions ------------------------------------------------------------------------

class _Forms(HTMLParser):
    """The POST forms of a page: action and the fields a browser would send unchanged."""

    def __init__(self, page_url):
        super().__init__(convert_charrefs=True)
        self.page_url, self.forms, self._form, self._select, self._textarea = page_url, [], None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method", "").lower() == "post" or a.get("hx-post")):
            self._form = {"action": a.get("action") or a.get("hx-post") or self.page_url, "fields": []}
            self.forms.append(self._form)
        if self._form is None:
            return
        fields = self._form["fields"]
        if tag == "input" and a.get("name") and a.get("type", "text") not in ("submit", "button", "file", "reset"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            fields.append([a["name"], a.get("value", "on" if a.get("type") == "checkbox" else "")])
        elif tag == "select" and a.get("name"):
            self._select = [a["name"], None]
            fields.append(self._select)
        elif tag == "option" and self._select is not None:
            if self._select[1] is None or "selected" in a:
                self._select[1] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], ""]
            fields.append(self._textarea)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _is_version(name):
    return name == "version" or name.startswith("version-") or name.endswith("-version")


def _versioned_forms(app, auth, demo, role):
    """{endpoint: (action, fields)} for every form with a version field on every page and
    fragment `role` can open."""
    adapter = app.url_map.bind("localhost")
    found = {}
    for rule in _rules(app):
        if "GET" not in rule.methods or rule.endpoint in ("dashboard.healthz",):
            continue
        url = _url(rule, demo, "own", role)
        for headers in ({}, {"HX-Request": "true"}):
            resp = auth.client.get(url, headers=headers)
            if resp.status_code != 200 or resp.mimetype != "text/html":
                continue
            parser = _Forms(url)
            parser.feed(resp.get_data(as_text=True))
            for form in parser.forms:
                if not any(_is_version(name) for name, _value in form["fields"]):
                    continue
                path = form["action"].split("#", 1)[0].split("?", 1)[0]
                try:
                    endpoint, _args = adapter.match(path, method="POST")
                except Exception:
                    continue
                found.setdefault(endpoint, (form["action"], [tuple(f) for f in form["fields"]]))
    return found


@pytest.mark.parametrize("role", ("admin", "school", "tutor"))
def test_a_damaged_version_is_a_400_on_every_form(role, login_as, app, demo):
    auth = login_as(role)
    forms = _versioned_forms(app, auth, demo, role)
    assert len(forms) >= {"admin": 15, "school": 8, "tutor": 8}[role], sorted(forms)
    refused = {}
    # Each form gets two of the damaged values (rotating over the list, as a page and as htmx);
    # parse_version itself is checked with all of them in test_parse_version_refuses_every_damaged_value.
    for index, (endpoint, (action, fields)) in enumerate(sorted(forms.items())):
        before = database_fingerprint(app)
        for offset, headers in enumerate(({}, {"HX-Request": "true"})):
            bad = BAD_VERSIONS[(index + offset) % len(BAD_VERSIONS)]
            data = MultiDict([(name, bad if _is_version(name) else value) for name, value in fields])
            resp = auth.client.post(action, data=data, headers=headers)
            assert resp.status_code < 500, (role, endpoint, bad, resp.status_code)
            refused.setdefault(endpoint, set()).add(resp.status_code)
            if resp.status_code == 400:
                assert MALFORMED in resp.get_data(as_text=True), (endpoint, bad)
        assert database_fingerprint(app) == before, (role, endpoint, "wrote despite a damaged form")
    # Every form that saves over a version names a damaged one as such: 400 (not a "someone
    # changed it" 409, not a success). Forms that create a row carry an unused version field
    # (their replay lacks required fields: 422 or a redirect with the message, nothing written).
    creating = {e for e in refused if e.split(".", 1)[1].startswith(("new_", "add_"))}
    # identification.criteria: a page form with more required fields.
    others = {"selection.criteria"}
    wrong = {e: codes for e, codes in refused.items() if e not in creating | others and codes != {400}}
    assert not wrong, wrong
    # (programmes.task_status is no form: its version travels in hx-vals, see test_programme_rows.)
    assert {"programmes.save_task", "programmes.edit_value", "programmes.edit_goal",
            "teachers.findings", "teachers.edit_teacher", "visits.respond"} <= set(refused), sorted(refused)


@pytest.mark.parametrize("bad", BAD_VERSIONS)
def test_parse_version_refuses_every_damaged_value(bad):
    from app.versioning import MalformedForm, parse_version

    with pytest.raises(MalformedForm):
        parse_version(bad)
    assert parse_version("7") == 7 and parse_version(None) is None


def test_bulk_status_with_damaged_task_entries_is_a_400(login_as, app, demo):
    from app.programmes.models import Task

    auth = login_as("school")
    with app.app_context():
        task = db.session.scalar(sa.select(Task).where(Task.programme_id == demo["programme"]))
        entry = f"{task.id}:{task.version}"
    for raw in (f"{task.id}:abc", f"{task.id}:", "²:1", "99999999999999999999:1", f"{task.id}:1e9999", "x"):
        before = database_fingerprint(app)
        resp = auth.post(f"/programmes/{demo['programme']}/tasks/bulk", data={"task": [entry, raw], "status": "done"})
        assert resp.status_code == 400, (raw, resp.status_code)
        assert MALFORMED in resp.get_data(as_text=True)
        assert database_fingerprint(app) == before, raw
    resp = auth.post(f"/programmes/{demo['programme']}/tasks/bulk", data={"task": [entry], "status": "done"})
    assert resp.status_code == 302


# --- Two first saves at once ---------------------------------------------------------------

class Race:
    """Holds two requests together right after they read "no row yet": neither writes before
    both have read, so the second insert always meets the unique key."""

    def __init__(self, monkeypatch, module, name, when=lambda *args: True):
        self.barrier = threading.Barrier(2, timeout=20)
        self.held = set()
        self.original = getattr(module, name)

        def held_read(*args, **kwargs):
            result = self.original(*args, **kwargs)
            me = threading.get_ident()
            if request and request.method == "POST" and me not in self.held and when(result):
                self.held.add(me)
                self.barrier.wait()
            return result

        monkeypatch.setattr(module, name, held_read)

    @staticmethod
    def run(*calls):
        results = [None] * len(calls)
        errors = []

        def go(i, call):
            try:
                results[i] = call()
            except BaseException as exc:  # noqa: BLE001 — reported below
                errors.append(exc)

        threads = [threading.Thread(target=go, args=(i, c)) for i, c in enumerate(calls)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors, errors
        return results


def _new_indicator(app, auth, programme_id, name):
    from app.programmes.models import Indicator

    resp = auth.post(f"/programmes/{programme_id}/indicators", data={
        "indicator-name": name, "indicator-unit": "%", "indicator-direction": "higher",
        "indicator-source": "ОГЭ", "indicator-baseline": "40"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    with app.app_context():
        indicator_id = db.session.scalar(sa.select(Indicator.id).where(Indicator.name == name))
        db.session.rollback()
    return indicator_id


def test_two_first_saves_of_one_indicator_cell(login_as, app, demo, monkeypatch):
    from app.programmes import services
    from app.programmes.models import IndicatorValue

    school, curator = login_as("school"), login_as("curator")
    indicator_id = _new_indicator(app, school, demo["programme"], "Доля выпускников, сдавших ОГЭ по математике")
    url = f"/indicators/{indicator_id}/values/{demo['period']}/edit"
    Race(monkeypatch, services, "value_for", when=lambda value: value.id is None)
    mine = {"school": ("55", "51"), "curator": ("60", "58")}
    answers = Race.run(
        lambda: school.htmx_post(url, {"target": mine["school"][0], "actual": mine["school"][1], "version": "0"}),
        lambda: curator.htmx_post(url, {"target": mine["curator"][0], "actual": mine["curator"][1], "version": "0"}))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 409], statuses
    winner, loser = ("school", "curator") if answers[0].status_code == 200 else ("curator", "school")
    page = answers[1 if winner == "school" else 0].get_data(as_text=True)
    # The conflict view: the other person's saved value, and the loser's own input kept in the form.
    assert "Значение уже изменил другой участник" in page and "<html" not in page
    assert f"{mine[winner][0]} / {mine[winner][1]}" in page
    assert f'value="{mine[loser][0]}"' in page and f'value="{mine[loser][1]}"' in page
    assert 'name="version" type="hidden" value="1"' in page  # saving again writes over the winner, knowingly
    with app.app_context():
        rows = db.session.execute(sa.select(IndicatorValue.target, IndicatorValue.actual).where(
            IndicatorValue.indicator_id == indicator_id, IndicatorValue.period_id == demo["period"])).all()
        db.session.rollback()
    assert rows == [(float(mine[winner][0]), float(mine[winner][1]))]
    # The loser saves again from the conflict view: now over version 1, and it is kept.
    loser_auth = school if loser == "school" else curator
    resp = loser_auth.htmx_post(url, {"target": mine[loser][0], "actual": mine[loser][1], "version": "1"})
    assert resp.status_code == 200


def test_two_first_findings_of_one_teacher(login_as, app, demo, monkeypatch):
    from app.teachers import services
    from app.teachers.models import DeficitFinding

    school, tutor = login_as("school"), login_as("tutor")
    resp = school.post(f"/schools/{demo['school']}/sessions", data={
        "session-session_date": "2026-11-20", "session-method": "test", "session-conducted_by": "ЦНППМ"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    session_id = int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    with app.app_context():
        areas = [a for group in services.catalogue(demo["municipality"]).values() for a in group][:2]
        area_ids = [a.id for a in areas]
        db.session.rollback()
    url = f"/diagnostics/{session_id}/teachers/{demo['teacher']}"

    def form(level, note):
        data = {}
        for area_id in area_ids:
            data.update({f"level-{area_id}": level, f"note-{area_id}": note, f"version-{area_id}": "0"})
        return data

    in_save = threading.local()
    original_save = services.save_findings

    def save_findings(*args, **kwargs):
        in_save.yes = True
        return original_save(*args, **kwargs)

    monkeypatch.setattr(services, "save_findings", save_findings)
    # Held after the service's own read of the teacher's findings (the one its decision rests on).
    Race(monkeypatch, services, "findings_of", when=lambda found: getattr(in_save, "yes", False) and not found)
    mine = {"school": ("significant", "Затрудняется с заданиями ВПР"), "tutor": ("partial", "Наблюдение урока 7Б")}
    answers = Race.run(lambda: school.post(url, data=form(*mine["school"])),
                       lambda: tutor.post(url, data=form(*mine["tutor"])))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [302, 409], statuses
    winner, loser = ("school", "tutor") if answers[0].status_code == 302 else ("tutor", "school")
    page = answers[1 if winner == "school" else 0].get_data(as_text=True)
    assert "результаты этого педагога изменил другой участник" in page
    level_names = services.LEVEL_NAMES
    assert page.count(f"сохранено сейчас: {level_names[mine[winner][0]]}") == len(area_ids)
    assert page.count(f'value="{mine[loser][1]}"') == len(area_ids)  # the loser's notes are still in the form
    with app.app_context():
        saved = db.session.execute(sa.select(DeficitFinding.level, DeficitFinding.note).where(
            DeficitFinding.session_id == session_id, DeficitFinding.teacher_id == demo["teacher"],
            DeficitFinding.area_id.in_(area_ids))).all()
        others = db.session.scalar(sa.select(sa.func.count()).select_from(DeficitFinding).where(
            DeficitFinding.session_id == session_id, DeficitFinding.level != "none",
            DeficitFinding.area_id.not_in(area_ids)))
        db.session.rollback()
    assert sorted(saved) == [mine[winner]] * len(area_ids) and others == 0  # the winner's, once


def test_first_score_inserted_by_someone_else_between_read_and_write(login_as, app, demo, monkeypatch):
    """Deterministic, on one thread: the other admin's score is committed on a connection of its
    own right after this request read "no score yet"."""
    from app.mechanisms import services
    from app.mechanisms.models import MechanismScore

    auth = login_as("admin")
    year = 2031
    criterion = demo["assessment_criterion"]
    url = f"/mechanisms/scores/{criterion}/{year}"
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    original = services.score_for

    def score_for(criterion_obj, year_):
        score = original(criterion_obj, year_)
        if request.method == "POST" and score.id is None:
            with engine.begin() as other:  # the winner
                other.execute(sa.insert(MechanismScore.__table__).values(
                    municipality_id=criterion_obj.municipality_id, criterion_id=criterion_obj.id, year=year_,
                    points=1, comment="Оценка коллеги", evidence="", version=1))
        return score

    monkeypatch.setattr(services, "score_for", score_for)
    try:
        resp = auth.htmx_post(url, {"points": "2", "comment": "Моя оценка", "evidence": "", "version": "0"})
    finally:
        engine.dispose()
    assert resp.status_code == 409, resp.get_data(as_text=True)[:500]
    page = resp.get_data(as_text=True)
    assert "Оценка коллеги" in page and "Моя оценка" in page
    with app.app_context():
        rows = db.session.execute(sa.select(MechanismScore.points, MechanismScore.comment).where(
            MechanismScore.criterion_id == criterion, MechanismScore.year == year)).all()
        db.session.rollback()
    assert rows == [(1, "Оценка коллеги")]


# --- An antirisk section deleted ---------------------------------------------------------------

def test_deleting_an_antirisk_section_keeps_the_risk_and_says_so(login_as, app, demo):
    from app.activity.models import ActivityEvent
    from app.programmes.models import Indicator, Section
    from app.selection.models import RiskFactor, SchoolRisk

    curator = login_as("curator")
    with app.app_context():
        factor = db.session.scalar(sa.select(RiskFactor).where(RiskFactor.id == demo["risk_factor"]))
        factor_id, year, factor_name = factor.id, factor.year, factor.name
        db.session.rollback()
    school_id = demo["school"]
    resp = curator.post(f"/schools/{school_id}/risks/{factor_id}", data={
        f"r{factor_id}-level": "high", f"r{factor_id}-is_actual": "y", f"r{factor_id}-measures": "Наставничество",
        f"r{factor_id}-version": _risk_version(app, school_id, factor_id)})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    resp = curator.post(f"/schools/{school_id}/risks/{factor_id}/section")
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)[:300]
    with app.app_context():
        risk = db.session.scalar(sa.select(SchoolRisk).where(SchoolRisk.school_id == school_id,
                                                             SchoolRisk.factor_id == factor_id))
        section = db.session.get(Section, risk.section_id)
        section_id, title, programme_id, risk_id = section.id, section.title, section.programme_id, risk.id
        # An indicator of the section's own, as an antirisk direction may carry.
        indicator = Indicator(municipality_id=section.municipality_id, programme_id=programme_id,
                              section_id=section_id, name="Доля уроков с заданиями на функциональную грамотность")
        db.session.add(indicator)
        db.session.commit()
        indicator_id = indicator.id
    assert factor_name in title

    resp = curator.post(f"/sections/{section_id}/delete")
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    with app.app_context():
        assert db.session.get(Section, section_id) is None
        risk = db.session.get(SchoolRisk, risk_id)
        assert risk is not None and risk.section_id is None and risk.level == "high"
        assert db.session.get(Indicator, indicator_id).section_id is None
        events = db.session.scalars(sa.select(ActivityEvent).where(
            ActivityEvent.object_type == "schoolrisk", ActivityEvent.object_id == risk_id)
            .order_by(ActivityEvent.id.desc())).all()
        assert events[0].changes == {"section_id": [section_id, None]}
        assert events[0].params["title"] == title
        db.session.rollback()
    # The risk page still opens, and the risk can become a section again.
    assert curator.client.get(f"/schools/{school_id}/risks?year={year}").status_code == 200
    resp = curator.post(f"/schools/{school_id}/risks/{factor_id}/section")
    assert resp.status_code in (302, 303)
    with app.app_context():
        again = db.session.get(SchoolRisk, risk_id).section_id
        assert again is not None and db.session.get(Section, again).title == title
        db.session.rollback()


def _risk_version(app, school_id, factor_id):
    from app.selection.models import SchoolRisk

    with app.app_context():
        version = db.session.scalar(sa.select(SchoolRisk.version).where(SchoolRisk.school_id == school_id,
                                                                         SchoolRisk.factor_id == factor_id))
        db.session.rollback()
    return str(version or 0)


def test_a_section_with_tasks_is_still_refused(login_as, app, demo):
    curator = login_as("curator")
    resp = curator.post(f"/sections/{demo['section']}/delete")
    assert resp.status_code == 303
    with app.app_context():
        from app.programmes.models import Section

        assert db.session.get(Section, demo["section"]) is not None
        db.session.rollback()



def test_damaged_numbers_in_addresses_are_ignored_not_500(login_as, demo):
    """«²» passes str.isdigit() but not int(); huge numbers do not fit the database's integers."""
    auth = login_as("admin")
    for value in ("²", "99999999999999999999", "1e9999", "-0", "abc"):
        for url in (f"/partnerships/new?school={value}", f"/programmes/new?partnership={value}",
                    f"/programmes/{demo['programme']}/live?since={value}", f"/selection?year={value}",
                    f"/mechanisms?year={value}"):
            resp = auth.client.get(url)
            assert resp.status_code < 500, (url, resp.status_code)
