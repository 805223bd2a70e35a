"""Role home pages, the health check, the language switch and the summary dashboard."""
import time

from flask import abort, current_app, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import HiddenField

from .. import policy
from ..exports import summary as data
from ..forms import Form, db_int
from ..htmx import refused, render
from ..orgs.models import Partnership
from ..timeutil import school_year, today
from . import bp, services


@bp.get("/")
def home():
    policy.require("view")
    rows = data.summary_rows(policy.visible(Partnership), current_user.municipality_id, school_year())
    return render(f"dashboard/home_{current_user.role}.html",
                  counts=services.municipality_counts(current_user.municipality_id),
                  partnerships=services.my_partnerships(), rows=rows, my_tasks=services.my_tasks(current_user),
                  status_label=services.status_label, today=today())


@bp.get("/healthz")
def healthz():
    started = time.perf_counter()
    ok = services.database_ok()
    body = {"status": "ok" if ok else "unavailable", "database": "ok" if ok else "unavailable",
            "database_ms": round((time.perf_counter() - started) * 1000, 1)}
    return jsonify(body), 200 if ok else 503


class LanguageForm(Form):
    next = HiddenField()


@bp.post("/language/<code>")
def set_language(code):
    form = LanguageForm()
    if code not in current_app.config["LANGUAGES"] or not form.validate_on_submit():
        return refused(url_for("dashboard.home"), _("Неизвестный язык."))
    session["locale"] = code
    if current_user.is_authenticated:
        current_user.locale = code  # the POST's request commits it
    target = request.form.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("dashboard.home"))


# --- The summary dashboard: the rows the Excel summary exports --------------------------------

@bp.get("/dashboard")
def summary():
    policy.require("view")
    year = request.args.get("year", type=db_int) or school_year()
    if not 2015 <= year <= 2040:
        abort(404)
    period = request.args.get("period", "")
    if period not in data.PERIODS:
        period = ""
    if current_user.role == "school":  # a school team's summary is its programme's overview
        rows = data.summary_rows(policy.visible(Partnership), current_user.municipality_id, year, period)
        programme = rows[0]["programme_id"] if rows and rows[0]["programme_id"] else None
        if programme is None:
            return render("dashboard/summary_school.html", rows=rows)
        return redirect(url_for("programmes.programme", programme_id=programme, _anchor="overview-h"))
    return render("dashboard/summary.html", year=year, period=period, periods=data.PERIOD_LABELS,
                  status_label=services.status_label, **services.summary_page(current_user, year, period))
