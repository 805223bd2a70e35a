"""The base of every form: text is trimmed, and control characters are refused.

NUL and other control characters cannot be stored by PostgreSQL and hide text from
readers; refusing them here covers every form of every area at once.
"""
import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, TextAreaField

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
SINGLE_LINE_CONTROL = re.compile(r"[\r\n\t]")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class Form(FlaskForm):
    class Meta:
        def bind_field(self, form, unbound_field, options):
            if issubclass(unbound_field.field_class, StringField) and not issubclass(
                    unbound_field.field_class, PasswordField):
                options["filters"] = (*unbound_field.kwargs.get("filters", ()), _strip)
            return unbound_field.bind(form=form, **options)

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        for field in self:
            if isinstance(field, StringField) and isinstance(field.data, str):
                bad = CONTROL.search(field.data) or (
                    not isinstance(field, TextAreaField) and SINGLE_LINE_CONTROL.search(field.data))
                if bad:
                    field.errors = [*field.errors, _l("Недопустимые управляющие символы в тексте.")]
                    ok = False
        return ok


def db_int(value):
    """For request.args.get(..., type=db_int): an integer that fits the database's integer
    columns; anything else raises ValueError, so the argument falls back to its default."""
    number = int(value)
    if not -2**31 < number < 2**31:
        raise ValueError("out of range")
    return number


def form_errors(form):
    """All of a form's messages in one line, for a flash after a plain (non-htmx) form post."""
    return "; ".join(str(e) for errors in form.errors.values() for e in errors)
