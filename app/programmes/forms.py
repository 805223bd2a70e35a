from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..forms import Form, NumberField
from .models import DIRECTIONS, SOURCES, TASK_STATUSES

TASK_STATUS_LABELS = {"planned": _l("Запланировано"), "in_progress": _l("Выполняется"), "done": _l("Выполнено"),
                      "cancelled": _l("Отменено")}
PROGRAMME_STATUS_LABELS = {"draft": _l("Черновик"), "on_approval": _l("На согласовании"), "approved": _l("Утверждена"),
                           "in_progress": _l("Реализуется"), "completed": _l("Завершена"),
                           "closed": _l("Закрыта досрочно")}
REPORT_STATUS_LABELS = {"draft": _l("Черновик"), "submitted": _l("Сдан куратору"),
                        "returned": _l("Возвращён на доработку"),
                        "accepted": _l("Принят")}
DIRECTION_LABELS = {"higher": _l("чем больше, тем лучше"), "lower": _l("чем меньше, тем лучше")}
PASSPORT_LABELS = {"name": _l("Наименование программы"), "main_idea": _l("Основная идея"),
                   "risks": _l("Риски"), "resources": _l("Ресурсы")}
# The button that takes a programme to each status (services.TRANSITIONS says who may).
TRANSITION_LABELS = {"on_approval": _l("Отправить на согласование"), "draft": _l("Вернуть на доработку"),
                     "approved": _l("Утвердить"), "in_progress": _l("Начать реализацию"),
                     "completed": _l("Завершить"), "closed": _l("Закрыть досрочно")}
LIGHT_LABELS = {"green": _l("в плане"), "yellow": _l("есть продвижение"), "red": _l("отстаёт"),
                "grey": _l("нет данных")}
NUMBER = NumberRange(-1e9, 1e9, _l("Число вне допустимого диапазона."))


class ProgrammeCreateForm(Form):
    partnership_id = SelectField(_l("Сопровождение (школа, тьютор, куратор)"), coerce=int)
    start_year = NumberField(_l("Первый учебный год начинается в"), integer=True, validators=[
        DataRequired(_l("Укажите год.")), NumberRange(2015, 2040, _l("Год от 2015 до 2040."))])


class PassportFieldForm(Form):
    value = TextAreaField(validators=[Length(max=20000)])
    version = HiddenField()


class StatusForm(Form):
    status = SelectField(choices=list(PROGRAMME_STATUS_LABELS.items()))
    version = HiddenField()


class GoalForm(Form):
    text = TextAreaField(_l("Цель"), validators=[DataRequired(_l("Сформулируйте цель.")), Length(max=2000)])
    justification = TextAreaField(_l("Обоснование (необходимость)"), validators=[Optional(), Length(max=5000)])
    realism = TextAreaField(_l("Реалистичность (наличие ресурсов)"), validators=[Optional(), Length(max=5000)])
    version = HiddenField()


class SectionForm(Form):
    title = StringField(_l("Название раздела"), validators=[DataRequired(_l("Введите название раздела.")),
                                                            Length(max=400)])
    version = HiddenField()


class TaskForm(Form):
    section_id = SelectField(_l("Раздел"), coerce=int)
    title = TextAreaField(_l("Мероприятие"), validators=[DataRequired(_l("Опишите мероприятие.")), Length(max=2000)])
    due_date = DateField(_l("Срок исполнения"), validators=[Optional()])
    expected_result = TextAreaField(_l("Ожидаемый результат"), validators=[Optional(), Length(max=2000)])
    responsible = StringField(_l("Ответственный"), validators=[Optional(), Length(max=300)])
    owner_id = SelectField(_l("Исполнитель в Опоре"), coerce=int)
    status = SelectField(_l("Статус"), choices=list(TASK_STATUS_LABELS.items()))
    evidence = TextAreaField(_l("Подтверждение выполнения (текст, ссылки)"), validators=[Optional(), Length(max=5000)])
    version = HiddenField()


class TaskStatusForm(Form):
    status = SelectField(_l("Статус"), choices=list(TASK_STATUS_LABELS.items()))
    version = HiddenField()


class BulkStatusForm(Form):
    status = SelectField(_l("Новый статус"), choices=list(TASK_STATUS_LABELS.items()))


class IndicatorForm(Form):
    name = StringField(_l("Показатель"), validators=[DataRequired(_l("Введите название показателя.")), Length(max=400)])
    unit = StringField(_l("Единица"), default="%", validators=[DataRequired(_l("Укажите единицу.")), Length(max=30)])
    direction = SelectField(_l("Направление"), choices=list(DIRECTION_LABELS.items()))
    source = SelectField(_l("Источник данных"), choices=[(s, s) for s in SOURCES])
    baseline = NumberField(_l("Базовое значение"), validators=[Optional(), NUMBER])
    baseline_date = DateField(_l("Дата базового значения"), validators=[Optional()])
    version = HiddenField()


class ValueForm(Form):
    target = NumberField(_l("План"), validators=[Optional(), NUMBER])
    actual = NumberField(_l("Факт"), validators=[Optional(), NUMBER])
    version = HiddenField()


class ReportForm(Form):
    narrative = TextAreaField(_l("Что сделано за период, что не получилось и почему"),
                              validators=[Optional(), Length(max=20000)])
    version = HiddenField()


class ReviewForm(Form):
    feedback = TextAreaField(_l("Обратная связь куратора"), validators=[DataRequired(_l("Напишите обратную связь.")),
                                                                        Length(max=20000)])
    decision = SelectField(_l("Решение"), choices=[("accept", _l("Принять отчёт")),
                                                    ("return", _l("Вернуть на доработку"))])


assert set(TASK_STATUS_LABELS) == set(TASK_STATUSES) and set(DIRECTION_LABELS) == set(DIRECTIONS)
