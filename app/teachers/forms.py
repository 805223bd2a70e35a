from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, HiddenField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..forms import Form, NumberField
from .services import QUALIFICATION_NAMES


class TeacherForm(Form):
    full_name = StringField(_l("ФИО"), validators=[DataRequired(_l("Введите ФИО.")), Length(max=200)])
    position = StringField(_l("Должность"), default="учитель", validators=[Optional(), Length(max=200)])
    subjects = StringField(_l("Предметы"), validators=[Optional(), Length(max=300)])
    experience_years = NumberField(_l("Стаж, лет"), integer=True,
                                   validators=[Optional(), NumberRange(0, 70, _l("От 0 до 70 лет."))])
    category = SelectField(_l("Квалификационная категория"), choices=list(QUALIFICATION_NAMES.items()),
                           default="без категории")
    is_part_time = BooleanField(_l("Совместитель"))
    version = HiddenField()


class ImportForm(Form):
    file = FileField(_l("Файл .xlsx по шаблону"), validators=[FileRequired(_l("Выберите файл."))])


class SessionForm(Form):
    session_date = DateField(_l("Дата"), validators=[DataRequired(_l("Укажите дату."))])
    method = SelectField(_l("Метод"))
    conducted_by = StringField(_l("Кто проводил"), validators=[Optional(), Length(max=300)])


class StepForm(Form):
    kind = SelectField(_l("Вид"))
    title = StringField(_l("Шаг маршрута"), validators=[DataRequired(_l("Опишите шаг.")), Length(max=500)])
    deadline = DateField(_l("Срок"), validators=[Optional()])
    provider = StringField(_l("Кто проводит"), validators=[Optional(), Length(max=300)])
    status = SelectField(_l("Статус"))
    areas = SelectMultipleField(_l("Какие дефициты закрывает"), coerce=int)
    task_id = SelectField(_l("Мероприятие программы"), coerce=int)
    version = HiddenField()


class AreaForm(Form):
    category = SelectField(_l("Категория"))
    name = StringField(_l("Направление"), validators=[DataRequired(_l("Введите направление.")), Length(max=400)])
