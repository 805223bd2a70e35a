from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from ..forms import Form


class CommentForm(Form):
    body = TextAreaField(_l("Комментарий"), validators=[DataRequired(_l("Комментарий пуст.")), Length(max=5000)],
                         description=_l("Упомяните коллегу: @фамилия или @логин — ему придёт уведомление."))


class AttachmentForm(Form):
    file = FileField(_l("Файл"), validators=[FileRequired(_l("Выберите файл."))])
