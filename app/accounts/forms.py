from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from ..forms import Form
from .models import ROLES

ROLE_LABELS = {
    "admin": _l("Руководитель / координатор УО"),
    "curator": _l("Специалист-куратор"),
    "tutor": _l("Школа-тьютор"),
    "school": _l("Команда школы"),
    "observer": _l("Региональный эксперт (наблюдатель)"),
}

# An account is active or switched off (User.is_active): the state and the action that flips it.
ACTIVE_LABELS = {
    True: (_l("активен"), _l("Отключить")),
    False: (_l("отключён"), _l("Включить")),
}

PASSWORD_RULES = _l("Не короче 10 символов, буквы и цифры.")


def strong_password(form, field):
    value = field.data or ""
    if len(value) < 10 or not any(c.isdigit() for c in value) or not any(c.isalpha() for c in value):
        raise ValidationError(_l("Пароль должен быть не короче 10 символов и содержать буквы и цифры."))


class LoginForm(Form):
    email = EmailField(_l("Электронная почта"),
                       validators=[DataRequired(_l("Введите электронную почту.")), Length(max=254)])
    password = PasswordField(_l("Пароль"), validators=[DataRequired(_l("Введите пароль.")), Length(max=200)])
    remember = BooleanField(_l("Запомнить меня"))
    next = HiddenField()


def _new_password_fields():
    """The new password and its repetition, made anew for each form so they keep their place
    in the form's order (WTForms orders fields by when they were made)."""
    return (PasswordField(_l("Новый пароль"),
                          validators=[DataRequired(_l("Введите новый пароль.")), Length(max=200), strong_password],
                          description=PASSWORD_RULES),
            PasswordField(_l("Повторите новый пароль"),
                          validators=[DataRequired(_l("Повторите пароль.")),
                                      EqualTo("new", _l("Пароли не совпадают."))]))


class PasswordChangeForm(Form):
    current = PasswordField(_l("Текущий пароль"),
                            validators=[DataRequired(_l("Введите текущий пароль.")), Length(max=200)])
    new, repeat = _new_password_fields()


class UserForm(Form):
    email = EmailField(_l("Электронная почта"),
                       validators=[DataRequired(_l("Введите электронную почту.")),
                                   Email(_l("Неверный адрес электронной почты.")), Length(max=254)])
    full_name = StringField(_l("ФИО"), validators=[DataRequired(_l("Введите ФИО.")), Length(max=200)])
    position = StringField(_l("Должность"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Роль"), choices=[(r, ROLE_LABELS[r]) for r in ROLES])
    organisation_id = SelectField(_l("Организация"), coerce=int, validate_choice=True)
    version = HiddenField()


class SetupPasswordForm(Form):
    """The page of a one-time link: the person chooses their own password."""
    new, repeat = _new_password_fields()


class NewUserForm(UserForm):
    password = PasswordField(_l("Временный пароль"),
                             validators=[Optional(), Length(max=200), strong_password],
                             description=_l("Можно оставить пустым: Опора выдаст ссылку, по которой пользователь сам "
                                            "задаст пароль. Пароль, заданный здесь, временный — пользователь сменит "
                                            "его при первом входе. Не короче 10 символов, буквы и цифры."))


class ResetPasswordForm(Form):
    password = PasswordField(_l("Временный пароль"),
                             validators=[DataRequired(_l("Введите пароль.")), Length(max=200), strong_password],
                             description=PASSWORD_RULES)
