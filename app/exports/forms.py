from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField
from wtforms.validators import DataRequired, NumberRange

from ..forms import Form, NumberField
from .summary import PERIOD_LABELS

# A job in the list of recent exports, by its shown status (ExportJob.shown_status).
JOB_STATUS_LABELS = {
    "queued": _l("готовится"),
    "running": _l("готовится"),
    "done": _l("скачать"),
    "failed": _l("ошибка"),
    "interrupted": _l("прервалась, запустите ещё раз"),
}


class SummaryForm(Form):
    year = NumberField(_l("Учебный год начинается в"), integer=True,
                       validators=[DataRequired(_l("Укажите год.")),
                                   NumberRange(2015, 2040, _l("Год от 2015 до 2040."))])
    period = SelectField(_l("Период"), choices=list(PERIOD_LABELS.items()), default="")


class UploadForm(Form):
    file = FileField(_l("Файл .xlsx по шаблону"), validators=[FileRequired(_l("Выберите файл."))])
