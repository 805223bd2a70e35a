"""The mechanisms self-assessment page, inline score editing, the catalogue, the management cycle."""
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import policy
from ..activity.services import history_of
from ..editing import Conflict
from ..forms import db_int
from ..htmx import render, respond
from . import bp, services
from .forms import CriterionEditForm, CriterionForm, ScoreForm
from .models import Mechanism, MechanismCriterion

PAGE = "mechanisms/mechanisms.html"


def _year(value):
    """Self-assessment years are school years from 2015/16 to 2040/41; anything else is not a page."""
    if value is None or not services.MIN_YEAR <= value <= services.MAX_YEAR:
        abort(404)
    return value



def _context(municipality_id, year, **extra):
    items = services.catalogue(municipality_id)
    year_scores = services.scores(municipality_id, year)
    return dict(items=items, scores=year_scores, year=year,
                totals=services.totals(municipality_id, year, items, year_scores),
                comparison=services.comparison(municipality_id, year, items),
                numbers={c.id: f"{i}.{j}" for i, (m, cs) in enumerate(items, start=1)
                         for j, c in enumerate(cs, start=1)},
                mechanism_numbers={m.id: i for i, (m, _cs) in enumerate(items, start=1)},
                group_names=services.GROUP_NAMES,
                can_manage=policy.can("manage", current_user.municipality),
                min_year=services.MIN_YEAR, max_year=services.MAX_YEAR, **extra)


def _criterion_form(items, formdata=True, year=None):
    form = CriterionForm(prefix="criterion") if formdata else CriterionForm(prefix="criterion", year=year)
    form.mechanism_id.choices = [(m.id, m.name) for m, _cs in items]
    return form


# --- The page ---------------------------------------------------------------------------------

@bp.get("/mechanisms")
def assessment():
    municipality = policy.require("view")
    if "year" in request.args:
        year = _year(request.args.get("year", type=db_int))
    else:
        year = services.default_year(municipality.id)
    ctx = _context(municipality.id, year)
    return render(PAGE, criterion_form=_criterion_form(ctx["items"], formdata=False, year=year), **ctx)


# --- One score: row, inline form, save ----------------------------------------------------------

# What a saved score changes besides its row, sent out of band: the mechanism's heading and
# footer, the summary, the comparison with past years.
TOTALS = ("mechanism_total", "mechanism_heading", "summary", "comparison_table")


def _inline(block, criterion, year, status=200, oob=(), **extra):
    """A score row or its form. Without JavaScript they are not pages of their own: the browser
    goes back to the assessment page at the criterion (htmx.respond)."""
    return respond(PAGE, block, fallback=url_for("mechanisms.assessment", year=year, _anchor=f"score-{criterion.id}"),
                   status=status, oob=oob, context=lambda: _row_context(criterion, year, bool(oob)), **extra)


def _row_context(criterion, year, oob=False):
    ctx = _context(criterion.municipality_id, year)
    return dict(ctx, criterion=criterion, mechanism=criterion.mechanism, score=ctx["scores"].get(criterion.id),
                oob=oob)


@bp.get("/mechanisms/scores/<int:assessment_criterion_id>/<int:year>")
def score_row(assessment_criterion_id, year):
    criterion = policy.load(MechanismCriterion, assessment_criterion_id, "view")
    return _inline("score_row", criterion, _year(year))


@bp.get("/mechanisms/scores/<int:assessment_criterion_id>/<int:year>/edit")
def score_form(assessment_criterion_id, year):
    criterion = policy.load(MechanismCriterion, assessment_criterion_id, "edit")
    score = services.score_for(criterion, _year(year))
    form = ScoreForm(formdata=None, points=score.points, comment=score.comment, evidence=score.evidence,
                     version=score.version, max_points=criterion.max_points)
    return _inline("score_form", criterion, year, form=form)


@bp.post("/mechanisms/scores/<int:assessment_criterion_id>/<int:year>")
def save_score(assessment_criterion_id, year):
    criterion = policy.load(MechanismCriterion, assessment_criterion_id, "edit")
    score = services.score_for(criterion, _year(year))
    form = ScoreForm(max_points=criterion.max_points)
    if not criterion.is_active:
        form.points.errors = [_("Критерий выключен: он не учитывается в самооценке.")]
        return _inline("score_form", criterion, year, 422, form=form)
    if not form.validate_on_submit():
        return _inline("score_form", criterion, year, 422, form=form)
    data = {"points": form.points.data, "comment": form.comment.data or "", "evidence": form.evidence.data or ""}
    try:
        services.save_score(current_user, score, data, form.version.data)
    except Conflict as exc:
        form.version.data = exc.current.version  # saving again writes mine over theirs, knowingly
        return _inline("score_form", criterion, year, 409, form=form, conflict=exc)
    return _inline("score_row", criterion, year, oob=TOTALS)


# --- Catalogue (admin) ------------------------------------------------------------------------

@bp.post("/mechanisms/criteria")
def add_criterion():
    municipality = policy.require("manage")
    items = services.catalogue(municipality.id)
    form = _criterion_form(items)
    year = request.form.get("criterion-year", type=db_int)
    if year is None or not services.MIN_YEAR <= year <= services.MAX_YEAR:
        year = services.default_year(municipality.id)
    if not form.validate_on_submit():
        ctx = _context(municipality.id, year)
        return render(PAGE, status=422, criterion_form=form, **ctx)
    mechanism = policy.load(Mechanism, form.mechanism_id.data, "edit")
    services.add_criterion(current_user, mechanism, {"text": form.text.data, "max_points": form.max_points.data})
    flash(_("Критерий добавлен: %(name)s.", name=mechanism.name), "success")
    return redirect(url_for("mechanisms.assessment", year=year, _anchor=f"mechanism-{mechanism.id}"))


def _criterion_page(criterion, form, status=200, **extra):
    return render("mechanisms/criterion.html", form=form, criterion=criterion, history=history_of(criterion),
                  status=status, **extra)


@bp.route("/mechanisms/criteria/<int:assessment_criterion_id>/edit", methods=["GET", "POST"])
def edit_criterion(assessment_criterion_id):
    criterion = policy.load(MechanismCriterion, assessment_criterion_id, "edit")
    if request.method == "GET":
        return _criterion_page(criterion, CriterionEditForm(formdata=None, obj=criterion))
    form = CriterionEditForm()
    valid = form.validate_on_submit()
    highest = services.highest_score(criterion)
    if valid and highest is not None and form.max_points.data < highest:
        form.max_points.errors = [_("По этому критерию уже выставлены баллы до %(n)s: максимум не может быть меньше.",
                                    n=services.num(highest))]
        valid = False
    if not valid:
        return _criterion_page(criterion, form, 422)
    data = {"text": form.text.data, "max_points": form.max_points.data, "is_active": form.is_active.data}
    try:
        services.save_criterion(current_user, criterion, data, form.version.data)
    except Conflict as exc:
        form.version.data = exc.current.version
        return _criterion_page(exc.current, form, 409, conflict=exc)
    flash(_("Критерий сохранён."), "success")
    return redirect(url_for("mechanisms.assessment", _anchor=f"mechanism-{criterion.mechanism_id}"))


# --- Management cycle ---------------------------------------------------------------------------

@bp.get("/mechanisms/cycle")
def cycle():
    municipality = policy.require("view")
    steps = services.management_cycle(municipality.id, current_user)
    return render("mechanisms/cycle.html", steps=steps, done=sum(1 for s in steps if s["done"]),
                  done_share=round(100 * services.CYCLE_DONE_SHARE))
