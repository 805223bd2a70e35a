"""How teachers, diagnostics and individual routes appear in history (see activity.labels)."""
from flask_babel import lazy_gettext as _l

from ..activity.labels import BY_ID, DAY, FLAG, NUMBER, TEXT, Choice, Ref, register
from ..programmes.models import Task
from .models import DeficitArea
from .services import LEVEL_NAMES, METHOD_NAMES, STEP_KIND_NAMES, STEP_STATUS_NAMES

register("teacher", _l("Педагог"), {
    "full_name": (_l("ФИО"), TEXT),
    "position": (_l("Должность"), TEXT),
    "subjects": (_l("Предметы"), TEXT),
    "experience_years": (_l("Стаж, лет"), NUMBER),
    "category": (_l("Квалификационная категория"), TEXT),
    "is_part_time": (_l("Совместитель"), FLAG),
    "is_archived": (_l("В архиве"), FLAG),
    "session_date": (_l("Дата диагностики"), DAY),
    # A diagnostic's findings: one change per deficit area, keyed by the area's id.
    BY_ID: (Ref(DeficitArea), Choice(LEVEL_NAMES)),
}, actions={"diagnostics": _l("диагностика")})
register("organisation", _l("Организация"), {"teachers": (_l("Загружено педагогов"), NUMBER)})
register("diagnosticsession", _l("Диагностика"), {
    "session_date": (_l("Дата"), DAY),
    "method": (_l("Метод"), Choice(METHOD_NAMES)),
    "conducted_by": (_l("Кто проводил"), TEXT),
})
register("routestep", _l("Шаг маршрута"), {
    "kind": (_l("Вид"), Choice(STEP_KIND_NAMES)),
    "title": (_l("Название"), TEXT),
    "deadline": (_l("Срок"), DAY),
    "provider": (_l("Кто проводит"), TEXT),
    "status": (_l("Статус"), Choice(STEP_STATUS_NAMES)),
    "task_id": (_l("Мероприятие программы"), Ref(Task, "title")),
})
