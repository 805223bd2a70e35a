"""How the diagnostic card and risk profile appear in history (see activity.labels)."""
from flask_babel import lazy_gettext as _l

from ..activity.labels import DAY, FLAG, NUMBER, TEXT, Choice, Ref, register
from ..programmes.models import Section
from .services import RISK_LEVEL_NAMES, SCORING_NAMES

register("cardyear", _l("Диагностическая карта"), {
    "threshold": (_l("Порог"), NUMBER),
    "rows": (_l("Загружено школ"), NUMBER),  # imports before issue 13 recorded only a row count
    "imported_at": (_l("Загрузка от"), DAY),
}, actions={"undo": _l("отмена загрузки")})
register("cardcriterion", _l("Критерий карты"), {
    "code": (_l("Код"), TEXT),
    "text": (_l("Критерий"), TEXT),
    "scoring": (_l("Как считается"), Choice(SCORING_NAMES)),
    "max_points": (_l("Максимум баллов"), NUMBER),
    "is_active": (_l("Учитывается"), FLAG),
})
# The department's rule for the context index, beside the municipality's own fields (orgs).
register("municipality", _l("Муниципалитет"), {
    "context_index_threshold": (_l("Порог индекса неблагоприятного контекста"), NUMBER),
})
register("cardscore", _l("Балл диагностической карты"), {"points": (_l("Баллы"), NUMBER)})
register("schoolrisk", _l("Риск"), {
    "level": (_l("Уровень"), Choice(RISK_LEVEL_NAMES)),
    "is_actual": (_l("Актуален"), FLAG),
    "measures": (_l("Меры"), TEXT),
    "section_id": (_l("Раздел программы"), Ref(Section, "title")),
})
