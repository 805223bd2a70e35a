"""Two diagnostic sessions for the demo ШНОР's teachers, a year apart, with visible improvement,
and individual routes built from the first one (seed 002: deficits measured twice a year)."""
import random
from datetime import date

from sqlalchemy import select

from ..accounts.models import User
from ..extensions import db
from ..programmes.models import Section, Task
from ..teachers.models import DeficitFinding, DiagnosticSession, RouteStep, Teacher
from ..teachers.services import catalogue

IMPROVE = {"significant": ("partial", "partial", "none"), "partial": ("none", "none", "partial"), "none": ("none",)}


def seed_teachers(school):
    if db.session.scalar(select(DiagnosticSession.id).where(DiagnosticSession.school_id == school.id)):
        return
    author = db.session.scalar(select(User).where(User.email == "school-deputy@opora.demo"))
    areas = [a for group in catalogue(school.municipality_id).values() for a in group]
    teachers = db.session.scalars(select(Teacher).where(Teacher.school_id == school.id).order_by(Teacher.id)).all()
    first = DiagnosticSession(municipality_id=school.municipality_id, school_id=school.id,
                              session_date=date(2025, 10, 10), method="test",
                              conducted_by="заместитель директора по УВР, ЦНППМ", created_by_id=author.id)
    second = DiagnosticSession(municipality_id=school.municipality_id, school_id=school.id,
                               session_date=date(2026, 10, 15), method="lesson_observation",
                               conducted_by="школа-тьютор МБОУ «Преображенская СОШ»", created_by_id=author.id)
    db.session.add_all([first, second])
    db.session.flush()
    rng = random.Random(2025)
    for teacher in teachers:
        for area in areas:
            before = rng.choices(("none", "partial", "significant"), weights=(5, 3, 2))[0]
            after = rng.choice(IMPROVE[before])
            for session, level in ((first, before), (second, after)):
                db.session.add(DeficitFinding(municipality_id=school.municipality_id, session_id=session.id,
                                              teacher_id=teacher.id, area_id=area.id, level=level))
    db.session.flush()
    _routes(school, teachers, first)


def _routes(school, teachers, session):
    tutoring_task = db.session.scalar(select(Task).join(Section).where(
        Section.code == "tutoring", Task.programme_id.in_(select(Section.programme_id).where(
            Section.municipality_id == school.municipality_id))).order_by(Task.position))
    plans = [
        ("course", "Курсы ПК «Формирование читательской грамотности обучающихся 5–9 классов»", "ЦНППМ",
         date(2026, 3, 31), "done"),
        ("mentoring", "Наставничество учителя школы-тьютора: проектирование урока в системно-деятельностной технологии",
         "МБОУ «Преображенская СОШ»", date(2026, 5, 31), "done"),
        ("open_lesson", "Открытый урок с применением заданий формата ВПР", "ШМО", date(2026, 12, 20), "planned"),
    ]
    for teacher in teachers[:4]:
        worst = db.session.scalars(select(DeficitFinding).where(
            DeficitFinding.session_id == session.id, DeficitFinding.teacher_id == teacher.id,
            DeficitFinding.level == "significant")).all()[:2]
        for kind, title, provider, deadline, status in plans:
            step = RouteStep(municipality_id=school.municipality_id, teacher_id=teacher.id, kind=kind, title=title,
                             provider=provider, deadline=deadline, status=status,
                             task_id=tutoring_task.id if kind == "mentoring" and tutoring_task else None)
            step.areas = [f.area for f in worst]
            db.session.add(step)


# Invented teachers of two more supported schools, so the heat map has rows, one of them
# below the suppression threshold.
OTHER_TEACHERS = {
    "Сахаптинская СОШ": ("Романова Галина Ивановна", "Зайцев Олег Петрович"),
    "Сережская ООШ": ("Фролова Нина Сергеевна", "Ковалев Игорь Андреевич", "Сорокина Вера Николаевна",
                      "Тимофеева Юлия Олеговна"),
}


def seed_other_schools(schools_by_name):
    rng = random.Random(7)
    author = db.session.scalar(select(User).where(User.email == "curator@opora.demo"))
    for name, people in OTHER_TEACHERS.items():
        school = schools_by_name[name]
        if db.session.scalar(select(DiagnosticSession.id).where(DiagnosticSession.school_id == school.id)):
            continue
        areas = [a for group in catalogue(school.municipality_id).values() for a in group]
        session = DiagnosticSession(municipality_id=school.municipality_id, school_id=school.id,
                                    session_date=date(2026, 10, 20), method="self_assessment",
                                    conducted_by="куратор управления образования", created_by_id=author.id)
        db.session.add(session)
        for full_name in people:
            teacher = Teacher(municipality_id=school.municipality_id, school_id=school.id, full_name=full_name,
                              subjects="математика" if "Зайцев" in full_name else "русский язык")
            db.session.add(teacher)
            db.session.flush()
            for area in areas:
                db.session.add(DeficitFinding(
                    municipality_id=school.municipality_id, session_id=session.id, teacher_id=teacher.id,
                    area_id=area.id, level=rng.choices(("none", "partial", "significant"), weights=(6, 3, 1))[0]))
