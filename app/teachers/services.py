"""Teachers, diagnostic sessions, deficit findings, dynamics, heat map, individual routes."""
from collections import defaultdict

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from .. import catalogue as regulations
from .. import imports
from ..activity.labels import N_
from ..activity.services import record
from ..editing import create, first_save, save_changes
from ..extensions import db
from ..orgs.models import Partnership
from ..programmes.models import Programme, Section, Task
from ..versioning import Conflict, check_version, stale_as_conflict
from .models import CATEGORIES, DEFICIT_CATEGORIES, DeficitArea, DeficitFinding, DiagnosticSession, RouteStep, Teacher

# Labels in the reader's language (lazy: built when shown). The categories are those of
# regulations.DEFICIT_CATEGORIES, in its order.
CATEGORY_NAMES = {"subject": _l("предметные"), "metasubject": _l("метапредметные"),
                  "methodical": _l("методические"), "psychological": _l("психолого-педагогические")}
LEVEL_NAMES = {"none": _l("нет"), "partial": _l("частично"), "significant": _l("значительно")}
METHOD_NAMES = {"test": _l("тестирование"), "lesson_observation": _l("наблюдение уроков"),
                "self_assessment": _l("самооценка"), "external": _l("внешние результаты (ЦНППМ и др.)")}
STEP_KIND_NAMES = {"course": _l("курсы повышения квалификации"),
                   "mentoring": _l("наставничество педагога школы-тьютора"), "seminar": _l("семинар"),
                   "self_study": _l("самообразование"), "open_lesson": _l("открытый урок"), "other": _l("другое")}
STEP_STATUS_NAMES = {"planned": _l("запланировано"), "in_progress": _l("выполняется"), "done": _l("выполнено"),
                     "cancelled": _l("отменено")}
# Qualification categories are stored as the regulation words them (models.CATEGORIES).
QUALIFICATION_NAMES = {"высшая": _l("высшая"), "первая": _l("первая"),
                       "соответствие занимаемой должности": _l("соответствие занимаемой должности"),
                       "без категории": _l("без категории")}
TEACHER_FIELDS = ("full_name", "position", "subjects", "experience_years", "category", "is_part_time")
STEP_FIELDS = ("kind", "title", "deadline", "provider", "status", "task_id")
MIN_GROUP = 3  # aggregates over fewer teachers are not shown to wider audiences
IMPORT_HEADERS = ("ФИО", "Должность", "Предметы", "Стаж, лет", "Квалификационная категория", "Совместитель (да/нет)")


# --- Catalogue ------------------------------------------------------------------------

def catalogue(municipality_id):
    """Active areas by category. Only reads: the default catalogue (seed 002) is written when
    the municipality is provisioned (create_default_catalogue), never by a page."""
    areas = db.session.scalars(select(DeficitArea).where(
        DeficitArea.municipality_id == municipality_id, DeficitArea.is_active.is_(True))
        .order_by(DeficitArea.position)).all()
    grouped = {code: [] for code in DEFICIT_CATEGORIES}
    for area in areas:
        grouped.setdefault(area.category, []).append(area)
    return grouped


def create_default_catalogue(municipality_id):
    """Seed 002's deficit areas for a municipality that has none yet (flushes, never commits)."""
    if db.session.scalar(select(DeficitArea.id).where(DeficitArea.municipality_id == municipality_id)
                         .limit(1)) is not None:
        return False
    position = 0
    for category in regulations.DEFICIT_CATEGORIES:
        for name in category["areas"]:
            position += 1
            db.session.add(DeficitArea(municipality_id=municipality_id, category=category["code"], name=name,
                                       position=position))
    db.session.flush()
    return True


def add_area(municipality_id, category, name):
    position = (db.session.scalar(select(func.max(DeficitArea.position)).where(
        DeficitArea.municipality_id == municipality_id)) or 0) + 1
    db.session.add(DeficitArea(municipality_id=municipality_id, category=category, name=name, position=position))
    db.session.flush()


# --- Teachers -------------------------------------------------------------------------

def teachers_of(school_id, archived=False):
    return db.session.scalars(select(Teacher).where(Teacher.school_id == school_id,
                                                    Teacher.is_archived.is_(archived)).order_by(Teacher.full_name)).all()


def add_teacher(actor, school, data):
    teacher = Teacher(municipality_id=school.municipality_id, school_id=school.id, **data)
    return create(actor, teacher, TEACHER_FIELDS, scope=f"diagnostics:{school.id}")


def save_teacher(actor, teacher, data, version):
    return save_changes(actor, teacher, data, version, scope=f"diagnostics:{teacher.school_id}")


def set_archived(actor, teacher, archived, version):
    """Teachers who leave are archived, never deleted: their history stays."""
    return save_changes(actor, teacher, {"is_archived": archived}, version, scope=f"diagnostics:{teacher.school_id}",
                        message=N_("В архив: %(name)s") if archived else N_("Из архива: %(name)s"),
                        params={"name": teacher.full_name})


TEACHER_EXAMPLE = ("Иванова Мария Петровна", "учитель", "математика, информатика", 12, "первая", "нет")


def parse_teacher_rows(school, rows):
    """Validate imported rows; returns teacher dicts or raises RowErrors (nothing written)."""
    from flask_babel import gettext as _

    existing = {t.full_name.lower() for t in teachers_of(school.id)}
    seen, errors, result = {}, [], []
    for number, row in rows:
        if imports.is_example(row, IMPORT_HEADERS, TEACHER_EXAMPLE):
            # An older template had its example on the data sheet: it is never imported.
            errors.append((number, "ФИО", _("это пример из шаблона — удалите строку")))
            continue
        name = imports.text(row["ФИО"])
        if not name:
            errors.append((number, "ФИО", _("не заполнено")))
        elif len(name) > 200:
            errors.append((number, "ФИО", _("длиннее 200 символов")))
        elif name.lower() in seen:
            errors.append((number, "ФИО", _("повторяет строку %(r)s", r=seen[name.lower()])))
        elif name.lower() in existing:
            errors.append((number, "ФИО", _("такой педагог уже есть в школе")))
        seen.setdefault(name.lower(), number)
        category = imports.text(row["Квалификационная категория"]).lower() or "без категории"
        if category not in CATEGORIES:
            errors.append((number, "Квалификационная категория",
                           _("неизвестная категория «%(c)s»; допустимы: %(v)s", c=category, v=", ".join(CATEGORIES))))
        # 12,7 years is refused, never cut to 12.
        experience = imports.cell(errors, number, "Стаж, лет", imports.integer, row["Стаж, лет"], minimum=0, maximum=70)
        part_time = imports.text(row["Совместитель (да/нет)"]).lower()
        if part_time not in ("", "да", "нет"):
            errors.append((number, "Совместитель (да/нет)", _("нужно «да» или «нет»")))
        position = imports.text(row["Должность"]) or "учитель"
        subjects = imports.text(row["Предметы"])
        if len(position) > 200 or len(subjects) > 300:
            errors.append((number, "Должность" if len(position) > 200 else "Предметы", _("слишком длинный текст")))
        result.append({"full_name": name, "position": position[:200], "subjects": subjects[:300],
                       "experience_years": experience, "category": category, "is_part_time": part_time == "да"})
    if errors:
        raise imports.RowErrors(errors)
    return result


def import_teachers(actor, school, file_storage):
    teachers = parse_teacher_rows(school, imports.read_rows(file_storage, IMPORT_HEADERS, max_rows=2000))
    try:
        for data in teachers:
            teacher = Teacher(municipality_id=school.municipality_id, school_id=school.id, **data)
            db.session.add(teacher)
        db.session.flush()
        record(actor, school, "import", {"teachers": [None, len(teachers)]},
               message=N_("Импорт педагогов"), scope=f"diagnostics:{school.id}")
        db.session.flush()
    except Exception:
        db.session.rollback()
        raise
    return len(teachers)


def teachers_template():
    from flask_babel import gettext as _

    return imports.template(
        "Педагоги", IMPORT_HEADERS,
        [_("Как заполнить лист «Педагоги»"),
         _("Одна строка — один педагог. Первая строка — заголовки, их не менять."),
         _("ФИО — обязательно; повтор ФИО в файле или уже имеющегося в школе педагога не допускается."),
         _("Квалификационная категория — одно из: %(v)s (пусто — без категории).", v=", ".join(CATEGORIES)),
         _("Стаж, лет — целое число от 0 до 70 (не дробь). Совместитель — «да» или «нет»."),
         _("Если хотя бы одна строка с ошибкой, не загружается ничего: Опора назовёт строку и столбец.")],
        sample=[TEACHER_EXAMPLE], widths={"ФИО": 34, "Предметы": 30, "Квалификационная категория": 30})


# --- Sessions and findings -------------------------------------------------------------------

def sessions_of(school_id):
    return db.session.scalars(select(DiagnosticSession).where(DiagnosticSession.school_id == school_id)
                              .order_by(DiagnosticSession.session_date)).all()


def create_session(actor, school, data):
    session = DiagnosticSession(municipality_id=school.municipality_id, school_id=school.id,
                                created_by_id=actor.id, **data)
    return create(actor, session, ("session_date", "method", "conducted_by"), scope=f"diagnostics:{school.id}",
                  message=N_("Диагностика %(session_date)s"), params={"session_date": session.session_date.isoformat()})


def findings_of(session_id, teacher_id):
    return {f.area_id: f for f in db.session.scalars(select(DeficitFinding).where(
        DeficitFinding.session_id == session_id, DeficitFinding.teacher_id == teacher_id))}


def assessed_in(session_id):
    """Ids of the teachers with findings in a session."""
    return set(db.session.scalars(select(DeficitFinding.teacher_id).where(
        DeficitFinding.session_id == session_id).distinct()))


def previous_session(session):
    return db.session.scalar(select(DiagnosticSession).where(
        DiagnosticSession.school_id == session.school_id, DiagnosticSession.session_date < session.session_date)
        .order_by(DiagnosticSession.session_date.desc()))


def save_findings(actor, session, teacher, values, versions):
    """values: {area_id: (level, note)}; versions: {area_id: version the user saw, 0 for new}.
    All areas are saved or none: one stale area refuses the whole form."""
    current = findings_of(session.id, teacher.id)
    stale = {area_id: current.get(area_id) for area_id, v in versions.items()
             if (current[area_id].version if area_id in current else 0) != v}
    if stale:
        raise Conflict(teacher, {"stale": stale, "values": values})
    changes = {}
    for area_id, (level, note) in values.items():
        finding = current.get(area_id)
        if finding is None:
            # "none" is stored too: the teacher was assessed and counts in the shares.
            finding = DeficitFinding(municipality_id=session.municipality_id, session_id=session.id,
                                     teacher_id=teacher.id, area_id=area_id)
            db.session.add(finding)
            before = (None, None)
        else:
            before = (finding.level, finding.note)
        if before != (level, note):
            finding.level, finding.note = level, note
            changes[str(area_id)] = [before[0], level]
    if changes:
        teacher_id = teacher.id
        # Two people saving the teacher's first findings at once: the unique key (session,
        # teacher, area) refuses the second; theirs is shown beside mine, as for a stale form.
        with first_save(lambda: db.session.get(Teacher, teacher_id), {"values": values}), \
                stale_as_conflict(teacher, mine={"values": values}):
            db.session.flush()
            record(actor, teacher, "diagnostics", changes, message=N_("Диагностика %(session_date)s: %(name)s"),
                   params={"session_date": session.session_date.isoformat(), "name": teacher.full_name},
                   scope=session.scope)
            db.session.flush()
    return changes


def teacher_dynamics(teacher):
    """Per area: [(session, level)] over the sessions where the teacher was assessed."""
    findings = db.session.scalars(select(DeficitFinding).where(DeficitFinding.teacher_id == teacher.id)
                                  .options(joinedload(DeficitFinding.session))).all()
    sessions = sorted({f.session for f in findings}, key=lambda s: s.session_date)
    by_area = defaultdict(dict)
    for f in findings:
        by_area[f.area_id][f.session_id] = f.level
    return sessions, by_area


def category_shares(session_ids, teachers_by_session=None):
    """{session_id: {"n": teachers assessed, category: share 0..1 of teachers with a deficit}}."""
    rows = db.session.execute(
        select(DeficitFinding.session_id, DeficitFinding.teacher_id, DeficitArea.category, DeficitFinding.level)
        .join(DeficitArea, DeficitArea.id == DeficitFinding.area_id)
        .where(DeficitFinding.session_id.in_(session_ids))).all()
    assessed = defaultdict(set)
    with_deficit = defaultdict(lambda: defaultdict(set))
    for session_id, teacher_id, category, level in rows:
        assessed[session_id].add(teacher_id)
        if level in ("partial", "significant"):
            with_deficit[session_id][category].add(teacher_id)
    result = {}
    for session_id in session_ids:
        n = len(assessed[session_id])
        result[session_id] = {"n": n, **{c: (len(with_deficit[session_id][c]) / n if n else None)
                                         for c in DEFICIT_CATEGORIES}}
    return result


def school_dynamics(school_id):
    sessions = sessions_of(school_id)
    return sessions, category_shares([s.id for s in sessions])


def heatmap(municipality_id):
    """Schools × categories from each school's latest session; groups under MIN_GROUP suppressed."""
    latest = (select(DiagnosticSession.school_id, func.max(DiagnosticSession.session_date).label("d"))
              .where(DiagnosticSession.municipality_id == municipality_id)
              .group_by(DiagnosticSession.school_id).subquery())
    sessions = db.session.scalars(select(DiagnosticSession).join(
        latest, (latest.c.school_id == DiagnosticSession.school_id) & (latest.c.d == DiagnosticSession.session_date))
        .options(joinedload(DiagnosticSession.school))).all()
    shares = category_shares([s.id for s in sessions])
    rows = []
    for s in sorted(sessions, key=lambda s: s.school.short_name):
        data = shares[s.id]
        suppressed = data["n"] < MIN_GROUP
        rows.append({"school": s.school, "session": s, "n": data["n"], "suppressed": suppressed,
                     "shares": {c: (None if suppressed else data[c]) for c in DEFICIT_CATEGORIES}})
    return rows


# --- Individual routes ------------------------------------------------------------------------

def steps_of(teacher):
    return db.session.scalars(select(RouteStep).where(RouteStep.teacher_id == teacher.id)
                              .options(selectinload(RouteStep.areas)).order_by(RouteStep.deadline)).all()


def areas_by_id(municipality_id, ids):
    """The municipality's deficit areas among `ids` (a form's choices, checked against the catalogue)."""
    if not ids:
        return []
    return db.session.scalars(select(DeficitArea).where(DeficitArea.id.in_(ids),
                                                        DeficitArea.municipality_id == municipality_id)).all()


def route_tasks(teacher):
    """Programme tasks a route step may point at: the tutoring and qualification sections of the
    programmes of the teacher's school."""
    programme_ids = select(Programme.id).join(Partnership).where(Partnership.school_id == teacher.school_id)
    return db.session.scalars(select(Task).join(Section).where(
        Task.programme_id.in_(programme_ids), Section.code.in_(("tutoring", "qualification")))
        .order_by(Task.position)).all()


def save_step(actor, step, data, areas, version):
    """A route step and the deficits it closes; a stale form changes neither."""
    check_version(step, version, mine=data)
    step.areas = areas
    changes = save_changes(actor, step, data, version, scope=f"diagnostics:{step.teacher.school_id}")
    db.session.flush()  # the areas, when no field changed
    return changes


def add_step(actor, teacher, data, areas):
    step = RouteStep(municipality_id=teacher.municipality_id, teacher_id=teacher.id, **data)
    step.areas = areas
    db.session.add(step)
    db.session.flush()
    return create(actor, step, STEP_FIELDS, scope=f"diagnostics:{teacher.school_id}")

