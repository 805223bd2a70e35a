"""Demo teachers, visits with lesson observations and recommendations, and events (seeds 002, 004)."""
from datetime import date, datetime

from sqlalchemy import select

from ..accounts.models import User
from ..extensions import db
from ..orgs.models import Organisation, Partnership
from ..teachers.models import Teacher
from ..visits.models import Event, LessonObservation, Recommendation, Visit
from . import content


def _user(email):
    return db.session.scalar(select(User).where(User.email == email))


def seed_teachers(school):
    existing = {t.full_name: t for t in db.session.scalars(select(Teacher).where(Teacher.school_id == school.id))}
    for t in content.DEMO_TEACHERS:
        if t["name"] not in existing:
            existing[t["name"]] = Teacher(
                municipality_id=school.municipality_id, school_id=school.id, full_name=t["name"],
                position=t["position"], subjects=", ".join(t["subjects"]), experience_years=t["experience_years"],
                category=t["category"], is_part_time=t["part_time"])
            db.session.add(existing[t["name"]])
    db.session.flush()
    return existing


def _teacher(school, name, subject):
    teacher = db.session.scalar(select(Teacher).where(Teacher.school_id == school.id, Teacher.full_name == name))
    if teacher is None:
        teacher = Teacher(municipality_id=school.municipality_id, school_id=school.id, full_name=name,
                          subjects=subject)
        db.session.add(teacher)
        db.session.flush()
    return teacher


def seed_visits(schools):
    """Idempotent: nothing happens when the municipality already has visits."""
    m = schools[content.DEMO_SCHOOL_KEY].municipality_id
    if db.session.scalar(select(Visit.id).where(Visit.municipality_id == m)):
        return
    curator, tutor, admin = _user("curator@opora.demo"), _user("tutor@opora.demo"), _user("admin@opora.demo")
    school_user = _user("school-deputy@opora.demo")
    seed_teachers(schools[content.DEMO_SCHOOL_KEY])
    today = date(2026, 11, 22)
    for v in content.DEMO_VISITS:
        school = schools[v["school_key"]]
        partnership = db.session.scalar(select(Partnership).where(Partnership.school_id == school.id))
        if partnership is None:
            continue  # visits are recorded for supported schools only
        visit_date = date.fromisoformat(v["date"])
        visit = Visit(municipality_id=m, partnership_id=partnership.id, school_id=school.id, visit_date=visit_date,
                      format=v["format"], purpose=v["purpose"], findings=v["findings"], status="submitted",
                      created_by_id=curator.id, submitted_at=datetime.combine(visit_date, datetime.min.time()))
        visit.people = [curator] + ([tutor] if partnership.tutor_school_id == tutor.organisation_id else [])
        visit.organisations = [partnership.tutor_school] + [db.session.scalar(select(Organisation).where(
            Organisation.municipality_id == m, Organisation.kind == "department"))]
        db.session.add(visit)
        db.session.flush()
        for o in v["observations"]:
            teacher = _teacher(school, o["teacher"], o["subject"])
            db.session.add(LessonObservation(municipality_id=m, visit_id=visit.id, teacher_id=teacher.id,
                                             subject=o["subject"], grade=o["grade"], topic=o["topic"],
                                             notes=o["notes"], ratings={}))
        for r in v["recommendations"]:
            deadline = date.fromisoformat(r["deadline"]) if r.get("deadline") else None
            # Recommendations of the first visits are done; the latest visit's are still open.
            done = deadline is not None and deadline < date(2026, 9, 1)
            db.session.add(Recommendation(
                municipality_id=m, partnership_id=partnership.id, school_id=school.id, visit_id=visit.id,
                text=r["text"], owner=r["owner"], deadline=deadline, status="done" if done else "open",
                owner_user_id=school_user.id if school.id == school_user.organisation_id and not done else None,
                closed_at=datetime.combine(deadline, datetime.min.time()) if done else None))
    seed_events(schools, admin, today)


def seed_events(schools, admin, today):
    m = admin.municipality_id
    hosts = {
        "method_centre": db.session.scalar(select(Organisation).where(Organisation.municipality_id == m,
                                                                      Organisation.kind == "method_centre")),
        "department": db.session.scalar(select(Organisation).where(Organisation.municipality_id == m,
                                                                   Organisation.kind == "department")),
    }
    for e in content.DEMO_EVENTS:
        host = schools[e["venue_school_key"]] if e["host"] == "tutor" and e.get("venue_school_key") else \
            hosts.get(e["host"]) or hosts["department"]
        event = Event(municipality_id=m, title=e["title"], format=e["format"], host_id=host.id,
                      event_date=date.fromisoformat(e["date"]), topic=e["topic"], outcome=e.get("outcome") or "",
                      created_by_id=admin.id)
        event.schools = [schools[k] for k in e.get("participant_school_keys", []) if k in schools]
        db.session.add(event)


def seed_small_visit(partnership, actor):
    """The other municipality's visit, observation, recommendation and event (isolation tests)."""
    if db.session.scalar(select(Visit.id).where(Visit.partnership_id == partnership.id)):
        return
    m = partnership.municipality_id
    visit = Visit(municipality_id=m, partnership_id=partnership.id, school_id=partnership.school_id,
                  visit_date=date(2026, 10, 1), format="document_check", purpose="Документарная проверка ВСОКО",
                  findings="Положение о ВСОКО не обновлено.", status="submitted", created_by_id=actor.id)
    db.session.add(visit)
    db.session.flush()
    teacher = _teacher(partnership.school, "Сидорова Анна Павловна", "математика")
    db.session.add(LessonObservation(municipality_id=m, visit_id=visit.id, teacher_id=teacher.id,
                                     subject="математика", grade="7", ratings={}))
    db.session.add(Recommendation(municipality_id=m, partnership_id=partnership.id, school_id=partnership.school_id,
                                  visit_id=visit.id, text="Обновить положение о ВСОКО", deadline=date(2026, 12, 1)))
    event = Event(municipality_id=m, title="Круглый стол директоров", format="round_table",
                  host_id=partnership.tutor_school_id, event_date=date(2026, 9, 15), created_by_id=actor.id)
    event.schools = [partnership.school]
    db.session.add(event)
