from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import TextInput

from ..forms import Form, NumberField

RECOMMENDATION_STATUS_LABELS = {"open": _l("Открыта"), "in_work": _l("В работе"), "done": _l("Выполнена"),
                                "rejected": _l("Не принята")}
# A recommendation in these statuses says why (the reason is asked for and shown).
REASON_STATUSES = frozenset({"rejected"})
VISIT_STATUS_LABELS = {"planned": _l("Запланирован"), "draft": _l("Черновик"), "submitted": _l("Отправлен школе")}
# Not yet sent to the school: shown muted in lists and the timeline.
VISIT_STATUS_MUTED = frozenset({"planned", "draft"})


class VisitForm(Form):
    partnership_id = SelectField(_l("Сопровождаемая школа"), coerce=int)
    visit_date = DateField(_l("Дата"), validators=[DataRequired(_l("Укажите дату выезда."))])
    # Checked: the visit is scheduled, not held yet; unchecking it records that it was held.
    planned = BooleanField(_l("Запланирован (ещё не проведён)"))
    format = SelectField(_l("Формат"))
    purpose = TextAreaField(_l("Цель"), validators=[DataRequired(_l("Укажите цель выезда.")), Length(max=5000)])
    findings = TextAreaField(_l("Выводы (что установлено)"), validators=[Optional(), Length(max=20000)])
    people = SelectMultipleField(_l("Кто выезжал"), coerce=int)
    organisations = SelectMultipleField(_l("Организации"), coerce=int)
    version = HiddenField()


class ObservationForm(Form):
    teacher_id = SelectField(_l("Педагог"), coerce=int)
    subject = StringField(_l("Предмет"), validators=[DataRequired(_l("Укажите предмет.")), Length(max=120)])
    grade = StringField(_l("Класс"), validators=[DataRequired(_l("Укажите класс.")), Length(max=20)])
    topic = StringField(_l("Тема урока"), validators=[Optional(), Length(max=400)])
    notes = TextAreaField(_l("Наблюдения"), validators=[Optional(), Length(max=10000)])
    version = HiddenField()


class RecommendationForm(Form):
    text = TextAreaField(_l("Рекомендация"), validators=[DataRequired(_l("Сформулируйте рекомендацию.")),
                                                         Length(max=5000)])
    owner = StringField(_l("Кому (должность, ФИО)"), validators=[Optional(), Length(max=300)])
    owner_user_id = SelectField(_l("Ответственный в Опоре"), coerce=int)
    deadline = DateField(_l("Срок"), validators=[Optional()])
    version = HiddenField()


class RespondForm(Form):
    """The status control of a recommendation row (one short line: a select and a text input)."""
    status = SelectField(_l("Статус рекомендации"), choices=list(RECOMMENDATION_STATUS_LABELS.items()))
    # Shown as one line (the row is one line), validated as the text it was before.
    reason = TextAreaField(_l("Причина"), validators=[Optional(), Length(max=2000)], widget=TextInput(),
                           render_kw={"placeholder": _l("причина, если не принята")})
    version = HiddenField()

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if ok and self.status.data in REASON_STATUSES and not (self.reason.data or "").strip():
            self.reason.errors.append(_l("Укажите причину, по которой рекомендация не принята."))
            ok = False
        return ok


class ToTaskForm(Form):
    section_id = SelectField(_l("Раздел программы"), coerce=int)


class EventForm(Form):
    title = StringField(_l("Название"), validators=[DataRequired(_l("Введите название.")), Length(max=400)])
    format = SelectField(_l("Формат"))
    host_id = SelectField(_l("Организатор"), coerce=int)
    event_date = DateField(_l("Дата"), validators=[DataRequired(_l("Укажите дату."))])
    topic = TextAreaField(_l("Тема"), validators=[Optional(), Length(max=5000)])
    schools = SelectMultipleField(_l("Школы-участники"), coerce=int)
    materials = TextAreaField(_l("Материалы (ссылки)"), validators=[Optional(), Length(max=5000)])
    outcome = TextAreaField(_l("Итог"), validators=[Optional(), Length(max=10000)])
    version = HiddenField()


class CriterionForm(Form):
    text = StringField(_l("Критерий наблюдения"), validators=[DataRequired(_l("Введите критерий.")), Length(max=300)])


class CoverageForm(Form):
    weeks = NumberField(_l("Предупреждать, если выезда не было, недель"), integer=True,
                         validators=[DataRequired(_l("Укажите число недель.")),
                                     NumberRange(1, 52, _l("От 1 до 52 недель."))])
