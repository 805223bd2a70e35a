"""How municipalities, organisations and partnerships appear in history (see activity.labels)."""
from flask_babel import lazy_gettext as _l

from ..activity.labels import BY_ID, DAY, FLAG, NUMBER, TEXT, Choice, Ref, register
from .forms import KIND_LABELS
from .models import ContextFactor, Organisation

SCHOOL = Ref(Organisation, "short_name")

register("municipality", _l("Муниципалитет"), {
    "timezone": (_l("Часовой пояс"), TEXT),
    "organisations": (_l("Загружено организаций"), NUMBER),
    "users": (_l("Загружено пользователей"), NUMBER),
})
register("organisation", _l("Организация"), {
    "kind": (_l("Тип"), Choice(KIND_LABELS)),
    "name": (_l("Полное название"), TEXT),
    "short_name": (_l("Краткое название"), TEXT),
    "address": (_l("Адрес"), TEXT),
    "director": (_l("Директор"), TEXT),
    "students": (_l("Число обучающихся"), NUMBER),
    "is_low_results": (_l("ШНОР"), FLAG),
    "is_unfavourable": (_l("ШНСУ"), FLAG),
    "is_archived": (_l("В архиве"), FLAG),
    "exit_date": (_l("Дата решения"), DAY),
    # The context profile: one change per factor, keyed by the factor's id.
    BY_ID: (Ref(ContextFactor), NUMBER),
}, actions={"context": _l("контекстный профиль")})
register("partnership", _l("Сопровождение"), {
    "school_id": (_l("Школа"), SCHOOL),
    "tutor_school_id": (_l("Школа-тьютор"), SCHOOL),
    "curator_id": (_l("Куратор"), Ref("User", "full_name")),
    "start_year": (_l("С учебного года"), TEXT),
    "end_year": (_l("По учебный год"), TEXT),
    "agreement_number": (_l("Номер сетевого договора"), TEXT),
    "agreement_date": (_l("Дата сетевого договора"), DAY),
    "note": (_l("Примечание"), TEXT),
    "is_active": (_l("Действует"), FLAG),
    "ended_on": (_l("Завершено"), DAY),
    "ended_reason": (_l("Причина завершения"), TEXT),
})
