"""Teachers of a school, diagnostic sessions, findings, individual routes, the heat map."""

from flask import abort, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import imports, policy
from ..activity.services import history_of
from ..editing import Conflict
from ..forms import Form, form_errors
from ..htmx import refused, render
from ..orgs.access import schools_with_visible_context, schools_with_visible_people, works_with_school
from ..orgs.models import Organisation
from ..timeutil import today
from ..versioning import parse_version
from . import bp, services
from .forms import AreaForm, ImportForm, SessionForm, StepForm, TeacherForm
from .models import LEVELS, DiagnosticSession, RouteStep, Teacher


def _school(org_id):
    """The school whose people the user may see (its team, curator, tutor school, admin)."""
    school = policy.load(Organisation, org_id, "view")
    if not school.is_school or not works_with_school(school):
        abort(403)
    return school


def _names():
    return {"category_names": services.CATEGORY_NAMES, "level_names": services.LEVEL_NAMES,
            "method_names": services.METHOD_NAMES, "step_kind_names": services.STEP_KIND_NAMES,
            "step_status_names": services.STEP_STATUS_NAMES, "qualification_names": services.QUALIFICATION_NAMES}


def _session_form():
    form = SessionForm(prefix="session")
    form.method.choices = list(services.METHOD_NAMES.items())
    return form


def _school_page(school, status=200, import_form=None, **extra):
    sessions, shares = services.school_dynamics(school.id)
    return render("teachers/school.html", status=status, school=school, teachers=services.teachers_of(school.id),
                  archived=services.teachers_of(school.id, archived=True), sessions=sessions, shares=shares,
                  teacher_form=TeacherForm(prefix="teacher"), import_form=import_form or ImportForm(),
                  session_form=_session_form(), min_group=services.MIN_GROUP, **_names(), **extra)


@bp.get("/schools/<int:org_id>/teachers")
def school(org_id):
    return _school_page(_school(org_id))


@bp.post("/schools/<int:org_id>/teachers")
def add_teacher(org_id):
    school = _school(org_id)
    form = TeacherForm(prefix="teacher")
    if not form.validate_on_submit():
        return refused(url_for("teachers.school", org_id=school.id), form_errors(form))
    teacher = services.add_teacher(current_user, school, {f: getattr(form, f).data for f in services.TEACHER_FIELDS})
    flash(_("Педагог %(n)s добавлен.", n=teacher.full_name), "success")
    return redirect(url_for("teachers.school", org_id=school.id))


@bp.get("/teachers/template.xlsx")
def teachers_template():
    policy.require("view")
    return send_file(services.teachers_template(), as_attachment=True, download_name="opora-pedagogi-shablon.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.post("/schools/<int:org_id>/teachers/import")
def import_teachers(org_id):
    school = _school(org_id)
    form = ImportForm()
    count, errors = imports.run(form, lambda file: services.import_teachers(current_user, school, file))
    if not errors:
        flash(_("Загружено педагогов: %(n)s.", n=count), "success")
        return redirect(url_for("teachers.school", org_id=school.id))
    return _school_page(school, 422, import_form=form, import_errors=errors)


def _step_form(teacher, obj=None):
    form = StepForm(prefix="step") if obj is None else StepForm(prefix=f"step{obj.id}")
    form.kind.choices = list(services.STEP_KIND_NAMES.items())
    form.status.choices = list(services.STEP_STATUS_NAMES.items())
    form.areas.choices = [(a.id, f"{services.CATEGORY_NAMES[c]}: {a.name}")
                          for c, areas in services.catalogue(teacher.municipality_id).items() for a in areas]
    form.task_id.choices = [(0, "—")] + [(t.id, t.title[:90]) for t in services.route_tasks(teacher)]
    if obj is not None and request.method == "GET":
        form.process(obj=obj)
        form.areas.data = [a.id for a in obj.areas]
        form.task_id.data = obj.task_id or 0
        form.version.data = obj.version
    return form


def _step_data(form):
    data = {f: getattr(form, f).data for f in services.STEP_FIELDS}
    # A field a hand-made post leaves out is empty, as the page would send it.
    return dict(data, task_id=data["task_id"] or None, provider=data["provider"] or "")


@bp.get("/teachers/<int:teacher_id>")
def teacher(teacher_id):
    teacher = policy.load(Teacher, teacher_id, "view")
    sessions, by_area = services.teacher_dynamics(teacher)
    form = TeacherForm(obj=teacher, prefix="teacher")
    form.version.data = teacher.version
    steps = services.steps_of(teacher)
    return render("teachers/teacher.html", teacher=teacher, sessions=sessions, by_area=by_area,
                  catalogue=services.catalogue(teacher.municipality_id), form=form, steps=steps,
                  step_form=_step_form(teacher), step_forms={s.id: _step_form(teacher, s) for s in steps},
                  history=history_of(teacher), today=today(), **_names())


@bp.post("/teachers/<int:teacher_id>/edit")
def edit_teacher(teacher_id):
    teacher = policy.load(Teacher, teacher_id, "edit")
    form = TeacherForm(prefix="teacher")
    page = url_for("teachers.teacher", teacher_id=teacher.id)
    if not form.validate_on_submit():
        return refused(page, form_errors(form))
    try:
        services.save_teacher(current_user, teacher, {f: getattr(form, f).data for f in services.TEACHER_FIELDS},
                              form.version.data)
    except Conflict:
        return refused(page, _("Карточку педагога уже изменил другой участник: ниже текущие данные. "
                                "Внесите правку заново."), "warning")
    flash(_("Сохранено."), "success")
    return redirect(url_for("teachers.teacher", teacher_id=teacher.id))


@bp.post("/teachers/<int:teacher_id>/archive")
def archive_teacher(teacher_id):
    teacher = policy.load(Teacher, teacher_id, "edit")
    try:
        services.set_archived(current_user, teacher, not teacher.is_archived, request.form.get("version"))
    except Conflict:
        return refused(url_for("teachers.teacher", teacher_id=teacher.id),
                        _("Карточку педагога уже изменил другой участник."), "warning")
    flash(_("Педагог в архиве: его история сохранена.") if teacher.is_archived else _("Педагог снова в списке."),
          "success")
    return redirect(url_for("teachers.school", org_id=teacher.school_id))


@bp.post("/schools/<int:org_id>/sessions")
def add_session(org_id):
    school = _school(org_id)
    form = _session_form()
    if not form.validate_on_submit():
        return refused(url_for("teachers.school", org_id=school.id), form_errors(form))
    session = services.create_session(current_user, school, {"session_date": form.session_date.data,
                                                             "method": form.method.data,
                                                             "conducted_by": form.conducted_by.data})
    return redirect(url_for("teachers.session", session_id=session.id))


@bp.get("/diagnostics/<int:session_id>")
def session(session_id):
    session = policy.load(DiagnosticSession, session_id, "view")
    shares = services.category_shares([session.id])[session.id]
    return render("teachers/session.html", session=session, teachers=services.teachers_of(session.school_id),
                  assessed=services.assessed_in(session.id), shares=shares, **_names())


@bp.route("/diagnostics/<int:session_id>/teachers/<int:teacher_id>", methods=["GET", "POST"])
def findings(session_id, teacher_id):
    session = policy.load(DiagnosticSession, session_id, "edit")
    teacher = policy.load(Teacher, teacher_id, "edit")
    if teacher.school_id != session.school_id:
        abort(404)
    catalogue = services.catalogue(session.municipality_id)
    areas = [a for group in catalogue.values() for a in group]
    current = services.findings_of(session.id, teacher.id)
    previous = services.previous_session(session)
    before = services.findings_of(previous.id, teacher.id) if previous else {}
    status, conflict, submitted = 200, None, {}
    if request.method == "POST":
        if not Form().validate_on_submit():  # the CSRF token: the fields are read one by one below
            abort(400)
        values, versions, errors = {}, {}, []
        for area in areas:
            level = request.form.get(f"level-{area.id}", "none")
            note = (request.form.get(f"note-{area.id}") or "").strip()
            if level not in LEVELS or len(note) > 1000:
                errors.append(area.name)
                continue
            values[area.id] = (level, note)
            versions[area.id] = parse_version(request.form.get(f"version-{area.id}", "0"))  # else 400
        submitted = values
        if errors:
            status = 422
            flash(_("Проверьте уровни и заметки (заметка — до 1000 символов): %(a)s", a="; ".join(errors)), "error")
        else:
            try:
                services.save_findings(current_user, session, teacher, values, versions)
            except Conflict as exc:
                status, conflict = 409, exc
                current = services.findings_of(session.id, teacher.id)
            else:
                flash(_("Результаты диагностики сохранены."), "success")
                return redirect(url_for("teachers.teacher", teacher_id=teacher.id, _anchor="dynamics"))
    return render("teachers/findings.html", status=status, session=session, teacher=teacher, catalogue=catalogue,
                  current=current, before=before, previous=previous, conflict=conflict, submitted=submitted,
                  levels=LEVELS, **_names())


@bp.post("/teachers/<int:teacher_id>/steps")
def add_step(teacher_id):
    teacher = policy.load(Teacher, teacher_id, "edit")
    form = _step_form(teacher)
    if not form.validate_on_submit():
        return refused(url_for("teachers.teacher", teacher_id=teacher.id, _anchor="route"), form_errors(form))
    data = _step_data(form)
    services.add_step(current_user, teacher, data, services.areas_by_id(teacher.municipality_id, form.areas.data))
    flash(_("Шаг индивидуального маршрута добавлен."), "success")
    return redirect(url_for("teachers.teacher", teacher_id=teacher.id, _anchor="route"))


@bp.post("/steps/<int:step_id>")
def edit_step(step_id):
    step = policy.load(RouteStep, step_id, "edit")
    teacher = step.teacher
    form = _step_form(teacher, step)
    page = url_for("teachers.teacher", teacher_id=teacher.id, _anchor="route")
    if not form.validate_on_submit():
        return refused(page, form_errors(form))
    data = _step_data(form)
    try:
        services.save_step(current_user, step, data, services.areas_by_id(teacher.municipality_id, form.areas.data),
                           form.version.data)
    except Conflict:
        return refused(page, _("Шаг маршрута уже изменил другой участник: ниже текущие данные."), "warning")
    return redirect(page)


@bp.get("/diagnostics/heatmap")
def heatmap():
    policy.require("compare_schools")
    visible = schools_with_visible_context()  # a tutor school: its own schools, not the municipality's
    rows = [r for r in services.heatmap(current_user.municipality_id) if r["school"].id in visible]
    return render("teachers/heatmap.html", rows=rows,
                  people_visible=schools_with_visible_people(),
                  min_group=services.MIN_GROUP, **_names())


@bp.route("/diagnostics/catalogue", methods=["GET", "POST"])
def catalogue():
    municipality = policy.require("view")
    form = AreaForm()
    form.category.choices = list(services.CATEGORY_NAMES.items())
    if request.method == "POST":
        policy.require("manage")
        if form.validate_on_submit():
            services.add_area(municipality.id, form.category.data, form.name.data)
            return redirect(url_for("teachers.catalogue"))
    return render("teachers/catalogue.html", catalogue=services.catalogue(municipality.id), form=form,
                  status=422 if request.method == "POST" else 200, **_names())
