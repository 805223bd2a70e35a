"""Demo programme of Павловская СОШ (in progress), from seeds 000, 001 and 002."""
from datetime import date, datetime

from sqlalchemy import select

from .. import catalogue
from ..accounts.models import User
from ..extensions import db
from ..programmes.models import Goal, Indicator, IndicatorValue, PeriodReport, Programme, ReportingPeriod, Section, Task
from ..programmes.services import default_periods
from . import content


def _user(email):
    return db.session.scalar(select(User).where(User.email == email))


def seed_programme(partnership):
    """Idempotent: nothing happens when the school already has a programme for these years."""
    existing = db.session.scalar(select(Programme).where(Programme.partnership_id == partnership.id))
    if existing is not None:
        return existing
    p = content.PROGRAMME_PASSPORT
    curator, school, deputy, tutor = (_user(e) for e in ("curator@opora.demo", "school@opora.demo",
                                                           "school-deputy@opora.demo", "tutor@opora.demo"))
    programme = Programme(
        municipality_id=partnership.municipality_id, partnership_id=partnership.id, school_id=partnership.school_id,
        start_year=partnership.start_year, end_year=partnership.end_year, name=p["name"], main_idea=p["main_idea"],
        risks="\n".join(p["risks"]), resources="\n".join(p["resources"]), status="in_progress",
        status_changed_at=datetime(2025, 9, 20, 10, 0), status_changed_by_id=curator.id)
    db.session.add(programme)
    db.session.flush()
    m = programme.municipality_id
    for position, goal in enumerate(p["goals"], start=1):
        db.session.add(Goal(municipality_id=m, programme_id=programme.id, position=position, **goal))
    sections = {}
    for position, s in enumerate(catalogue.MANDATORY_SECTIONS + content.EXTRA_SECTIONS, start=1):
        section = Section(municipality_id=m, programme_id=programme.id, code=s["code"], title=s["title"],
                          position=position, is_mandatory=position <= len(catalogue.MANDATORY_SECTIONS))
        db.session.add(section)
        sections[s["code"]] = section
    db.session.flush()
    owners = {"директор": school, "заместитель": deputy, "тьютор": tutor, "куратор": curator}
    counters = {}
    for t in content.DEMO_TASKS:
        section = sections[t["section"]]
        counters[section.id] = counters.get(section.id, 0) + 1
        owner = next((u for key, u in owners.items() if key in t["responsible"].lower()), None)
        db.session.add(Task(
            municipality_id=m, programme_id=programme.id, section_id=section.id, position=counters[section.id],
            title=t["title"], due_date=date.fromisoformat(t["due"]), expected_result=t["expected_result"],
            responsible=t["responsible"], status=t["status"], owner_id=owner.id if owner else None,
            completed_at=datetime.fromisoformat(t["due"]) if t["status"] == "done" else None))
    periods = []
    for position, (title, deadline) in enumerate(default_periods(programme.start_year), start=1):
        period = ReportingPeriod(municipality_id=m, programme_id=programme.id, position=position, title=title,
                                 deadline=deadline)
        db.session.add(period)
        periods.append(period)
    db.session.flush()
    for position, ind in enumerate(content.DEMO_INDICATORS, start=1):
        indicator = Indicator(municipality_id=m, programme_id=programme.id, position=position, name=ind["name"],
                              unit=ind["unit"], direction=ind["direction"], source=ind["source"],
                              baseline=ind["baseline"], baseline_date=date.fromisoformat(ind["baseline_date"]))
        db.session.add(indicator)
        db.session.flush()
        for i, period in enumerate(periods):
            actual = ind["actuals"][i] if i < len(ind["actuals"]) else None
            db.session.add(IndicatorValue(municipality_id=m, programme_id=programme.id, indicator_id=indicator.id,
                                          period_id=period.id, target=ind["targets"][i], actual=actual))
    # Reports: the first four periods accepted, November 2026 in draft.
    narratives = [
        "Проведена диагностика профессиональных затруднений педагогов; составлены ИОМ; начаты консультации тьюторов.",
        "Проведены открытые уроки школы-тьютора по смысловому чтению; результаты КДР обсуждены на педсовете.",
        "Завершены курсы повышения квалификации по формированию читательской грамотности для 6 педагогов.",
        "Подведены итоги учебного года: доля обучающихся с низкими результатами снизилась, ЕГЭ — без изменений.",
    ]
    for period, narrative in zip(periods[:4], narratives):
        db.session.add(PeriodReport(
            municipality_id=m, programme_id=programme.id, period_id=period.id, narrative=narrative, status="accepted",
            submitted_at=datetime.combine(period.deadline, datetime.min.time()), submitted_by_id=school.id,
            feedback="Отчёт принят. Продолжить работу с педагогами, у которых сохраняются затруднения.",
            feedback_by_id=curator.id, accepted_at=datetime.combine(period.deadline, datetime.min.time())))
    db.session.add(PeriodReport(municipality_id=m, programme_id=programme.id, period_id=periods[4].id,
                                narrative="Черновик: итоги КДР в 5–6 классах, работа методических объединений.",
                                status="draft"))
    return programme


def seed_small_programme(partnership, actor):
    """A draft with one task and one indicator: the other municipality's objects in isolation tests."""
    from ..programmes.services import create_programme

    existing = db.session.scalar(select(Programme).where(Programme.partnership_id == partnership.id))
    if existing is not None:
        return existing
    programme = create_programme(actor, partnership)
    db.session.add(Goal(municipality_id=programme.municipality_id, programme_id=programme.id, position=1,
                        text="Снизить долю обучающихся с низкими результатами ВПР по математике"))
    section = db.session.scalar(select(Section).where(Section.programme_id == programme.id).order_by(Section.position))
    db.session.add(Task(municipality_id=programme.municipality_id, programme_id=programme.id, section_id=section.id,
                        position=1, title="Диагностика профессиональных затруднений педагогов",
                        due_date=date(2025, 10, 31), status="done"))
    db.session.add(Indicator(municipality_id=programme.municipality_id, programme_id=programme.id, position=1,
                             name="Доля обучающихся, не достигших базового уровня (ВПР, математика)", unit="%",
                             direction="lower", source="ВПР", baseline=21.0))
    return programme
