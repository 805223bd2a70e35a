"""Reporting periods: the school's report for a period, and the curator's review."""
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ... import policy
from ...editing import Conflict
from ...forms import form_errors
from ...htmx import refused, render
from .. import bp, services
from ..forms import ReportForm, ReviewForm
from ..models import ReportingPeriod
from .shared import context


def _period(programme, period_id):
    period = policy.load(ReportingPeriod, period_id, "view")
    if period.programme_id != programme.id:
        abort(404)
    return period


def _report_url(programme, period):
    return url_for("programmes.report", programme_id=programme.id, period_id=period.id)


@bp.route("/programmes/<int:programme_id>/reports/<int:period_id>", methods=["GET", "POST"])
def report(programme_id, period_id):
    programme = services.load_programme(programme_id)
    period = _period(programme, period_id)
    report = services.report_for(programme, period)
    form = ReportForm(narrative=report.narrative, version=report.version) if request.method == "GET" else ReportForm()
    status = 200
    if request.method == "POST":
        policy.authorize("submit", programme)
        if report.is_locked or report.status == "submitted":
            abort(409)
        if form.validate_on_submit():
            try:
                services.save_report(current_user, report, form.narrative.data, form.version.data)
            except Conflict:
                flash(_("Отчёт уже изменил другой участник: ниже его версия. Внесите правку заново."), "warning")
                return redirect(_report_url(programme, period)), 303
            if request.form.get("submit") == "1":
                try:
                    services.submit_report(current_user, programme, report)
                except Conflict:
                    flash(_("Отчёт уже изменил другой участник. Проверьте и сдайте ещё раз."), "warning")
                    return redirect(_report_url(programme, period)), 303
                flash(_("Отчёт сдан куратору."), "success")
            else:
                flash(_("Черновик отчёта сохранён."), "success")
            return redirect(_report_url(programme, period))
        status = 422
    data = services.page_data(programme)
    return render("programmes/report.html", status=status, report=report, period=period, form=form,
                  review_form=ReviewForm(), **context(programme, **data))


@bp.post("/programmes/<int:programme_id>/reports/<int:period_id>/review")
def review_report(programme_id, period_id):
    programme = services.load_programme(programme_id, "review")
    period = _period(programme, period_id)
    report = services.report_for(programme, period)
    if report.status != "submitted":
        return refused(_report_url(programme, period), _("Принять или вернуть можно только сданный отчёт."))
    form = ReviewForm()
    if not form.validate_on_submit():
        return refused(_report_url(programme, period), form_errors(form))
    try:
        services.review_report(current_user, programme, report, form.feedback.data, form.decision.data == "accept")
    except Conflict:
        flash(_("Отчёт уже изменил другой участник. Проверьте его и повторите."), "warning")
        return redirect(_report_url(programme, period)), 303
    flash(_("Отчёт принят и закрыт для изменений.") if report.is_locked else _("Отчёт возвращён школе."), "success")
    return redirect(_report_url(programme, period))
