"""Indicators and their values per reporting period, edited in place."""
from flask import abort, redirect, request
from flask_babel import gettext as _
from flask_login import current_user

from ... import policy
from ...editing import Conflict
from ...forms import form_errors
from ...htmx import refused
from .. import bp, services
from ..forms import IndicatorForm, ValueForm
from ..models import Indicator, ReportingPeriod
from .shared import inline, page_url

ANCHOR = "indicators-h"


def _indicator(block, programme, indicator, status=200, **ctx):
    return inline(block, programme, ANCHOR, status, indicator=indicator, **services.page_data(programme), **ctx)


def _indicator_data(form):
    return {f: getattr(form, f).data for f in services.INDICATOR_FIELDS}


@bp.post("/programmes/<int:programme_id>/indicators")
def add_indicator(programme_id):
    programme = services.load_programme(programme_id, "edit")
    form = IndicatorForm(prefix="indicator")
    if not form.validate_on_submit():
        return refused(page_url(programme, "indicators"), _("Показатель не добавлен: %(e)s", e=form_errors(form)))
    services.add_indicator(current_user, programme, _indicator_data(form))
    return redirect(page_url(programme, "indicators"))


@bp.route("/indicators/<int:indicator_id>/edit", methods=["GET", "POST"])
def edit_indicator(indicator_id):
    indicator = policy.load(Indicator, indicator_id, "edit")
    programme = services.load_programme(indicator.programme_id)
    if request.method == "GET":
        form = IndicatorForm(obj=indicator)
        form.version.data = indicator.version
        return _indicator("indicator_form", programme, indicator, form=form)
    form = IndicatorForm()
    if not form.validate_on_submit():
        return _indicator("indicator_form", programme, indicator, 422, form=form)
    try:
        services.save_indicator(current_user, indicator, _indicator_data(form), form.version.data)
    except Conflict as exc:
        form.version.data = exc.current.version
        return _indicator("indicator_form", programme, exc.current, 409, form=form, conflict=exc)
    return _indicator("indicator_row", programme, indicator)


@bp.get("/indicators/<int:indicator_id>")
def indicator_row(indicator_id):
    indicator = policy.load(Indicator, indicator_id, "view")
    programme = services.load_programme(indicator.programme_id)
    return _indicator("indicator_row", programme, indicator)


def _value(indicator_id, period_id, action):
    indicator = policy.load(Indicator, indicator_id, action)
    period = policy.load(ReportingPeriod, period_id, "view")
    if period.programme_id != indicator.programme_id:
        abort(404)
    return indicator, period, services.value_for(indicator, period)


@bp.get("/indicators/<int:indicator_id>/values/<int:period_id>")
def value_cell(indicator_id, period_id):
    indicator, period, value = _value(indicator_id, period_id, "view")
    programme = services.load_programme(indicator.programme_id)
    return inline("value_cell", programme, ANCHOR, indicator=indicator, period=period, value=value)


@bp.route("/indicators/<int:indicator_id>/values/<int:period_id>/edit", methods=["GET", "POST"])
def edit_value(indicator_id, period_id):
    indicator, period, value = _value(indicator_id, period_id, "edit")
    programme = services.load_programme(indicator.programme_id)
    ctx = dict(indicator=indicator, period=period, value=value)
    if services.period_locked(period):
        return inline("value_cell", programme, ANCHOR, 422, locked=True, **ctx)
    if request.method == "GET":
        form = ValueForm(target=value.target, actual=value.actual, version=value.version)
        return inline("value_form", programme, ANCHOR, form=form, **ctx)
    form = ValueForm()
    if not form.validate_on_submit():
        return inline("value_form", programme, ANCHOR, 422, form=form, **ctx)
    try:
        services.save_value(current_user, value, {"target": form.target.data, "actual": form.actual.data},
                            form.version.data)
    except Conflict:  # rolled back already (versioning.stale_as_conflict): read what the other saved
        fresh = services.value_for(indicator, period)
        form.version.data = fresh.version
        return inline("value_form", programme, ANCHOR, 409, form=form, stale=fresh, **dict(ctx, value=fresh))
    return inline("value_cell", programme, ANCHOR, **ctx)
