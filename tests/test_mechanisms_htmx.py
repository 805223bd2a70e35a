"""The self-assessment answers htmx and plain forms one way (htmx.respond): a saved score is its
row plus, out of band, the totals it changes (each table part in a <template> of its own), with
Vary; without JavaScript the same save is a 303 back to the page at the criterion."""
import re

import sqlalchemy as sa
from flask_babel import LazyString

from app import catalogue
from app.extensions import db
from app.mechanisms import services
from app.mechanisms.models import MechanismScore
from helpers import database_fingerprint

YEAR = 2019


def _first_criterion(app, municipality_id):
    with app.app_context():
        mechanism, criteria = services.catalogue(municipality_id)[0]
        return mechanism.id, criteria[0].id


def _score(app, criterion_id):
    with app.app_context():
        return db.session.scalar(sa.select(MechanismScore).where(MechanismScore.criterion_id == criterion_id,
                                                                 MechanismScore.year == YEAR))


def _flashes(client):
    with client.session_transaction() as session:
        return session.get("_flashes", [])


def test_htmx_save_answers_the_row_and_the_totals_out_of_band(app, login_as, demo):
    mechanism_id, criterion_id = _first_criterion(app, demo["municipality"])
    admin = login_as("admin")
    resp = admin.htmx_post(f"/mechanisms/scores/{criterion_id}/{YEAR}",
                           {"points": "3", "version": "0", "comment": "по приказу", "evidence": ""})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200, body[:1000]
    assert "HX-Request" in resp.headers["Vary"] and "HX-Trigger" not in resp.headers
    assert "<html" not in body
    # The row first (the swap's target), with the new points.
    assert body.lstrip().startswith(f'<tr id="score-{criterion_id}">')
    row = body[:body.index("</tr>")]
    assert "<strong>3</strong>" in row and "по приказу" in row
    # Then every part the save changes, each in a <template> of its own, marked out of band.
    parts = re.findall(r"<template>(.*?)</template>", body, re.S)
    assert len(parts) == 4
    marked = [re.search(r'<(\w+) id="([^"]+)"[^>]*hx-swap-oob="true"', part).groups() for part in parts]
    assert marked == [("tfoot", f"mechanism-total-{mechanism_id}"), ("h3", f"mechanism-heading-{mechanism_id}"),
                      ("section", "assessment-summary"), ("section", "assessment-comparison")]
    assert "3 из" in parts[1]  # the heading's badge counts the new points
    assert _score(app, criterion_id).points == 3


def test_plain_save_is_a_303_back_to_the_page(app, login_as, demo):
    _mechanism_id, criterion_id = _first_criterion(app, demo["municipality"])
    admin = login_as("admin")
    resp = admin.post(f"/mechanisms/scores/{criterion_id}/{YEAR}", {"points": "2", "version": "0"})
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"/mechanisms?year={YEAR}#score-{criterion_id}")
    assert _score(app, criterion_id).points == 2
    # The row and its form are not pages of their own either.
    for path in (f"/mechanisms/scores/{criterion_id}/{YEAR}", f"/mechanisms/scores/{criterion_id}/{YEAR}/edit"):
        resp = admin.client.get(path)
        assert resp.status_code == 303 and f"#score-{criterion_id}" in resp.headers["Location"]


def test_plain_refusal_is_a_303_with_the_reason_and_writes_nothing(app, login_as, demo):
    _mechanism_id, criterion_id = _first_criterion(app, demo["municipality"])
    admin = login_as("admin")
    before = database_fingerprint(app)
    resp = admin.post(f"/mechanisms/scores/{criterion_id}/{YEAR}", {"points": "999", "version": "0"})
    assert resp.status_code == 303 and f"#score-{criterion_id}" in resp.headers["Location"]
    assert [category for category, _message in _flashes(admin.client)] == ["error"]
    assert database_fingerprint(app) == before
    # A stale form without JavaScript: the warning, and nothing written.
    assert admin.post(f"/mechanisms/scores/{criterion_id}/{YEAR}", {"points": "1", "version": "0"}).status_code == 303
    _flashes(admin.client)
    before = database_fingerprint(app)
    resp = admin.post(f"/mechanisms/scores/{criterion_id}/{YEAR}", {"points": "4", "version": "0"})
    assert resp.status_code == 303
    assert any(category == "warning" for category, _message in _flashes(admin.client))
    assert database_fingerprint(app) == before


def test_labels_shown_come_from_python_in_the_readers_language():
    """The group and cycle step names are msgids (translated when shown), and say what the
    regulations' catalogue says."""
    assert [g["code"] for g in catalogue.MECHANISM_GROUPS] == list(services.GROUP_NAMES)
    assert [g["name"] for g in catalogue.MECHANISM_GROUPS] == [str(n) for n in services.GROUP_NAMES.values()]
    assert [t[0].upper() + t[1:] for t in catalogue.MANAGEMENT_CYCLE] == \
        [str(title) for title, _hint in services.CYCLE_STEPS.values()]
    names = [*services.GROUP_NAMES.values(), *(text for step in services.CYCLE_STEPS.values() for text in step)]
    assert all(isinstance(name, LazyString) for name in names)
