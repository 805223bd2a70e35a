"""No GET changes the database (issue 13, item 7).

Every role opens every URL of the access matrix, as a page and as an htmx fragment, with a
fingerprint of every table's content before and after. On the seeded demo database that is
tests/test_access.py::test_role_matrix (it also walks the foreign municipality's objects);
here, on a municipality created from nothing (app.provisioning.create_municipality), where a
page that creates its default lists on first read would write.

One table is not data: `presence` (who has a programme page open now) is written, at most
every few seconds, by whoever reads the page — that is what it is for.
"""
from datetime import date

import pytest
import sqlalchemy as sa
from test_access import LITERAL, PARAMS, ROLES, _rules

from app.extensions import db
from helpers import Auth, database_fingerprint

NOT_DATA = {"presence"}
PASSWORD = "Start2026pass"


def _data(app):
    return {table: value for table, value in database_fingerprint(app).items() if table not in NOT_DATA}


def _changed(before, after):
    return sorted(table for table in before if before[table] != after[table])


def _build(rule, ids, which, role):
    """The rule's URL for `role` with its own (or the foreign) objects; None when the database
    has no such object (a new municipality has no tasks yet)."""
    values = {}
    for arg in rule.arguments:
        own, foreign = PARAMS[arg]
        key = own if which == "own" else foreign
        if arg in LITERAL:
            value = ids.get(key, key)
        elif key not in ids:
            return None
        else:
            value = ids[key]
        if isinstance(value, dict):
            if role not in value:
                return None
            value = value[role]
        values[arg] = value
    return rule.build(values)[1]


def _get_everything(app, auth, role, ids, foreign=True):
    """GET every rule as `role` (page and htmx); returns (tables changed, number of URLs opened).
    One fingerprint before and one after the whole walk: a passing run stays cheap, and the
    tables named say which area wrote."""
    opened = 0
    before = _data(app)
    for rule in _rules(app):
        if "GET" not in rule.methods or rule.endpoint in ("static", "dashboard.healthz"):
            continue
        urls = [_build(rule, ids, "own", role)]
        if foreign and rule.arguments - LITERAL:
            urls.append(_build(rule, ids, "foreign", role))
        for url in filter(None, urls):
            for headers in ({}, {"HX-Request": "true"}):
                resp = auth.client.get(url, headers=headers)
                assert resp.status_code < 500, (role, url, resp.status_code)
            opened += 1
    return _changed(before, _data(app)), opened


@pytest.fixture
def new_town(empty_app):
    """A municipality from nothing, the way an operator creates one, with one person per role,
    a supported school, its tutor school and partnership, a programme from the template, a
    teacher and a diagnostic session — and nothing opened yet."""
    from app.accounts.models import User
    from app.orgs.models import Organisation, Partnership
    from app.programmes.models import ReportingPeriod, Section
    from app.programmes.services import create_programme
    from app.provisioning import create_municipality
    from app.teachers.models import DiagnosticSession, Teacher

    app = empty_app
    with app.app_context():
        town = create_municipality("sharypovo", "Шарыповский муниципальный округ")
        department = db.session.scalar(sa.select(Organisation).where(Organisation.municipality_id == town.id))
        school = Organisation(municipality_id=town.id, kind="school", name="МБОУ «Ивановская СОШ»",
                              short_name="Ивановская СОШ", is_low_results=True)
        lyceum = Organisation(municipality_id=town.id, kind="school", name="МБОУ «Шарыповский лицей»",
                              short_name="Шарыповский лицей")
        db.session.add_all([school, lyceum])
        db.session.flush()
        users = {}
        for role, org in (("admin", department), ("curator", department), ("tutor", lyceum),
                          ("school", school), ("observer", None)):
            user = User(email=f"{role}@sharypovo.ru", full_name=f"Сотрудник ({role})", role=role,
                        municipality_id=town.id, organisation_id=org.id if org else None)
            user.set_password(PASSWORD)
            db.session.add(user)
            users[role] = user
        db.session.flush()
        partnership = Partnership(municipality_id=town.id, school_id=school.id, tutor_school_id=lyceum.id,
                                  curator_id=users["curator"].id, start_year=2026, end_year=2028)
        db.session.add(partnership)
        db.session.flush()
        programme = create_programme(users["curator"], partnership, 2026)
        teacher = Teacher(municipality_id=town.id, school_id=school.id, full_name="Петрова Анна Ивановна")
        db.session.add(teacher)
        db.session.flush()
        session = DiagnosticSession(municipality_id=town.id, school_id=school.id, session_date=date(2026, 10, 1),
                                    method="test", created_by_id=users["admin"].id)
        db.session.add(session)
        db.session.commit()

        def first(model, *where):
            return db.session.scalar(sa.select(model.id).where(*where).order_by(model.id))

        from app.mechanisms.models import MechanismCriterion
        from app.visits.models import ObservationCriterion

        ids = {"municipality": town.id, "school": school.id, "partnership": partnership.id,
               "user": users["school"].id, "programme": programme.id, "teacher": teacher.id,
               "session": session.id,
               "section": first(Section, Section.programme_id == programme.id),
               "period": first(ReportingPeriod, ReportingPeriod.programme_id == programme.id),
               "criterion": first(ObservationCriterion, ObservationCriterion.municipality_id == town.id),
               "assessment_criterion": first(MechanismCriterion, MechanismCriterion.municipality_id == town.id)}
        db.session.rollback()
    return app, {k: v for k, v in ids.items() if v is not None}


@pytest.mark.parametrize("role", ROLES)
def test_no_get_writes_in_a_new_municipality(role, new_town):
    app, ids = new_town
    # Provisioning gave the municipality its reference lists: no page needs to write them later.
    assert "criterion" in ids and "assessment_criterion" in ids
    auth = Auth(app.test_client())
    auth.login(f"{role}@sharypovo.ru", PASSWORD)
    writes, opened = _get_everything(app, auth, role, ids, foreign=False)
    assert opened > 40, opened
    assert not writes, (role, writes)


def _municipality_without_lists(app, code):
    """A municipality as older versions left it: its reference lists not written yet (they
    used to be written by the first page that showed them)."""
    from app.accounts.models import User
    from app.orgs.models import Municipality, Organisation

    with app.app_context():
        town = Municipality(code=code, name="Старый округ", region="", timezone="Asia/Krasnoyarsk")
        db.session.add(town)
        db.session.flush()
        department = Organisation(municipality_id=town.id, kind="department", name="Управление образования",
                                  short_name="Управление образования")
        db.session.add(department)
        db.session.flush()
        admin = User(email=f"admin@{code}.ru", full_name="Администратор", role="admin", municipality_id=town.id,
                     organisation_id=department.id)
        admin.set_password(PASSWORD)
        db.session.add(admin)
        db.session.commit()
        return town.id


def _list_counts(app, municipality_id):
    from app.mechanisms.models import Mechanism, MechanismCriterion
    from app.teachers.models import DeficitArea
    from app.visits.models import ObservationCriterion

    with app.app_context():
        counts = tuple(db.session.scalar(sa.select(sa.func.count()).select_from(model).where(
            model.municipality_id == municipality_id))
            for model in (ObservationCriterion, DeficitArea, Mechanism, MechanismCriterion))
        db.session.rollback()
    return counts


def test_pages_of_a_municipality_without_its_lists_only_read(empty_app):
    app = empty_app
    _municipality_without_lists(app, "old")
    auth = Auth(app.test_client())
    auth.login("admin@old.ru", PASSWORD)
    before = _data(app)
    for url in ("/visits/checklist", "/diagnostics/catalogue", "/mechanisms", "/mechanisms/cycle"):
        resp = auth.client.get(url)
        assert resp.status_code == 200, (url, resp.status_code)
    assert _changed(before, _data(app)) == []


def test_the_migration_gives_older_municipalities_their_lists(empty_app):
    from flask_migrate import downgrade, upgrade

    from app.provisioning import create_municipality

    app = empty_app
    with app.app_context():
        new = create_municipality("fresh", "Новый округ").id
        db.session.commit()
    old = _municipality_without_lists(app, "old")
    provisioned = _list_counts(app, new)
    assert _list_counts(app, old) == (0, 0, 0, 0) and all(provisioned)
    with app.app_context():
        downgrade(revision="c13a00000003")
        upgrade()
        db.session.remove()
    assert _list_counts(app, old) == provisioned  # the same lists as a municipality created today
    assert _list_counts(app, new) == provisioned  # and nothing twice for one that had them
