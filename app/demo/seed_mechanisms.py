"""Demo self-assessments of the municipality's mechanisms (seed 000's 187 of 321 points)."""
from sqlalchemy import select

from ..extensions import db
from ..mechanisms.models import MechanismScore
from ..mechanisms.services import catalogue, create_default_catalogue

# Seed 000's self-assessment (Райчихинск, May 2020): 187 of 321. The seed reports the
# mechanism totals only (student assessment 22, low-result schools 19, objectivity 20,
# school leaders 32); the per-criterion split, and the 94 points of the five mechanisms the
# seed does not itemise, are a distribution that reproduces those totals.
SEED_000_POINTS = {
    "student_assessment": (6, 5, 4, 3, 4),           # 22
    "low_results_schools": (5, 4, 4, 3, 3),          # 19 of 23
    "talents": (4, 4, 4, 4, 3, 3),                   # 22
    "career_guidance": (3, 4, 4, 3, 3, 3),           # 20
    "objectivity": (7, 5, 4, 4),                     # 20 of 29
    "leaders_efficiency": (11, 7, 6, 8),             # 32 of 55
    "teacher_development": (8, 7, 5),                # 20
    "upbringing": (3, 3, 4, 3, 3, 2),                # 18
    "preschool": (3, 3, 2, 2, 2, 2),                 # 14
}


def _seed_points(code, year_offset):
    """Seed 000's points for the year itself; a year earlier, a point less on every other criterion."""
    points = SEED_000_POINTS[code]
    if year_offset == 0:
        return points
    return tuple(max(p - 1, 0) if i % 2 == 0 else p for i, p in enumerate(points))


def seed_assessment(municipality, year=2025):
    """Demo self-assessments: `year` with seed 000's 187 of 321, the year before a little lower.
    Idempotent: nothing happens when the municipality has any score already."""
    create_default_catalogue(municipality.id)
    items = catalogue(municipality.id)
    if db.session.scalar(select(MechanismScore.id).where(MechanismScore.municipality_id == municipality.id)):
        return
    comments = {
        "low_results_schools": ("Ежегодный мониторинг результатов оценочных процедур федерального, регионального "
                                "и муниципального уровней; ШНОР выявлены, для каждой — программа на 2 года."),
        "objectivity": "План мероприятий по недопущению необъективности результатов оценивания; перекрёстная проверка.",
        "leaders_efficiency": "Критериальная оценка эффективности руководителей увязана со стимулирующими выплатами.",
    }
    for offset, y in ((1, year - 1), (0, year)):
        for mechanism, criteria in items:
            for criterion, points in zip(criteria, _seed_points(mechanism.code, offset)):
                db.session.add(MechanismScore(
                    municipality_id=municipality.id, criterion_id=criterion.id, year=y, points=float(points),
                    comment=comments.get(mechanism.code, "") if criterion.position == 1 else "", evidence=""))
    db.session.flush()


def seed_year_points(items, year_offset=0):
    """{criterion id: points} of the demo self-assessment for a catalogue (used by tests)."""
    return {c.id: p for m, criteria in items for c, p in zip(criteria, _seed_points(m.code, year_offset))}

