"""Last year's and this year's diagnostic cards of the demo municipality (seed 004's criteria):
Сахаптинская СОШ leaves the list after a year of support, Подсосенская СОШ enters it.
Scores are invented for the demo; the criteria are the seed's."""
from datetime import datetime

from sqlalchemy import select

from ..accounts.models import User
from ..extensions import db
from ..orgs.models import Partnership
from ..selection.models import CardScore, SchoolRisk, ShnorDecision
from ..selection.services import criteria, ensure_card_year, ensure_risk_factors

# school key -> points per criterion code (oge_fail, ege_below_min, objectivity, risk_zone, olympiads, interim)
SCORES = {
    2025: {"pavlovskaya": (1, 1, 1, 2, 1, 1), "sakhaptinskaya": (1, 0, 1, 2, 1, 0), "serezhskaya": (1, 0, 0, 3, 1, 1),
           "podsosenskaya": (1, 0, 0, 1, 1, 0), "glyadenskaya": (0, 0, 0, 1, 1, 0), "sokhnovskaya": (1, 0, 0, 0, 1, 0),
           "krasnopolyanskaya": (0, 1, 0, 0, 1, 0), "preobrazhenskaya": (0, 0, 0, 0, 0, 0),
           "stepnovskaya": (0, 0, 0, 0, 0, 0), "krutoyarskaya": (0, 0, 0, 1, 0, 0)},
    2026: {"pavlovskaya": (1, 1, 0, 1, 1, 1), "sakhaptinskaya": (0, 0, 0, 1, 1, 0), "serezhskaya": (1, 0, 0, 2, 1, 1),
           "podsosenskaya": (1, 1, 0, 1, 1, 1), "glyadenskaya": (0, 0, 0, 1, 1, 0), "sokhnovskaya": (1, 0, 0, 0, 1, 0),
           "krasnopolyanskaya": (0, 0, 0, 0, 1, 0), "preobrazhenskaya": (0, 0, 0, 0, 0, 0),
           "stepnovskaya": (0, 0, 0, 0, 0, 0), "krutoyarskaya": (0, 0, 0, 0, 0, 0)},
}
CONFIRMED_2025 = ("pavlovskaya", "sakhaptinskaya", "serezhskaya")
ACTUAL_RISKS = {"staff_shortage": ("high", "Привлечение молодых специалистов, наставничество школы-тьютора"),
                "failure_risk": ("high", "Индивидуальные образовательные маршруты обучающихся 5–9 классов"),
                "low_motivation": ("medium", "Внеурочная проектная деятельность, профориентация")}


def seed_selection(m, schools):
    admin = db.session.scalar(select(User).where(User.email == "admin@opora.demo"))
    for year, table in SCORES.items():
        ensure_card_year(m.id, year)
        crits = criteria(m.id, year)
        if db.session.scalar(select(CardScore.id).where(CardScore.criterion_id == crits[0].id)):
            continue
        for key, points in table.items():
            for criterion, value in zip(crits, points):
                db.session.add(CardScore(municipality_id=m.id, criterion_id=criterion.id, school_id=schools[key].id,
                                         points=value))
    if not db.session.scalar(select(ShnorDecision.id).where(ShnorDecision.municipality_id == m.id)):
        for key in CONFIRMED_2025:
            partnership = db.session.scalar(select(Partnership).where(Partnership.school_id == schools[key].id))
            db.session.add(ShnorDecision(
                municipality_id=m.id, year=2025, school_id=schools[key].id, decision="confirmed",
                total=sum(SCORES[2025][key]), decided_by_id=admin.id, decided_at=datetime(2025, 8, 25, 10, 0),
                partnership_id=partnership.id if partnership else None,
                reason="Сумма баллов диагностической карты выше порога; результаты ОГЭ и ВПР ниже муниципальных."))
    pavlovskaya = schools["pavlovskaya"]
    factors = {f.code: f for f in ensure_risk_factors(m.id, 2026)}
    if not db.session.scalar(select(SchoolRisk.id).where(SchoolRisk.school_id == pavlovskaya.id)):
        for code, factor in factors.items():
            level, measures = ACTUAL_RISKS.get(code, ("low", ""))
            db.session.add(SchoolRisk(municipality_id=m.id, school_id=pavlovskaya.id, factor_id=factor.id,
                                      level=level, is_actual=code in ACTUAL_RISKS, measures=measures))
