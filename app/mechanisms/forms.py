from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ..forms import Form, NumberField

SCORE_LABELS = {"points": _l("Баллы"), "comment": _l("Комментарий"), "evidence": _l("Подтверждающие документы")}
CRITERION_LABELS = {"text": _l("Критерий"), "max_points": _l("Максимум баллов"), "is_active": _l("Учитывается")}
MAX_POINTS = NumberRange(1, 100, _l("Максимум — от 1 до 100 баллов."))


class ScoreForm(Form):
    """Points of one criterion in one year; the criterion's maximum is set by the route."""

    points = NumberField(_l("Баллы"), validators=[Optional()])
    comment = TextAreaField(_l("Комментарий"), validators=[Optional(), Length(max=5000)])
    evidence = TextAreaField(_l("Подтверждающие документы"),
                             description=_l("Ссылки или названия документов, по одному в строке."),
                             validators=[Optional(), Length(max=5000)])
    version = HiddenField()

    def __init__(self, *args, max_points=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_points = max_points
        if max_points is not None:
            self.points.description = _("от 0 до %(max)s", max=max_points)

    def validate_points(self, field):
        if field.data is not None and not 0 <= field.data <= self.max_points:
            raise ValidationError(_("Баллы — от 0 до %(max)s.", max=self.max_points))


class CriterionForm(Form):
    mechanism_id = SelectField(_l("Механизм"), coerce=int)
    text = TextAreaField(_l("Критерий"), validators=[DataRequired(_l("Сформулируйте критерий.")), Length(max=2000)])
    max_points = NumberField(_l("Максимум баллов"), integer=True,
                             validators=[DataRequired(_l("Укажите максимум баллов.")), MAX_POINTS])
    year = HiddenField()


class CriterionEditForm(Form):
    text = TextAreaField(_l("Критерий"), validators=[DataRequired(_l("Сформулируйте критерий.")), Length(max=2000)])
    max_points = NumberField(_l("Максимум баллов"), integer=True,
                             validators=[DataRequired(_l("Укажите максимум баллов.")), MAX_POINTS])
    is_active = BooleanField(_l("Учитывается в самооценке"))
    version = HiddenField()
