"""How users appear in history: field labels and values in words (see activity.labels)."""
from flask_babel import lazy_gettext as _l

from ..activity.labels import DAY, FLAG, TEXT, Choice, Ref, register
from ..orgs.models import Organisation
from .forms import ROLE_LABELS

register("user", _l("Пользователь"), {
    "email": (_l("Эл. почта"), TEXT),
    "full_name": (_l("ФИО"), TEXT),
    "position": (_l("Должность"), TEXT),
    "role": (_l("Роль"), Choice(ROLE_LABELS)),
    "organisation_id": (_l("Организация"), Ref(Organisation, "short_name")),
    "is_active": (_l("Учётная запись включена"), FLAG),
    "must_change_password": (_l("Сменить пароль при входе"), FLAG),
    "link_expires_at": (_l("Ссылка действует до"), DAY),
}, actions={"activate": _l("включение"), "deactivate": _l("отключение"), "reset_password": _l("сброс пароля"),
            "password": _l("смена пароля"), "setup_link": _l("ссылка для входа"),
            "setup_password": _l("пароль задан по ссылке")})
