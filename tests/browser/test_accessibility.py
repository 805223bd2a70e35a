"""axe-core (from npm, served as /static/vendor/axe.min.js) on the main pages of every role:
no serious or critical violations.

axe is injected by URL (same origin, so the strict CSP allows it), never as inline content.
"""
import pytest
import sqlalchemy as sa

ROLES = ("admin", "curator", "tutor", "school", "observer")
ALL = set(ROLES)
EDITORS = {"admin", "curator", "tutor", "school"}
NOT_SCHOOL = {"admin", "curator", "tutor", "observer"}
CARD_READERS = {"admin", "curator", "observer"}

# path (with {placeholders} filled from the `ids` fixture) -> roles that open it (see tests/test_access.py ACCESS)
PAGES = {
    "/": ALL,
    "/dashboard": ALL,
    "/programmes": ALL,
    "/programmes/{programme}": ALL,
    "/tasks/{task}": ALL,
    "/visits": ALL,
    "/visits/{visit}": ALL,
    "/events": ALL,
    "/schools/{school}/teachers": EDITORS,
    "/teachers/{teacher}": EDITORS,
    "/diagnostics/heatmap": NOT_SCHOOL,
    "/selection": CARD_READERS,
    "/mechanisms": ALL,
    "/mechanisms/cycle": ALL,
    "/orgs": ALL,
    "/admin/users": {"admin"},
    "/notifications": ALL,
    "/exports": CARD_READERS,
    "/watchlist": NOT_SCHOOL,
}

AXE_RUN = """async () => (await axe.run(document, {resultTypes: ['violations']})).violations.map(v => ({
    id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5), help: v.help}))"""
BLOCKING = {"serious", "critical"}
SCHEMES = ("light", "dark")  # Pico follows the system colour scheme: both must pass
OPEN_DETAILS = "() => document.querySelectorAll('details').forEach(d => { d.open = true; })"
# Pico animates colours (0.2 s): jump to the end, a half-faded button would read as a contrast failure.
SETTLE = """async () => {
    await new Promise(requestAnimationFrame);
    document.getAnimations().forEach(a => a.finish());
}"""


@pytest.fixture
def ids(app):
    """The demo objects of Павловская СОШ: its programme, a task, a visit, a teacher."""
    from app.extensions import db
    from app.orgs.models import Organisation, Partnership
    from app.programmes.models import Programme, Task
    from app.teachers.models import Teacher
    from app.visits.models import Visit

    with app.app_context():
        school = db.session.scalar(sa.select(Organisation.id).where(Organisation.short_name == "Павловская СОШ"))
        partnership = db.session.scalar(sa.select(Partnership.id).where(Partnership.school_id == school))
        programme = db.session.scalar(sa.select(Programme.id).where(Programme.partnership_id == partnership))
        return {
            "school": school,
            "programme": programme,
            "task": db.session.scalar(sa.select(Task.id).where(Task.programme_id == programme).order_by(Task.id)),
            "visit": db.session.scalar(sa.select(Visit.id).where(Visit.partnership_id == partnership)
                                       .order_by(Visit.id)),
            "teacher": db.session.scalar(sa.select(Teacher.id).where(Teacher.school_id == school)
                                         .order_by(Teacher.id)),
        }


def _serious_violations(page, live_server):
    """axe on the current page with every <details> open (the forms inside count too), in both colour schemes."""
    page.wait_for_load_state("load")
    page.add_script_tag(url=f"{live_server}/static/vendor/axe.min.js")
    page.evaluate(OPEN_DETAILS)
    found = []
    for scheme in SCHEMES:
        page.emulate_media(color_scheme=scheme)
        page.evaluate(SETTLE)
        found += [dict(v, scheme=scheme) for v in page.evaluate(AXE_RUN) if v["impact"] in BLOCKING]
    return found


def _report(found):
    lines = []
    for path, violations in found.items():
        for v in violations:
            lines.append(f"{path} ({v['scheme']}): [{v['impact']}] {v['id']} — {v['help']}: {', '.join(v['nodes'])}")
    return "\n".join(lines)


def test_login_page_has_no_serious_violations(page, live_server):
    page.goto(f"{live_server}/login")
    violations = _serious_violations(page, live_server)
    assert not violations, _report({"/login": violations})


@pytest.mark.parametrize("role", ROLES)
def test_main_pages_have_no_serious_violations(browser, login, live_server, ids, role):
    context = browser.new_context()
    page = login(context.new_page(), role)
    found = {}
    try:
        for template, roles in PAGES.items():
            if role not in roles:
                continue
            path = template.format(**ids)
            response = page.goto(f"{live_server}{path}")
            assert response.ok, f"{path}: HTTP {response.status} for {role}"
            violations = _serious_violations(page, live_server)
            if violations:
                found[path] = violations
    finally:
        context.close()
    assert not found, f"{role}:\n" + _report(found)
