import io
import re
import zipfile

import openpyxl
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.teachers.models import DeficitArea, DeficitFinding, DiagnosticSession, RouteStep, Teacher
from app.teachers.services import category_shares, heatmap
from helpers import database_fingerprint, xlsx


def _areas(app, municipality_id):
    from app.teachers.services import catalogue

    with app.app_context():
        return {code: [a.id for a in areas] for code, areas in catalogue(municipality_id).items()}


def _add_teachers(app, school_id, names):
    with app.app_context():
        m = db.session.scalar(sa.text("SELECT municipality_id FROM organisation WHERE id = :i").bindparams(i=school_id))
        teachers = [Teacher(municipality_id=m, school_id=school_id, full_name=n) for n in names]
        db.session.add_all(teachers)
        db.session.commit()
        return [t.id for t in teachers]


def _session(auth, school_id, day):
    resp = auth.post(f"/schools/{school_id}/sessions", data={"session-session_date": day, "session-method": "test",
                                                             "session-conducted_by": "ЦНППМ"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    return int(resp.headers["Location"].rsplit("/", 1)[1])


def _record(auth, session_id, teacher_id, levels):
    """levels: {area_id: level}; other areas 'none'. Versions are read from the form as a browser would."""
    page = auth.client.get(f"/diagnostics/{session_id}/teachers/{teacher_id}").get_data(as_text=True)
    versions = dict(re.findall(r'name="version-(\d+)" value="(\d+)"', page))
    data = {f"level-{a}": levels.get(int(a), "none") for a in versions}
    data.update({f"version-{a}": v for a, v in versions.items()})
    return auth.post(f"/diagnostics/{session_id}/teachers/{teacher_id}", data=data)


def test_two_sessions_give_before_after_and_shares(app, login_as, demo):
    school = login_as("school")
    areas = _areas(app, demo["municipality"])
    subject, methodical = areas["subject"][0], areas["methodical"][0]
    ids = _add_teachers(app, demo["plain_school"], ["Алексеева А. А.", "Борисов Б. Б.", "Васильева В. В.",
                                                    "Григорьев Г. Г."])
    admin = login_as("admin")  # Гляденская has no partnership: its team would be the school, here the admin
    first = _session(admin, demo["plain_school"], "2025-10-01")
    second = _session(admin, demo["plain_school"], "2026-04-01")
    before = [{subject: "significant", methodical: "partial"}, {subject: "partial"}, {methodical: "significant"}, {}]
    after = [{subject: "partial"}, {}, {}, {}]
    for teacher_id, lv_before, lv_after in zip(ids, before, after):
        assert _record(admin, first, teacher_id, lv_before).status_code == 302
        assert _record(admin, second, teacher_id, lv_after).status_code == 302
    with app.app_context():
        shares = category_shares([first, second])
    assert shares[first]["n"] == 4 and shares[first]["subject"] == 0.5 and shares[first]["methodical"] == 0.5
    assert shares[second]["subject"] == 0.25 and shares[second]["methodical"] == 0.0
    assert shares[first]["metasubject"] == 0.0
    card = admin.client.get(f"/teachers/{ids[0]}").get_data(as_text=True)
    assert "значительно → частично" in card and "частично → нет" in card
    page = admin.client.get(f"/schools/{demo['plain_school']}/teachers").get_data(as_text=True)
    assert "50%" in page and "25%" in page
    # The form of the second session shows the level of the first beside each area.
    form = admin.client.get(f"/diagnostics/{second}/teachers/{ids[0]}").get_data(as_text=True)
    assert "было: значительно" in form
    assert school.client.get(f"/diagnostics/{first}").status_code == 403  # not the school's own


def test_observer_sees_the_heat_map_but_no_teacher(app, login_as, demo):
    observer = login_as("observer")
    page = observer.client.get("/diagnostics/heatmap").get_data(as_text=True)
    assert "Павловская СОШ" in page and "Сережская ООШ" in page
    row = page.split("Сахаптинская СОШ", 1)[1].split("</tr>", 1)[0]
    assert "скрыто" in row and "%" not in row  # two teachers only: suppressed
    assert "Белова" not in page and "/teachers/" not in page
    with app.app_context():
        teacher = db.session.scalar(sa.select(Teacher.id).where(Teacher.school_id == demo["school"]))
        finding_session = db.session.scalar(sa.select(DiagnosticSession.id).where(
            DiagnosticSession.school_id == demo["school"]))
    for url in (f"/teachers/{teacher}", f"/schools/{demo['school']}/teachers", f"/diagnostics/{finding_session}",
                f"/diagnostics/{finding_session}/teachers/{teacher}", f"/teachers/{demo['foreign_teacher']}"):
        assert observer.client.get(url).status_code in (403, 404), url
    with app.app_context():
        rows = {r["school"].short_name: r for r in heatmap(demo["municipality"])}
    assert rows["Сахаптинская СОШ"]["suppressed"] and rows["Сахаптинская СОШ"]["shares"]["subject"] is None
    assert not rows["Сережская ООШ"]["suppressed"] and rows["Сережская ООШ"]["n"] == 4


def test_findings_conflict_writes_nothing(app, login_as, demo):
    school, tutor = login_as("school"), login_as("tutor")
    with app.app_context():
        session = db.session.scalar(sa.select(DiagnosticSession.id).where(DiagnosticSession.school_id == demo["school"])
                                    .order_by(DiagnosticSession.session_date.desc()))
    teacher = demo["teacher"]
    page = tutor.client.get(f"/diagnostics/{session}/teachers/{teacher}").get_data(as_text=True)
    versions = dict(re.findall(r'name="version-(\d+)" value="(\d+)"', page))
    first_area = next(iter(versions))
    assert _record(school, session, teacher, {int(first_area): "significant"}).status_code == 302
    data = {f"level-{a}": "partial" for a in versions}
    data.update({f"version-{a}": v for a, v in versions.items()})
    before = database_fingerprint(app)
    resp = tutor.post(f"/diagnostics/{session}/teachers/{teacher}", data=data)
    assert resp.status_code == 409 and "изменил другой участник" in resp.get_data(as_text=True)
    assert database_fingerprint(app) == before


def _xlsx(rows, headers=("ФИО", "Должность", "Предметы", "Стаж, лет", "Квалификационная категория",
                         "Совместитель (да/нет)")):
    return xlsx(headers, rows)


def _import(auth, school_id, payload, name="teachers.xlsx"):
    return auth.post(f"/schools/{school_id}/teachers/import", data={"file": (payload, name)},
                     content_type="multipart/form-data")


def test_teacher_template_imports(app, login_as, demo):
    school = login_as("school")
    resp = school.client.get("/teachers/template.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(resp.data))
    assert book.sheetnames == ["Педагоги", "Инструкция"]
    sheet = book["Педагоги"]
    assert [c.value for c in sheet[1]] == ["ФИО", "Должность", "Предметы", "Стаж, лет", "Квалификационная категория",
                                           "Совместитель (да/нет)"]
    sheet.append(["Петров Пётр Петрович", "учитель", "физика", 3, "первая", "да"])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    resp = _import(school, demo["school"], buffer)
    assert resp.status_code == 302
    with app.app_context():
        names = set(db.session.scalars(sa.select(Teacher.full_name).where(Teacher.school_id == demo["school"])))
        petrov = db.session.scalar(sa.select(Teacher).where(Teacher.full_name == "Петров Пётр Петрович"))
    assert "Петров Пётр Петрович" in names
    assert "Иванова Мария Петровна" not in names  # the example sits on the instructions sheet, never imported
    assert petrov.is_part_time and petrov.experience_years == 3 and petrov.category == "первая"


def test_bad_teacher_rows_import_nothing_and_name_row_and_column(app, login_as, demo):
    school = login_as("school")
    rows = [("Орлова Ольга Олеговна", "учитель", "химия", 5, "первая", "нет"),
            ("Смирнов Семён Семёнович", "учитель", "история", 7, "супервысшая", "нет"),
            ("", "учитель", "музыка", 2, "", ""),
            ("Орлова Ольга Олеговна", "учитель", "биология", "много", "", "может быть")]
    before = database_fingerprint(app)
    resp = _import(school, demo["school"], _xlsx(rows))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Ничего не загружено" in html
    assert "Строка 3, столбец «Квалификационная категория»: неизвестная категория «супервысшая»" in html
    assert "Строка 4, столбец «ФИО»: не заполнено" in html
    assert "Строка 5, столбец «ФИО»: повторяет строку 2" in html
    assert "Строка 5, столбец «Стаж, лет»" in html and "Строка 5, столбец «Совместитель (да/нет)»" in html
    assert database_fingerprint(app) == before


@pytest.mark.parametrize("payload,name,message", [
    (b"just text", "teachers.xlsx", "формате .xlsx"),
    (b"%PDF-1.4", "teachers.pdf", "формате .xlsx"),
    (None, "teachers.xlsx", "распаковывается"),  # zip bomb
    (b"PK\x03\x04broken", "teachers.xlsx", "формате .xlsx"),
    ("wrong-headers", "teachers.xlsx", "Заголовки"),
])
def test_hostile_files_are_refused_cleanly(app, login_as, demo, payload, name, message):
    school = login_as("school")
    if payload is None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("xl/workbook.xml", "<x/>")
            archive.writestr("xl/bomb.xml", b"0" * (70 * 1024 * 1024))
        payload = buffer.getvalue()
    elif payload == "wrong-headers":
        payload = _xlsx([("a", "b")], headers=("Фамилия", "Имя")).getvalue()
    before = database_fingerprint(app)
    resp = _import(school, demo["school"], io.BytesIO(payload), name)
    assert resp.status_code == 422 and message in resp.get_data(as_text=True)
    assert database_fingerprint(app) == before


def test_archived_teacher_keeps_history(app, login_as, demo):
    school = login_as("school")
    with app.app_context():
        teacher = db.session.get(Teacher, demo["teacher"])
        version = teacher.version
        findings = db.session.scalar(sa.select(sa.func.count()).select_from(DeficitFinding).where(
            DeficitFinding.teacher_id == teacher.id))
    assert school.post(f"/teachers/{teacher.id}/archive", data={"version": version}).status_code == 302
    with app.app_context():
        archived = db.session.get(Teacher, demo["teacher"])
        assert archived.is_archived and db.session.scalar(sa.select(sa.func.count()).select_from(DeficitFinding).where(
            DeficitFinding.teacher_id == teacher.id)) == findings
    page = school.client.get(f"/schools/{demo['school']}/teachers").get_data(as_text=True)
    assert "Архив (уволившиеся)" in page


def test_route_step_linked_to_deficits_and_a_programme_task(app, login_as, demo):
    tutor = login_as("tutor")
    areas = _areas(app, demo["municipality"])
    page = tutor.client.get(f"/teachers/{demo['teacher']}").get_data(as_text=True)
    task_option = re.search(r'<select id="step-task_id".*?<option value="([1-9]\d*)">', page, re.S)
    assert task_option, "tasks of the programme's sections 2–3 are offered"
    resp = tutor.post(f"/teachers/{demo['teacher']}/steps", data={
        "step-kind": "mentoring", "step-title": "Наставничество: смысловое чтение на уроках",
        "step-deadline": "2027-03-01",
        "step-provider": "Преображенская СОШ", "step-status": "planned",
        "step-areas": [areas["metasubject"][0], areas["methodical"][0]], "step-task_id": task_option.group(1)})
    assert resp.status_code == 302
    with app.app_context():
        step = db.session.scalar(sa.select(RouteStep).where(RouteStep.title.like("Наставничество: смысловое%")))
        assert {a.id for a in step.areas} == {areas["metasubject"][0], areas["methodical"][0]}
        assert step.task_id == int(task_option.group(1))


def test_catalogue_is_editable_by_the_admin_only(app, login_as, demo):
    curator = login_as("curator")
    assert curator.post("/diagnostics/catalogue", data={"category": "subject", "name": "x"}).status_code == 403
    admin = login_as("admin")
    assert admin.post("/diagnostics/catalogue", data={"category": "subject",
                                                      "name": "работа с одарёнными детьми"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(DeficitArea.id).where(DeficitArea.name == "работа с одарёнными детьми"))


def test_one_query_answer_for_lists_matches_the_per_school_rule(app, login_as):
    """orgs.access.schools_with_visible_people (one query, for lists) and school_role (per
    school) must agree for every role and school."""
    from app.accounts.models import User
    from app.orgs.access import school_role, schools_with_visible_people
    from app.orgs.models import Organisation

    with app.app_context():
        schools = db.session.scalars(sa.select(Organisation).where(Organisation.kind == "school",
                                                                   Organisation.municipality_id == 1)).all()
        for role in ("admin", "curator", "tutor", "school", "observer"):
            user = db.session.scalar(sa.select(User).where(User.email == f"{role}@opora.demo"))
            expected = {s.id for s in schools if school_role(user, s.id)}
            assert schools_with_visible_people(user) == expected, role
            assert (role == "observer") == (not expected)


def test_route_step_edit_saves_its_deficits_and_a_stale_form_changes_nothing(app, login_as, demo):
    tutor = login_as("tutor")
    areas = _areas(app, demo["municipality"])
    with app.app_context():
        version = db.session.get(RouteStep, demo["step"]).version
    form = {f"step{demo['step']}-{k}": v for k, v in {
        "kind": "course", "title": "Курсы ПК: функциональная грамотность", "status": "in_progress",
        "areas": [areas["subject"][0]], "task_id": "0", "version": str(version)}.items()}
    page = f"/teachers/{demo['teacher']}#route"
    resp = tutor.post(f"/steps/{demo['step']}", data=form)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(page)
    with app.app_context():
        step = db.session.get(RouteStep, demo["step"])
        assert step.status == "in_progress" and [a.id for a in step.areas] == [areas["subject"][0]]
    # The same form again (its version is now old), with other deficits: a 303 back with the
    # warning, and neither the fields nor the deficits change.
    before = database_fingerprint(app)
    stale = dict(form, **{f"step{demo['step']}-areas": [areas["methodical"][0]],
                          f"step{demo['step']}-status": "done"})
    resp = tutor.post(f"/steps/{demo['step']}", data=stale)
    assert resp.status_code == 303 and resp.headers["Location"].endswith(page)
    with tutor.client.session_transaction() as session:
        assert [c for c, _m in session.get("_flashes", [])] == ["warning"]
    assert database_fingerprint(app) == before


def test_labels_are_translated_when_shown_and_cover_every_code():
    from flask_babel import LazyString

    from app import catalogue
    from app.teachers import services
    from app.teachers.models import CATEGORIES, LEVELS, METHODS, STEP_KINDS, STEP_STATUSES

    assert list(services.CATEGORY_NAMES) == [c["code"] for c in catalogue.DEFICIT_CATEGORIES]
    assert [str(n) for n in services.CATEGORY_NAMES.values()] == [c["name"] for c in catalogue.DEFICIT_CATEGORIES]
    for names, codes in ((services.LEVEL_NAMES, LEVELS), (services.METHOD_NAMES, METHODS),
                         (services.STEP_KIND_NAMES, STEP_KINDS), (services.STEP_STATUS_NAMES, STEP_STATUSES),
                         (services.QUALIFICATION_NAMES, CATEGORIES)):
        assert tuple(names) == codes
        assert all(isinstance(name, LazyString) for name in names.values())
