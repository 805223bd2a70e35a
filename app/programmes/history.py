"""How programmes and their parts appear in history (see activity.labels)."""
from flask_babel import lazy_gettext as _l

from ..accounts.models import User
from ..activity.labels import DAY, NUMBER, TEXT, Choice, Ref, register
from .forms import DIRECTION_LABELS, PASSPORT_LABELS, PROGRAMME_STATUS_LABELS, REPORT_STATUS_LABELS, TASK_STATUS_LABELS
from .models import Section

SECTION = Ref(Section, "title")

register("programme", _l("Программа"), {
    **{name: (label, TEXT) for name, label in PASSPORT_LABELS.items()},
    "status": (_l("Статус"), Choice(PROGRAMME_STATUS_LABELS)),
})
register("goal", _l("Цель"), {
    "text": (_l("Цель"), TEXT), "justification": (_l("Обоснование"), TEXT), "realism": (_l("Реалистичность"), TEXT),
})
register("section", _l("Раздел"), {"title": (_l("Название раздела"), TEXT)})
register("task", _l("Мероприятие"), {
    "section_id": (_l("Раздел"), SECTION),
    "title": (_l("Мероприятие"), TEXT),
    "due_date": (_l("Срок"), DAY),
    "expected_result": (_l("Ожидаемый результат"), TEXT),
    "responsible": (_l("Ответственный"), TEXT),
    "owner_id": (_l("Исполнитель"), Ref(User, "full_name")),
    "status": (_l("Статус"), Choice(TASK_STATUS_LABELS)),
    "evidence": (_l("Подтверждение"), TEXT),
    "position": (_l("Место в списке"), NUMBER),
})
register("indicator", _l("Показатель"), {
    "name": (_l("Показатель"), TEXT),
    "unit": (_l("Единица"), TEXT),
    "direction": (_l("Направление"), Choice(DIRECTION_LABELS)),
    "source": (_l("Источник"), TEXT),
    "baseline": (_l("Базовое значение"), NUMBER),
    "baseline_date": (_l("Дата базового значения"), DAY),
    "section_id": (_l("Раздел"), SECTION),
})
register("indicatorvalue", _l("Значение показателя"), {
    "target": (_l("Целевое значение"), NUMBER), "actual": (_l("Фактическое значение"), NUMBER),
})
register("periodreport", _l("Отчёт за период"), {
    "narrative": (_l("Текст отчёта"), TEXT),
    "status": (_l("Статус"), Choice(REPORT_STATUS_LABELS)),
    "feedback": (_l("Ответ куратора"), TEXT),
})
