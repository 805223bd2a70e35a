import re

import sqlalchemy as sa

from app.accounts.models import User
from app.activity.models import ActivityEvent
from app.extensions import db
from app.orgs.models import ContextValue, Organisation, Partnership
from app.timeutil import school_year


def _version(app, model, ident):
    with app.app_context():
        return db.session.get(model, ident).version


def test_inline_edit_returns_fragments(app, login_as, demo):
    admin = login_as("admin")
    resp = admin.client.get(f"/orgs/{demo['plain_school']}/row/edit", headers={"HX-Request": "true"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<html" not in html and "<form" in html and 'name="version"' in html
    version = re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)
    resp = admin.htmx_post(f"/orgs/{demo['plain_school']}/row", {
        "short_name": "Гляденская СОШ", "director": "Семёнова Л. А.", "is_low_results": "y", "version": version})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<html" not in html
    assert "Семёнова Л. А." in html and "ШНОР" in html and f'id="org-{demo["plain_school"]}"' in html
    with app.app_context():
        org = db.session.get(Organisation, demo["plain_school"])
        assert org.director == "Семёнова Л. А." and org.is_low_results and org.version == int(version) + 1
        event = db.session.scalar(sa.select(ActivityEvent).where(
            ActivityEvent.object_type == "organisation", ActivityEvent.object_id == org.id))
        assert event.changes["director"] == ["", "Семёнова Л. А."]
        assert event.changes["is_low_results"] == [False, True]


def test_stale_inline_save_is_a_conflict_and_overwrites_nothing(app, login_as, demo):
    first, second = login_as("admin"), login_as("admin")
    school = demo["plain_school"]
    version = str(_version(app, Organisation, school))
    ok = first.htmx_post(f"/orgs/{school}/row",
                         {"short_name": "Гляденская СОШ", "director": "Первый", "version": version})
    assert ok.status_code == 200
    stale = second.htmx_post(f"/orgs/{school}/row",
                             {"short_name": "Гляденская СОШ", "director": "Второй", "version": version})
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert "изменил другой пользователь" in html and "Первый" in html and "Второй" in html
    with app.app_context():
        assert db.session.get(Organisation, school).director == "Первый"
    # "Apply mine": the conflict form carries the current version, so saving again wins knowingly.
    new_version = re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)
    assert int(new_version) == int(version) + 1
    again = second.htmx_post(f"/orgs/{school}/row",
                             {"short_name": "Гляденская СОШ", "director": "Второй", "version": new_version})
    assert again.status_code == 200
    with app.app_context():
        assert db.session.get(Organisation, school).director == "Второй"
        history = db.session.scalars(sa.select(ActivityEvent).where(
            ActivityEvent.object_type == "organisation", ActivityEvent.object_id == school)).all()
        assert [e.changes["director"][1] for e in history] == ["Первый", "Второй"]


def test_inline_validation_error_is_422_fragment(login_as, demo):
    admin = login_as("admin")
    resp = admin.htmx_post(f"/orgs/{demo['plain_school']}/row", {"short_name": "", "version": "1"})
    assert resp.status_code == 422
    assert "Введите краткое название" in resp.get_data(as_text=True)


def test_full_edit_and_history_on_the_card(app, login_as, demo):
    admin = login_as("admin")
    version = _version(app, Organisation, demo["school"])
    resp = admin.post(f"/orgs/{demo['school']}/edit", data={
        "kind": "school", "name": "МБОУ «Павловская СОШ»", "short_name": "Павловская СОШ", "address": "с. Павловка",
        "director": "Иванов С. А.", "students": "212", "is_low_results": "y", "version": str(version)})
    assert resp.status_code == 302
    page = admin.client.get(f"/orgs/{demo['school']}").get_data(as_text=True)
    assert "с. Павловка" in page and "История изменений" in page and "Иванов С. А." in page
    # The history is the department's (policy: read_history): the school's own team reads the
    # card, not who changed what on it.
    page = login_as("school").client.get(f"/orgs/{demo['school']}").get_data(as_text=True)
    assert "с. Павловка" in page and "История изменений" not in page


def test_context_profile(app, login_as, demo):
    admin = login_as("admin")
    page = admin.client.get(f"/orgs/{demo['school']}/context").get_data(as_text=True)
    fields = re.findall(r'name="(f\d+)"', page)
    assert len(fields) == 9  # the nine factors of seed 002, appendix 1
    data = {name: "10" for name in fields}
    data[fields[0]] = "150"
    resp = admin.post(f"/orgs/{demo['school']}/context", data=data)
    assert resp.status_code == 422 and "от 0 до 100" in resp.get_data(as_text=True)
    data[fields[0]] = "12.5"
    assert admin.post(f"/orgs/{demo['school']}/context", data=data).status_code == 302
    with app.app_context():
        shares = db.session.scalars(sa.select(ContextValue.share).where(
            ContextValue.organisation_id == demo["school"], ContextValue.school_year == school_year())).all()
        assert sorted(shares) == [10.0] * 8 + [12.5]  # the current school year's; earlier years stay
    card = admin.client.get(f"/orgs/{demo['school']}").get_data(as_text=True)
    assert "12,5" in card and "отрицательное" in card and "положительное" in card


def test_search_and_filter_organisations(login_as):
    admin = login_as("admin")
    html = admin.client.get("/orgs?q=павлов", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Павловская СОШ" in html and "Гляденская" not in html
    html = admin.client.get("/orgs?flag=low", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert {"Павловская СОШ", "Сахаптинская СОШ", "Сережская ООШ"} <= set(re.findall(r">([^<>]+(?:СОШ|ООШ))</a>", html))
    assert "Гляденская" not in html


def test_create_organisation_and_partnership(app, login_as, demo):
    admin = login_as("admin")
    resp = admin.post("/orgs/new", data={"kind": "school", "name": "МБОУ «Дороховская СОШ»",
                                         "short_name": "Дороховская СОШ", "is_low_results": "y"})
    assert resp.status_code == 302
    with app.app_context():
        new_id = db.session.scalar(sa.select(Organisation.id).where(Organisation.short_name == "Дороховская СОШ"))
        curator_id = db.session.scalar(sa.select(User.id).where(User.email == "curator@opora.demo"))
    same = {"school_id": new_id, "tutor_school_id": new_id, "curator_id": curator_id, "start_year": "2026"}
    resp = admin.post("/partnerships/new", data=same)
    assert resp.status_code == 422 and "не может сопровождать сама себя" in resp.get_data(as_text=True)
    good = dict(same, tutor_school_id=demo["tutor_school"], agreement_number="СД-9/2026", agreement_date="2026-09-01")
    assert admin.post("/partnerships/new", data=good).status_code == 302
    with app.app_context():
        p = db.session.scalar(sa.select(Partnership).where(Partnership.school_id == new_id))
        assert (p.start_year, p.end_year, p.agreement_number) == (2026, 2028, "СД-9/2026")
    listing = admin.client.get("/partnerships").get_data(as_text=True)
    assert "Дороховская СОШ" in listing and "2026/2027–2027/2028" in listing


def test_partnership_inline_edit_and_conflict(app, login_as, demo):
    admin = login_as("admin")
    pid = demo["partnership"]
    html = admin.client.get(f"/partnerships/{pid}/row/edit", headers={"HX-Request": "true"}).get_data(as_text=True)
    curator = re.search(r'<option selected value="(\d+)"', html) or re.search(r'<option value="(\d+)" selected', html)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)
    data = {"curator_id": curator.group(1), "agreement_number": "СД-1/2025-изм", "agreement_date": "2025-08-29",
            "version": version}
    assert admin.htmx_post(f"/partnerships/{pid}/row", data).status_code == 200
    assert admin.htmx_post(f"/partnerships/{pid}/row", dict(data, agreement_number="другой")).status_code == 409
    with app.app_context():
        assert db.session.get(Partnership, pid).agreement_number == "СД-1/2025-изм"
