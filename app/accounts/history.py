"""How users appear in history: field labels and values in words (see activity.labels)."""
from flask_babel import lazy_gettext as _l

from ..activity.labels import FLAG, TEXT, Choice, Ref, register
from ..orgs.models import Organisation
from .forms import ROLE_LABELS

register("user", _l("Пользователь"), {
    "email": (_l("Эл. почта"), TEXT),
    "full_name": (_l("ФИО"), TEXT),
    "position": (_l("Должность"), TEXT),
    "role": (_l("Роль"), Choice(ROLE_LABELS)),
    "organisation_id": (_l("Организация"), Ref(Organisation, "short_name")),
    "is_active": (_l("Учётная запись включена"), FLAG),
}, actions={"activate": _l("включение"), "deactivate": _l("отключение"), "reset_password": _l("сброс пароля"),
            "password": _l("смена пароля")})
