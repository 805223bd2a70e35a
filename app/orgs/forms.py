from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ..forms import Form, NumberField
from ..timeutil import is_zone

KIND_LABELS = {
    "department": _l("Управление образования"),
    "method_centre": _l("Методический центр"),
    "school": _l("Школа"),
}
# How a context factor bears on results (ContextFactor.direction).
DIRECTION_LABELS = {
    "negative": _l("отрицательное"),
    "positive": _l("положительное"),
}
# The list's filter by the school's flags: code → label (services.search_organisations reads the codes).
FLAG_LABELS = {
    "low": _l("Только ШНОР"),
    "unfavourable": _l("Только ШНСУ"),
}


class TimezoneForm(Form):
    timezone = StringField(_l("Часовой пояс муниципалитета"),
                           description=_l("Например: Asia/Krasnoyarsk, Europe/Moscow."),
                           validators=[DataRequired(_l("Укажите часовой пояс.")), Length(max=64)])

    def validate_timezone(self, field):
        if not is_zone(field.data):
            raise ValidationError(_l("Неизвестный часовой пояс: "
                                     "укажите название вида Asia/Krasnoyarsk или Europe/Moscow."))


class OrganisationRowForm(Form):
    """The fields edited inline in the list."""

    short_name = StringField(_l("Краткое название"),
                             validators=[DataRequired(_l("Введите краткое название.")), Length(max=120)])
    director = StringField(_l("Руководитель"), validators=[Optional(), Length(max=200)])
    is_low_results = BooleanField(_l("ШНОР"))
    is_unfavourable = BooleanField(_l("ШНСУ"))
    version = HiddenField()


class OrganisationForm(OrganisationRowForm):
    kind = SelectField(_l("Тип"), choices=list(KIND_LABELS.items()))
    name = StringField(_l("Полное название"),
                       validators=[DataRequired(_l("Введите полное название.")), Length(max=300)])
    address = StringField(_l("Адрес"), validators=[Optional(), Length(max=300)])
    students = NumberField(_l("Число обучающихся"), integer=True,
                           validators=[Optional(), NumberRange(0, 10000, _l("От 0 до 10 000."))])
    is_archived = BooleanField(_l("В архиве"))


class PartnershipForm(Form):
    school_id = SelectField(_l("Сопровождаемая школа (ШНОР)"), coerce=int)
    tutor_school_id = SelectField(_l("Школа-тьютор"), coerce=int)
    curator_id = SelectField(_l("Специалист-куратор"), coerce=int)
    start_year = NumberField(_l("Первый учебный год начинается в"), integer=True,
                              validators=[DataRequired(_l("Укажите год.")),
                                          NumberRange(2015, 2040, _l("Год от 2015 до 2040."))])
    agreement_number = StringField(_l("Номер сетевого договора"), validators=[Optional(), Length(max=60)])
    agreement_date = DateField(_l("Дата сетевого договора"), validators=[Optional()])
    note = TextAreaField(_l("Примечание"), validators=[Optional(), Length(max=2000)])
    is_active = BooleanField(_l("Действует"), default=True)
    version = HiddenField()

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if ok and self.school_id.data == self.tutor_school_id.data:
            self.tutor_school_id.errors.append(_l("Школа не может сопровождать сама себя."))
            ok = False
        return ok


class PartnershipRowForm(Form):
    curator_id = SelectField(_l("Специалист-куратор"), coerce=int)
    agreement_number = StringField(_l("Номер договора"), validators=[Optional(), Length(max=60)])
    agreement_date = DateField(_l("Дата договора"), validators=[Optional()])
    version = HiddenField()


def context_form(profile):
    """One field per factor of the municipality's catalogue (services.context_profile), filled
    with this year's shares."""

    class ContextForm(Form):
        pass

    for factor, share, _previous in profile:
        setattr(ContextForm, f"f{factor.id}", NumberField(
            factor.name, default=share,
            validators=[Optional(), NumberRange(0, 100, _l("Доля — от 0 до 100 %%."))]))
    return ContextForm()


def context_shares(form, profile):
    """{factor id: share or None} from a submitted context_form."""
    return {factor.id: form[f"f{factor.id}"].data for factor, _share, _previous in profile}
