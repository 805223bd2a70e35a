"""How visits, observations, recommendations and events appear in history (see activity.labels)."""
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from ..accounts.models import User
from ..activity.labels import DAY, TEXT, Choice, Ref, register
from ..orgs.models import Organisation
from ..programmes.models import Task
from ..teachers.models import Teacher
from .forms import RECOMMENDATION_STATUS_LABELS, VISIT_STATUS_LABELS
from .models import Visit
from .services import EVENT_FORMATS, RATING_LABELS, VISIT_FORMATS


def _ratings(value, names=None):
    """A checklist ({criterion id: 0..3}) as how many criteria got each rating."""
    if not isinstance(value, dict):
        return TEXT(value)
    counts = {}
    for rating in value.values():
        counts[rating] = counts.get(rating, 0) + 1
    return "; ".join(f"{gettext(RATING_LABELS.get(r, ''))}: {n}" for r, n in sorted(counts.items())
                     if r in RATING_LABELS)


register("visit", _l("Выезд"), {
    "visit_date": (_l("Дата"), DAY),
    "format": (_l("Формат"), Choice(VISIT_FORMATS)),
    "purpose": (_l("Цель"), TEXT),
    "findings": (_l("Выводы"), TEXT),
    "status": (_l("Статус"), Choice(VISIT_STATUS_LABELS)),
    "people": (_l("Участники"), TEXT),
    "organisations": (_l("Организации"), TEXT),
})
register("lessonobservation", _l("Посещение урока"), {
    "teacher_id": (_l("Педагог"), Ref(Teacher, "full_name")),
    "subject": (_l("Предмет"), TEXT),
    "grade": (_l("Класс"), TEXT),
    "topic": (_l("Тема"), TEXT),
    "notes": (_l("Заметки"), TEXT),
    "ratings": (_l("Оценки по чек-листу"), _ratings),
})
register("recommendation", _l("Рекомендация"), {
    "text": (_l("Рекомендация"), TEXT),
    "owner": (_l("Кому"), TEXT),
    "owner_user_id": (_l("Ответственный в системе"), Ref(User, "full_name")),
    "deadline": (_l("Срок"), DAY),
    "status": (_l("Статус"), Choice(RECOMMENDATION_STATUS_LABELS)),
    "reason": (_l("Почему не принята"), TEXT),
    "closed_at": (_l("Закрыта"), DAY),
    "task_id": (_l("Мероприятие программы"), Ref(Task, "title")),
    "checked_at_visit_id": (_l("Проверена на выезде"), Ref(Visit, "visit_date", then=DAY)),
}, actions={"to_task": _l("в план программы")})
register("event", _l("Мероприятие"), {
    "title": (_l("Название"), TEXT),
    "format": (_l("Формат"), Choice(EVENT_FORMATS)),
    "host_id": (_l("Организатор"), Ref(Organisation, "short_name")),
    "event_date": (_l("Дата"), DAY),
    "topic": (_l("Тема"), TEXT),
    "materials": (_l("Материалы"), TEXT),
    "outcome": (_l("Итоги"), TEXT),
})
