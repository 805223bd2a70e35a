from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..forms import Form, NumberField
from .services import RISK_LEVEL_NAMES, SCORING_NAMES


class ThresholdForm(Form):
    threshold = NumberField(_l("Порог суммы баллов"), validators=[DataRequired(_l("Укажите порог.")),
                                                                  NumberRange(0, 1000, _l("От 0 до 1000."))])


class CriterionForm(Form):
    code = StringField(_l("Код"), validators=[DataRequired(_l("Укажите код.")), Length(max=40)])
    text = TextAreaField(_l("Критерий"), validators=[DataRequired(_l("Сформулируйте критерий.")), Length(max=500)])
    scoring = SelectField(_l("Как считается"), choices=list(SCORING_NAMES.items()))
    max_points = NumberField(_l("Максимум баллов"), integer=True, default=1, validators=[
        DataRequired(_l("Укажите максимум.")), NumberRange(1, 100, _l("От 1 до 100."))])
    is_active = BooleanField(_l("Действует"), default=True)
    version = HiddenField()


class ImportForm(Form):
    file = FileField(_l("Файл .xlsx по шаблону"), validators=[FileRequired(_l("Выберите файл."))])


class DecisionForm(Form):
    decision = SelectField(_l("Решение"), choices=[("confirmed", _l("Подтвердить статус ШНОР и начать сопровождение")),
                                                   ("declined", _l("Не присваивать статус"))])
    reason = TextAreaField(_l("Обоснование решения"), validators=[DataRequired(_l("Обоснуйте решение.")),
                                                                   Length(max=5000)])
    tutor_school_id = SelectField(_l("Школа-тьютор"), coerce=int)
    curator_id = SelectField(_l("Специалист-куратор"), coerce=int)
    start_year = NumberField(_l("Программа на два учебных года начиная с"), integer=True, validators=[
        Optional(), NumberRange(2015, 2040, _l("Год от 2015 до 2040."))])
    agreement_number = StringField(_l("Номер сетевого договора"), validators=[Optional(), Length(max=60)])
    agreement_date = DateField(_l("Дата сетевого договора"), validators=[Optional()])


class ExitForm(Form):
    reason = TextAreaField(_l("Основание вывода из списка ШНОР"), validators=[
        DataRequired(_l("Укажите основание решения.")), Length(max=5000)])
    decision_date = DateField(_l("Дата решения"), validators=[DataRequired(_l("Укажите дату решения."))])


class RiskForm(Form):
    level = SelectField(_l("Уровень"), choices=list(RISK_LEVEL_NAMES.items()))
    is_actual = BooleanField(_l("Актуален для нас"))
    measures = TextAreaField(_l("Меры"), validators=[Optional(), Length(max=2000)])
    version = HiddenField()


class RiskFactorForm(Form):
    name = StringField(_l("Фактор риска"), validators=[DataRequired(_l("Назовите фактор.")), Length(max=300)])


class ContextThresholdForm(Form):
    # Empty: the automatic threshold from the municipality's distribution.
    threshold = NumberField(_l("Порог индекса для ШНСУ (пусто — автоматически)"),
                            validators=[Optional(), NumberRange(0, 100, _l("От 0 до 100."))])
