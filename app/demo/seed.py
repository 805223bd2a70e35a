"""`flask seed-demo`: the demo municipality from the seeds, and a second one for isolation.

Idempotent: every object is looked up by a natural key first, so running it again
changes nothing. Later areas (programmes, visits…) add their own `seed_*` steps.
"""
import random
from datetime import date

from .. import catalogue, transaction
from ..accounts.models import User
from ..extensions import db
from ..orgs.models import ContextFactor, ContextValue, Municipality, Organisation, Partnership
from . import content

DEMO_PASSWORD = "demo12345"

DEMO_LOGINS = (
    ("admin@opora.demo", "admin", "Руководитель управления образования (муниципальный координатор)"),
    ("curator@opora.demo", "curator", "Специалист-куратор: Павловская и Сахаптинская СОШ"),
    ("tutor@opora.demo", "tutor", "Заместитель директора школы-тьютора (Преображенская СОШ)"),
    ("school@opora.demo", "school", "Директор ШНОР (Павловская СОШ)"),
    ("observer@opora.demo", "observer", "Региональный эксперт (только чтение, агрегаты)"),
)

# Invented people for the demo (the seeds name none).
PEOPLE = {
    "admin@opora.demo": ("Ковалёва Ирина Петровна", "начальник управления образования"),
    "curator@opora.demo": ("Смирнова Ольга Викторовна", "главный специалист, куратор ШНОР"),
    "curator2@opora.demo": ("Белов Андрей Сергеевич", "ведущий специалист, куратор ШНОР"),
    "tutor@opora.demo": ("Петрова Елена Николаевна", "заместитель директора по УВР"),
    "tutor2@opora.demo": ("Гусева Наталья Ивановна", "заместитель директора по УВР"),
    "school@opora.demo": ("Иванов Сергей Александрович", "директор"),
    "school-deputy@opora.demo": ("Кузнецова Марина Юрьевна", "заместитель директора по УВР"),
    "observer@opora.demo": ("Орлова Татьяна Михайловна", "региональный эксперт ЦНППМ"),
}

OTHER_MUNICIPALITY = {"code": "raichikhinsk", "name": "Городской округ город Райчихинск", "region": "Амурская область"}
OTHER_SCHOOLS = (("МОБУ СОШ № 22", "МОБУ «Средняя общеобразовательная школа № 22»", True),
                 ("МОБУ СОШ № 3", "МОБУ «Средняя общеобразовательная школа № 3»", False))


# School years with demo context data and how much the shares differ from the base.
CONTEXT_YEARS = ((2025, 1.0), (2026, 0.95))


def _get_or_add(model, where, **values):
    obj = db.session.scalar(db.select(model).filter_by(**where))
    if obj is None:
        obj = model(**where, **values)
        db.session.add(obj)
        db.session.flush()
    return obj


def _user(email, role, municipality, organisation=None, full_name=None, position=""):
    user = db.session.scalar(db.select(User).where(User.email == email))
    if user is None:
        name, pos = PEOPLE.get(email, (full_name or email, position))
        user = User(email=email, full_name=name, position=pos, role=role, municipality_id=municipality.id,
                    organisation_id=organisation.id if organisation else None)
        user.set_password(DEMO_PASSWORD)
        db.session.add(user)
        db.session.flush()
    return user


def seed_organisations():
    m = _get_or_add(Municipality, {"code": content.MUNICIPALITY["code"]},
                    name=content.MUNICIPALITY["name"], region=content.MUNICIPALITY["region"])
    department = _get_or_add(Organisation, {"municipality_id": m.id, "kind": "department"},
                             name=content.MUNICIPALITY["department"], short_name="Управление образования")
    _get_or_add(Organisation, {"municipality_id": m.id, "kind": "method_centre"},
                name=content.MUNICIPALITY["method_centre"], short_name="Методический центр")
    schools = {}
    for s in content.SCHOOLS:
        schools[s["key"]] = _get_or_add(
            Organisation, {"municipality_id": m.id, "kind": "school", "short_name": s["short_name"]},
            name=s["full_name"], director=s.get("director") or "", students=s.get("students"),
            is_low_results=s.get("group") == "shnor",
            # Сережская ООШ is a small branch school: both low results and unfavourable context (invented flag).
            is_unfavourable=s["key"] == "serezhskaya",
        )
    factors = []
    for position, f in enumerate(catalogue.CONTEXT_FACTORS):
        factors.append(_get_or_add(ContextFactor, {"municipality_id": m.id, "code": f["code"]},
                                   name=f["name"], direction=f["direction"], position=position))
    # The seed gives the factors but no values: deterministic invented shares, higher for ШНОР,
    # for the school year the partnerships began and the next one (a little drift between them).
    rng = random.Random(2026)
    for school in schools.values():
        for f in factors:
            base = rng.uniform(2, 12) if f.direction == "negative" else rng.uniform(10, 35)
            if school.is_low_results:
                base = base * (1.8 if f.direction == "negative" else 0.6)
            for year, drift in CONTEXT_YEARS:
                _get_or_add(ContextValue, {"organisation_id": school.id, "factor_id": f.id, "school_year": year},
                            share=round(min(100.0, base * drift), 1))
    return m, department, schools


def seed_people(m, department, schools):
    admin = _user("admin@opora.demo", "admin", m, department)
    curator = _user("curator@opora.demo", "curator", m, department)
    curator2 = _user("curator2@opora.demo", "curator", m, department)
    _user("tutor@opora.demo", "tutor", m, schools["preobrazhenskaya"])
    _user("tutor2@opora.demo", "tutor", m, schools["stepnovskaya"])
    _user("school@opora.demo", "school", m, schools["pavlovskaya"])
    _user("school-deputy@opora.demo", "school", m, schools["pavlovskaya"])
    _user("observer@opora.demo", "observer", m, None)
    curators = {"pavlovskaya": curator, "sakhaptinskaya": curator, "serezhskaya": curator2}
    partnerships = {}
    for number, (school_key, tutor_key) in enumerate(content.TUTOR_ASSIGNMENTS.items(), start=1):
        partnerships[school_key] = _get_or_add(
            Partnership, {"municipality_id": m.id, "school_id": schools[school_key].id},
            tutor_school_id=schools[tutor_key].id, curator_id=curators[school_key].id,
            start_year=2025, end_year=2027, agreement_number=f"СД-{number}/2025",
            agreement_date=date(2025, 8, 28 + number),
        )
    return admin, partnerships


def seed_other_municipality():
    m = _get_or_add(Municipality, {"code": OTHER_MUNICIPALITY["code"]},
                    name=OTHER_MUNICIPALITY["name"], region=OTHER_MUNICIPALITY["region"])
    dept = _get_or_add(Organisation, {"municipality_id": m.id, "kind": "department"},
                       name="Управление образования администрации г. Райчихинска", short_name="Управление образования")
    orgs = [_get_or_add(Organisation, {"municipality_id": m.id, "kind": "school", "short_name": short},
                        name=full, is_low_results=low) for short, full, low in OTHER_SCHOOLS]
    admin = _user("admin@raichikhinsk.demo", "admin", m, dept, "Соколова Анна Владимировна", "начальник отдела")
    curator = _user("curator@raichikhinsk.demo", "curator", m, dept, "Лебедев Павел Олегович", "куратор")
    _user("school@raichikhinsk.demo", "school", m, orgs[0], "Морозова Светлана Игоревна", "директор")
    _user("tutor@raichikhinsk.demo", "tutor", m, orgs[1], "Волкова Дарья Андреевна", "заместитель директора")
    partnership = _get_or_add(Partnership, {"municipality_id": m.id, "school_id": orgs[0].id},
                              tutor_school_id=orgs[1].id, curator_id=curator.id, start_year=2025, end_year=2027,
                              agreement_number="7/2025")
    from .seed_programmes import seed_small_programme

    seed_small_programme(partnership, admin)
    from .seed_visits import seed_small_visit

    seed_small_visit(partnership, admin)
    return m, admin


def seed_demo():
    from ..provisioning import provide_reference_lists
    from .seed_programmes import seed_programme
    from .seed_visits import seed_visits

    m, department, schools = seed_organisations()
    provide_reference_lists(m.id)  # as for any municipality: the pages only read them
    _admin, partnerships = seed_people(m, department, schools)
    seed_programme(partnerships[content.DEMO_SCHOOL_KEY])
    seed_visits(schools)
    from .seed_teachers import seed_other_schools, seed_teachers

    seed_teachers(schools[content.DEMO_SCHOOL_KEY])
    seed_other_schools({s.short_name: s for s in schools.values()})
    from .seed_selection import seed_selection

    seed_selection(m, schools)
    from .seed_mechanisms import seed_assessment

    seed_assessment(m, 2025)
    other, _other_admin = seed_other_municipality()
    provide_reference_lists(other.id)
    transaction.commit()
    return m
