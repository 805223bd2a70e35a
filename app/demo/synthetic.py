"""Programmes of any size for tests and benchmarks (not demo content: plain generated rows)."""
from datetime import date

from sqlalchemy import select

from .. import transaction
from ..extensions import db
from ..orgs.models import Organisation, Partnership
from ..programmes.models import Indicator, IndicatorValue, Programme, ReportingPeriod, Section, Task
from ..programmes.services import default_periods


def build_programme(school_short_name="Сахаптинская СОШ", sections=4, tasks=150, indicators=30, start_year=None):
    """A programme with the given numbers of sections, tasks and indicators (values for all 8 periods)."""
    partnership = db.session.scalar(select(Partnership).join(Partnership.school).where(
        Organisation.short_name == school_short_name))
    m = partnership.municipality_id
    start_year = start_year or 2030 + sections * 1000 + tasks
    programme = Programme(municipality_id=m, partnership_id=partnership.id, school_id=partnership.school_id,
                          start_year=start_year, end_year=start_year + 2, name="Программа для нагрузочной проверки",
                          status="in_progress")
    db.session.add(programme)
    db.session.flush()
    secs = [Section(municipality_id=m, programme_id=programme.id, title=f"Раздел {i}", position=i,
                    is_mandatory=i <= 4) for i in range(1, sections + 1)]
    db.session.add_all(secs)
    db.session.flush()
    db.session.add_all([Task(municipality_id=m, programme_id=programme.id, section_id=secs[i % sections].id,
                             position=i, title=f"Мероприятие {i}: методическое сопровождение педагогов",
                             expected_result="Повышение доли обучающихся, достигших базового уровня",
                             responsible="заместитель директора по УВР", due_date=date(2026, 1 + i % 12, 1),
                             status=("planned", "in_progress", "done")[i % 3]) for i in range(tasks)])
    periods = [ReportingPeriod(municipality_id=m, programme_id=programme.id, position=i, title=t, deadline=d)
               for i, (t, d) in enumerate(default_periods(start_year))]
    db.session.add_all(periods)
    db.session.flush()
    for i in range(indicators):
        ind = Indicator(municipality_id=m, programme_id=programme.id, position=i, name=f"Показатель {i}",
                        baseline=10.0 + i)
        db.session.add(ind)
        db.session.flush()
        db.session.add_all([IndicatorValue(municipality_id=m, programme_id=programme.id, indicator_id=ind.id,
                                           period_id=p.id, target=12.0 + i, actual=11.0 + i) for p in periods])
    transaction.commit()
    return programme.id
