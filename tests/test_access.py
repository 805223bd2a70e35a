"""Every URL rule × every role × own and foreign objects.

A new route fails here until it is added to ACCESS (who may open it) and its URL
parameters to PARAMS (own and foreign ids): no route can skip the policy check.
"""
import pytest

from helpers import database_fingerprint

ROLES = ("admin", "curator", "tutor", "school", "observer")
ALL = set(ROLES)
ADMIN = {"admin"}
EDITORS = {"admin", "curator", "tutor", "school"}
VISITORS = {"admin", "curator", "tutor"}  # record visits, observations, recommendations, events
CARD_READERS = {"admin", "curator", "observer"}  # the diagnostic card ranks schools

# endpoint -> roles that may open it (GET) with their own objects.
ACCESS = {
    "dashboard.home": ALL,
    "accounts.change_password": ALL,
    "accounts.logout": ALL,
    "dashboard.set_language": ALL,
    "orgs.organisations": ALL,
    "orgs.organisation": ALL,
    "orgs.organisation_row": ALL,
    "orgs.partnerships": ALL,
    "orgs.partnership": ALL,
    "orgs.partnership_row": ALL,
    "orgs.new_organisation": ADMIN,
    "orgs.edit_organisation": ADMIN,
    "orgs.organisation_row_form": ADMIN,
    "orgs.save_organisation_row": ADMIN,
    "orgs.context_profile": ADMIN,
    "orgs.save_timezone": ADMIN,
    "orgs.new_partnership": ADMIN,
    "orgs.edit_partnership": ADMIN,
    "orgs.partnership_row_form": ADMIN,
    "orgs.save_partnership_row": ADMIN,
    "accounts.users": ADMIN,
    "accounts.new_user": ADMIN,
    "accounts.edit_user": ADMIN,
    "accounts.reset_password": ADMIN,
    "accounts.issue_link": ADMIN,
    "accounts.toggle_active": ADMIN,
    "accounts.audit": ADMIN,
    "programmes.programmes": ALL,
    "programmes.new_programme": {"admin", "curator"},
    "programmes.programme": ALL,
    "programmes.live": ALL,
    "programmes.history": ALL,
    "programmes.change_status": EDITORS,
    "programmes.passport_field": ALL,
    "programmes.passport_field_form": EDITORS,
    "programmes.save_passport_field": EDITORS,
    "programmes.add_goal": EDITORS,
    "programmes.goal": ALL,
    "programmes.edit_goal": EDITORS,
    "programmes.add_section": EDITORS,
    "programmes.delete_section": EDITORS,
    "programmes.add_task": EDITORS,
    "programmes.task": ALL,
    "programmes.task_row": ALL,
    "programmes.task_form": EDITORS,
    "programmes.save_task": EDITORS,
    "programmes.task_status": EDITORS,
    "programmes.move_task": EDITORS,
    "programmes.bulk_status": EDITORS,
    "programmes.comment_task": EDITORS,
    "programmes.upload": EDITORS,
    "collab.attachment": EDITORS,  # files are free text: not for observers
    "programmes.add_indicator": EDITORS,
    "programmes.edit_indicator": EDITORS,
    "programmes.indicator_row": ALL,
    "programmes.value_cell": ALL,
    "programmes.edit_value": EDITORS,
    "programmes.report": ALL,
    "programmes.review_report": {"admin", "curator"},
    "visits.visits": ALL,
    "visits.coverage_setting": ADMIN,
    "visits.new_visit": VISITORS,
    "visits.visit": ALL,
    "visits.edit_visit": VISITORS,
    "visits.submit_visit": VISITORS,
    "visits.comment_visit": EDITORS,
    "visits.upload_visit": VISITORS,
    "visits.add_observation": VISITORS,
    "visits.edit_observation": VISITORS,
    "visits.add_recommendation": VISITORS,
    "visits.recommendation": ALL,
    "visits.edit_recommendation": VISITORS,
    "visits.respond": EDITORS,
    "visits.recommendation_to_task": VISITORS,
    "visits.school_timeline": ALL,
    "visits.curators": {"admin", "curator", "observer"},
    "visits.checklist": ALL,
    "visits.toggle_criterion": ADMIN,
    "visits.events": ALL,
    "visits.new_event": VISITORS,
    "visits.event": ALL,
    "visits.edit_event": VISITORS,
    "teachers.school": EDITORS,
    "teachers.add_teacher": EDITORS,
    "teachers.teachers_template": ALL,
    "teachers.import_teachers": EDITORS,
    "teachers.teacher": EDITORS,
    "teachers.edit_teacher": EDITORS,
    "teachers.archive_teacher": EDITORS,
    "teachers.add_session": EDITORS,
    "teachers.session": EDITORS,
    "teachers.findings": EDITORS,
    "teachers.add_step": EDITORS,
    "teachers.edit_step": EDITORS,
    "teachers.heatmap": {"admin", "curator", "tutor", "observer"},
    "teachers.catalogue": ALL,
    "selection.card": CARD_READERS,
    "selection.save_score": ADMIN,
    "selection.threshold": ADMIN,
    "selection.card_template": CARD_READERS,
    "selection.import_card": ADMIN,
    "selection.confirm_import": ADMIN,
    "selection.undo_import": ADMIN,
    "selection.start_card": ADMIN,
    "selection.criteria": CARD_READERS,
    "selection.edit_criterion": ADMIN,
    "selection.decision": ADMIN,
    "selection.exit_decision": ADMIN,
    "selection.context": {"admin", "curator", "tutor", "observer"},
    "selection.school_risks": ALL,
    "selection.save_risk": EDITORS,
    "selection.save_default_risk": EDITORS,
    "selection.risk_to_section": EDITORS,
    "selection.add_risk_factor": ADMIN,
    "selection.watchlist": {"admin", "curator", "tutor", "observer"},
    "exports.exports": CARD_READERS,
    "exports.start_export": CARD_READERS,
    "exports.job": CARD_READERS,
    "exports.job_file": CARD_READERS,
    "exports.programme_document": EDITORS,  # the programme's text: not for observers
    "exports.programme_xlsx": EDITORS,
    "exports.imports_page": ADMIN,
    "exports.import_template": ADMIN,
    "exports.import_upload": ADMIN,
    "dashboard.summary": ALL,
    "mechanisms.assessment": ALL,
    "mechanisms.score_row": ALL,
    "mechanisms.score_form": ADMIN,
    "mechanisms.save_score": ADMIN,
    "mechanisms.add_criterion": ADMIN,
    "mechanisms.edit_criterion": ADMIN,
    "mechanisms.cycle": ALL,
    "collab.notifications": ALL,
    "collab.mark_all_read": ALL,
    "collab.open_notification": ALL,
}
PUBLIC = {"static", "accounts.login", "accounts.setup", "dashboard.healthz", "dashboard.set_language"}

# URL parameter -> (own object key in the `demo` fixture, foreign object key)
PARAMS = {
    "org_id": ("school", "foreign_school"),
    "partnership_id": ("partnership", "foreign_partnership"),
    "user_id": ("user", "foreign_user"),
    "code": ("ru", "ru"),
    "programme_id": ("programme", "foreign_programme"),
    "task_id": ("task", "foreign_task"),
    "goal_id": ("goal", "foreign_goal"),
    "section_id": ("section", "foreign_section"),
    "indicator_id": ("indicator", "foreign_indicator"),
    "period_id": ("period", "foreign_period"),
    "attachment_id": ("attachment", "foreign_attachment"),
    "notification_id": ("notifications", "foreign_notification"),
    "visit_id": ("visit", "foreign_visit"),
    "observation_id": ("observation", "foreign_observation"),
    "rec_id": ("recommendation", "foreign_recommendation"),
    "event_id": ("event", "foreign_event"),
    "criterion_id": ("criterion", "foreign_criterion"),
    "teacher_id": ("teacher", "foreign_teacher"),
    "session_id": ("session", "foreign_session"),
    "step_id": ("step", "foreign_step"),
    "card_criterion_id": ("card_criterion", "foreign_card_criterion"),
    "factor_id": ("risk_factor", "foreign_risk_factor"),
    "year": (2026, 2026),
    "job_id": ("jobs", "foreign_job"),
    "kind": ("schools", "schools"),
    "assessment_criterion_id": ("assessment_criterion", "foreign_assessment_criterion"),
    "field": ("main_idea", "main_idea"),
    "direction": ("up", "up"),
    "token": ("no-such-token", "no-such-token"),
}
LITERAL = {"code", "field", "direction", "year", "kind", "token"}  # parameters that are not object ids


def _rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


def _url(rule, demo, which, role="admin"):
    values = {}
    for arg in rule.arguments:
        own, foreign = PARAMS[arg]
        key = own if which == "own" else foreign
        value = demo[key] if key in demo else key
        values[arg] = value[role] if isinstance(value, dict) else value
    return rule.build(values)[1]


def test_every_rule_is_covered(app):
    for rule in _rules(app):
        assert rule.endpoint in ACCESS or rule.endpoint in PUBLIC, f"{rule.endpoint} has no access entry"
        for arg in rule.arguments:
            assert arg in PARAMS, f"{rule.endpoint}: parameter {arg} has no own/foreign ids"


def test_anonymous_is_sent_to_login(client, app, demo):
    for rule in _rules(app):
        if rule.endpoint in PUBLIC:
            continue
        url = _url(rule, demo, "own")
        method = "GET" if "GET" in rule.methods else "POST"
        resp = client.open(url, method=method)
        if method == "POST":
            assert resp.status_code in (302, 400), (url, resp.status_code)  # CSRF refuses first
        else:
            assert resp.status_code == 302 and "/login" in resp.headers["Location"], url
        hx = client.get(url, headers={"HX-Request": "true"}) if method == "GET" else None
        if hx is not None:
            assert hx.status_code == 401 and hx.headers["HX-Redirect"].endswith("/login")


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(role, login_as, app, demo):
    """Every rule for the role, own and foreign objects. Nothing it does may write: GETs never
    write (issue 13; `presence`, who has a page open, is the one table reading fills) and
    refused POSTs write nothing — checked per POST and for the whole walk."""
    auth = login_as(role)
    walk_before = _data_tables(app)
    for rule in _rules(app):
        if rule.endpoint in PUBLIC - {"dashboard.set_language"}:
            continue
        allowed = role in ACCESS[rule.endpoint]
        own_url, foreign_url = _url(rule, demo, "own", role), _url(rule, demo, "foreign", role)
        if "GET" in rule.methods:
            resp = auth.client.get(own_url)
            if allowed:
                # Inline fragments answer plain (no-JavaScript) requests with a redirect to their page.
                assert resp.status_code in (200, 302, 303), (role, own_url, resp.status_code)
                resp = auth.client.get(own_url, headers={"HX-Request": "true"})
                assert resp.status_code in (200, 204, 302), (role, own_url, resp.status_code)
            else:
                assert resp.status_code in (403, 404), (role, own_url, resp.status_code)
            if rule.arguments - LITERAL:
                resp = auth.client.get(foreign_url)
                assert resp.status_code == 404, (role, foreign_url, resp.status_code)
        if "POST" in rule.methods:
            denied_urls = ([] if allowed else [own_url]) + ([foreign_url] if rule.arguments - LITERAL else [])
            for url in denied_urls:
                before = database_fingerprint(app)
                resp = auth.post(url, data={"short_name": "x", "password": "Hacked123456"})
                assert resp.status_code in (403, 404), (role, url, resp.status_code)
                assert database_fingerprint(app) == before, (role, url, "wrote despite refusal")
    walk_after = _data_tables(app)
    assert [t for t in walk_before if walk_before[t] != walk_after[t]] == [], (role, "a GET wrote")


def _data_tables(app):
    return {table: value for table, value in database_fingerprint(app).items() if table != "presence"}


def test_school_sees_only_its_own_organisation(login_as, demo):
    auth = login_as("school")
    assert auth.client.get(f"/orgs/{demo['school']}").status_code == 200
    assert auth.client.get(f"/orgs/{demo['plain_school']}").status_code == 403
    page = auth.client.get("/orgs").get_data(as_text=True)
    assert "Павловская СОШ" in page and "Гляденская СОШ" not in page


def test_partnership_visibility_follows_the_partnership(login_as, demo):
    # The demo tutor (Преображенская) supports Павловская, not Сережская.
    tutor = login_as("tutor")
    assert tutor.client.get(f"/partnerships/{demo['partnership']}").status_code == 200
    assert tutor.client.get(f"/partnerships/{demo['other_partnership']}").status_code == 403
    # The demo curator curates Павловская and Сахаптинская, not Сережская.
    curator = login_as("curator")
    assert curator.client.get(f"/partnerships/{demo['other_partnership']}").status_code == 403
    listing = curator.client.get("/partnerships").get_data(as_text=True)
    assert "Павловская СОШ" in listing and "Сережская ООШ" not in listing


def test_nobody_sees_another_municipality_in_lists(login_as):
    for role in ROLES:
        auth = login_as(role)
        for url in ("/", "/orgs", "/partnerships"):
            page = auth.client.get(url).get_data(as_text=True)
            assert "СОШ № 22" not in page and "Райчихинск" not in page, (role, url)
