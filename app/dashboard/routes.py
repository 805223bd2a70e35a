import time

from flask import abort, current_app, flash, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import text
from wtforms import HiddenField

from .. import policy
from ..orgs.models import Partnership
from ..extensions import db
from ..htmx import render
from . import bp, services
from ..exports import summary as data
from ..forms import Form, db_int
from ..timeutil import school_year


@bp.get("/")
def home():
    policy.require("view")
    from ..exports.summary import summary_rows
    from ..timeutil import school_year, today

    rows = summary_rows(policy.visible(Partnership), current_user.municipality_id, school_year())
    return render(f"dashboard/home_{current_user.role}.html",
                  counts=services.municipality_counts(current_user.municipality_id),
                  partnerships=services.my_partnerships(), rows=rows, my_tasks=services.my_tasks(current_user),
                  today=today())


@bp.get("/healthz")
def healthz():
    started = time.perf_counter()
    try:
        db.session.execute(text("SELECT 1"))
        ok = True
    except Exception:  # any driver error means "database down" here
        db.session.rollback()
        ok = False
    body = {"status": "ok" if ok else "unavailable", "database": "ok" if ok else "unavailable",
            "database_ms": round((time.perf_counter() - started) * 1000, 1)}
    return jsonify(body), 200 if ok else 503


class LanguageForm(Form):
    next = HiddenField()


@bp.post("/language/<code>")
def set_language(code):
    form = LanguageForm()
    if code not in current_app.config["LANGUAGES"] or not form.validate_on_submit():
        flash(_("Неизвестный язык."), "error")
        return redirect(url_for("dashboard.home")), 303
    session["locale"] = code
    if current_user.is_authenticated:
        current_user.locale = code
        db.session.commit()
    target = request.form.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("dashboard.home"))


# --- The summary dashboard: the rows the Excel summary exports -----------------------------------------------------------------------------

@bp.get("/dashboard")
def summary():
    policy.require("view")
    year = request.args.get("year", type=db_int) or school_year()
    if not 2015 <= year <= 2040:
        abort(404)
    period = request.args.get("period", "")
    if period not in data.PERIODS:
        period = ""
    rows = data.summary_rows(policy.visible(Partnership), current_user.municipality_id, year, period)
    if current_user.role == "school":
        programme = rows[0]["programme_id"] if rows and rows[0]["programme_id"] else None
        if programme is None:
            return render("dashboard/summary_school.html", rows=rows)
        return redirect(url_for("programmes.programme", programme_id=programme, _anchor="overview-h"))
    from ..teachers.services import heatmap
    from ..visits.services import coverage_gaps

    card = None
    if policy.can("summarize", current_user.municipality):
        card, _c = data.card_frame(current_user.municipality_id, year)
    totals = {
        "tasks": sum(r["Мероприятий всего"] for r in rows), "done": sum(r["Выполнено"] for r in rows),
        "overdue": sum(r["Просрочено"] for r in rows), "due_soon": sum(r["Срок в ближайшие 14 дней"] for r in rows),
        "on_track": sum(r["Показателей в плане"] for r in rows),
        "indicators": sum(r["Показателей всего"] for r in rows),
    }
    return render("dashboard/summary.html", rows=rows, totals=totals, statuses=data.status_counts(rows), year=year,
                  period=period, periods=data.PERIODS, gaps=coverage_gaps(current_user.municipality),
                  heat=heatmap(current_user.municipality_id) if policy.can("summarize", current_user.municipality)
                  else [],
                  card=card, categories=[c for c in (rows[0] if rows else {}) if c.startswith("Дефициты:")])
