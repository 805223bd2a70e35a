"""How attachments appear in history (see activity.labels)."""
from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from ..activity.labels import TEXT, Text, register


def _size(value, names=None):
    if not isinstance(value, int):
        return TEXT(value)
    return gettext("%(size)s КБ", size=current_app.jinja_env.filters["num"](value / 1024, 1))


register("attachment", _l("Файл"), {"filename": (_l("Файл"), Text(200)), "size": (_l("Размер"), _size)})
