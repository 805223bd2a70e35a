import time

from flask import current_app, flash, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import text
from wtforms import HiddenField

from .. import policy
from ..extensions import db
from ..htmx import render
from . import bp, services
from ..forms import Form


@bp.get("/")
def home():
    policy.require("view")
    from ..exports.summary import summary_rows
    from ..timeutil import school_year, today

    rows = summary_rows(policy.visible_partnerships(), current_user.municipality_id, school_year())
    return render(f"core/home_{current_user.role}.html",
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
        return redirect(url_for("core.home")), 303
    session["locale"] = code
    if current_user.is_authenticated:
        current_user.locale = code
        db.session.commit()
    target = request.form.get("next", "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("core.home"))
