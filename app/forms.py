"""The base of every form: text is trimmed, and control characters are refused.

NUL and other control characters cannot be stored by PostgreSQL and hide text from
readers; refusing them here covers every form of every area at once.
"""
import math
import re

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, PasswordField, StringField, TextAreaField
from wtforms.widgets import TextInput

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


# Digits with an optional sign and one decimal separator, after thousands spaces are removed.
NUMBER = re.compile(r"[-+]?(\d+([.,]\d*)?|[.,]\d+)")
THOUSANDS = re.compile(r"[\s\u00a0\u202f']")


def parse_number(text):
    """A number as a person types it: «10,5», «10.5», «1 234,5» (ordinary, non-breaking or
    narrow spaces between thousands). Empty → None; anything else raises ValueError."""
    text = THOUSANDS.sub("", text or "")
    if not text:
        return None
    if not NUMBER.fullmatch(text):
        raise ValueError(text)
    value = float(text.replace(",", "."))
    if not math.isfinite(value):
        raise ValueError(text)
    return value


class NumberField(Field):
    """Every typed number: accepts the decimal comma and spaces in thousands, refuses junk with
    a Russian message, and puts the value back the locale's way (10,5) so a re-submit works.
    A text input with inputmode=decimal: a browser's type=number input would refuse «10,5».
    integer=True: a whole number (a count, a year)."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, integer=False, **kwargs):
        render_kw = {"inputmode": "numeric" if integer else "decimal", "autocomplete": "off",
                     **(kwargs.pop("render_kw", None) or {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)
        self.integer = integer

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        self.data = None
        try:
            value = parse_number(valuelist[0])
        except ValueError:
            raise ValueError(_l("Введите число, например 10,5.") if not self.integer
                             else _l("Введите целое число, например 12.")) from None
        if value is not None and self.integer:
            if not value.is_integer():
                raise ValueError(_l("Введите целое число, например 12."))
            value = int(value)
        self.data = value

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None or self.data == "":
            return ""
        if self.integer or float(self.data).is_integer():
            return str(int(self.data))
        return format_decimal(self.data, format="0.##########")
