"""The diagnostic card, decisions, context index, risk profile and the watchlist."""
from flask import abort, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from .. import imports, policy
from ..editing import Conflict
from ..forms import db_int, form_errors, parse_number
from ..htmx import refused, render, respond
from ..orgs.access import schools_with_visible_context, works_with_school
from ..orgs.models import Organisation
from ..timeutil import school_year, today
from . import bp, card_import, services
from .access import can_view_risks_of
from .forms import (
    ContextThresholdForm,
    CriterionForm,
    DecisionForm,
    ExitForm,
    ImportForm,
    RiskFactorForm,
    RiskForm,
    ThresholdForm,
)
from .models import CardCriterion, CardImport, RiskFactor

CARD = "selection/card.html"
PREVIEW = "selection/import_preview.html"


def _year(year):
    if year is None:
        year = school_year()
    if not 2015 <= year <= 2040:
        abort(404)
    return year


def _card(year, action="view"):
    year = _year(year)
    card = services.card_year(current_user.municipality_id, year)
    policy.authorize(action, card)
    return year, card


def _card_context(year, **extra):
    municipality_id = current_user.municipality_id
    card, crits, rows = services.grid(municipality_id, year)
    previous, entered, left = services.year_changes(municipality_id, year)
    editor = policy.can("edit", card)
    last_import = card_import.latest_import(municipality_id, year) if editor else None
    return dict(year=year, card=card, criteria=crits, rows=rows, previous=previous, entered=entered, left=left,
                exits=services.exits(municipality_id, year), decision_names=services.DECISION_NAMES,
                threshold_form=ThresholdForm(threshold=card.threshold), import_form=ImportForm(),
                risk_factors=services.risk_factors(municipality_id, year), factor_form=RiskFactorForm(),
                last_import=last_import,
                last_import_rows=card_import.import_rows(last_import) if last_import else [],
                history=services.card_history(municipality_id, year) if editor else [], **extra)


def _stored_card(year):
    """The card a change is about, stored now if this is the year's first change (GETs never store it)."""
    return services.ensure_card_year(current_user.municipality_id, year, current_user)


@bp.get("/selection")
def card():
    year, _card_obj = _card(request.args.get("year", type=db_int))
    return render(CARD, **_card_context(year))


@bp.post("/selection/<int:year>/scores")
def save_score(year):
    year, _card_obj = _card(year, "edit")
    school = policy.load(Organisation, request.form.get("school", type=db_int) or 0, "view")
    criterion_id = request.form.get("criterion", type=db_int)
    if criterion_id is None:  # a cell of a card shown before it was stored: its defaults, by position
        _stored_card(year)
        criterion = services.criterion_at(current_user.municipality_id, year,
                                          request.form.get("position", type=db_int) or 0) or abort(404)
    else:
        criterion = policy.load(CardCriterion, criterion_id, "edit")
    if criterion.year != year or not school.is_school:
        abort(404)
    try:
        points = parse_number(request.form.get("points", ""))
    except ValueError:
        points = None
    problem = services.validate_points(criterion, points)
    status, notice = 200, None
    if problem:
        status = 422
        notice = (_("%(s)s, «%(c)s»: %(p)s", s=school.short_name, c=criterion.short_name, p=problem), "error")
    else:
        try:
            services.save_score(current_user, criterion, school, points, request.form.get("version"))
        except Conflict:
            status = 409
            notice = (_("%(s)s, «%(c)s»: балл уже изменил другой участник — показано текущее значение.",
                        s=school.short_name, c=criterion.short_name), "warning")
    # The grid (it re-ranks every school); without JavaScript the card at the school's row.
    return respond(CARD, "grid", fallback=url_for("selection.card", year=year, _anchor=f"card-row-{school.id}"),
                   status=status, message=notice, context=lambda: _card_context(year), notice=notice)


@bp.post("/selection/<int:year>/threshold")
def threshold(year):
    year, _card_obj = _card(year, "edit")
    form = ThresholdForm()
    if not form.validate_on_submit():
        return refused(url_for("selection.card", year=year), form_errors(form))
    try:
        services.save_threshold(current_user, current_user.municipality_id, year, form.threshold.data)
    except Conflict:
        return refused(url_for("selection.card", year=year), _("Порог уже изменил другой участник."), "warning")
    return redirect(url_for("selection.card", year=year))


@bp.get("/selection/<int:year>/template.xlsx")
def card_template(year):
    year, _card_obj = _card(year)
    return send_file(card_import.template(current_user.municipality_id, year), as_attachment=True,
                     download_name=f"opora-diagnosticheskaya-karta-{year}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.post("/selection/<int:year>/import")
def import_card(year):
    """The upload shows what the file would change; nothing is written until it is confirmed."""
    year, card = _card(year, "edit")
    form = ImportForm()
    cells, errors = imports.run(form, lambda file: card_import.read_changes(current_user.municipality_id, year, file))
    if errors:
        return render(CARD, status=422, **_card_context(year, import_errors=errors))
    return _preview(year=year, card=card, groups=card_import.by_school(cells), cells=len(cells),
                    token=card_import.sign(current_user, current_user.municipality_id, year, cells) if cells else "")


def _preview(**ctx):
    """The import preview page (also its refusals): it says how long a preview stays valid."""
    return render(PREVIEW, minutes=card_import.PREVIEW_MAX_AGE // 60, **ctx)


@bp.post("/selection/<int:year>/import/confirm")
def confirm_import(year):
    year, card = _card(year, "edit")
    try:
        batch = card_import.confirm(current_user, current_user.municipality_id, year, request.form.get("token", ""))
    except card_import.CellsMoved as exc:
        return _preview(status=409, year=year, card=card, moved=exc.cells)
    except card_import.PreviewInvalid as exc:
        return _preview(status=409, year=year, card=card, refused=str(exc))
    if batch is None:
        flash(_("Все изменения из файла уже внесены: ничего не загружено."), "info")
    else:
        flash(ngettext("Загружено изменений: %(cells)s в %(num)s школе.",
                       "Загружено изменений: %(cells)s в %(num)s школах.", batch.schools, cells=batch.cells),
              "success")
    return redirect(url_for("selection.card", year=year, _anchor="card-import"))


@bp.post("/selection/<int:year>/import/undo")
def undo_import(year):
    year, card = _card(year, "edit")
    batch = policy.load(CardImport, request.form.get("import", type=db_int) or 0, "edit")
    if batch.year != year:
        abort(404)
    try:
        card_import.undo(current_user, batch)
    except card_import.CellsMoved as exc:
        return _preview(status=409, year=year, card=card, moved=exc.cells, undo=True)
    except card_import.PreviewInvalid as exc:
        return refused(url_for("selection.card", year=year, _anchor="card-import"), str(exc))
    flash(_("Загрузка отменена: баллы восстановлены."), "success")
    return redirect(url_for("selection.card", year=year, _anchor="card-import"))


@bp.post("/selection/<int:year>/start")
def start_card(year):
    """Store a year's card with its default criteria, so they can be edited."""
    _card(year, "edit")
    _stored_card(year)
    return redirect(url_for("selection.criteria", year=year))


@bp.route("/selection/<int:year>/criteria", methods=["GET", "POST"])
def criteria(year):
    year, _card_obj = _card(year)
    form = CriterionForm(prefix="new")
    if request.method == "POST":
        _card(year, "edit")
        if form.validate_on_submit():
            services.add_criterion(current_user, current_user.municipality_id, year,
                                   {f: getattr(form, f).data for f in ("code", "text", "scoring", "max_points")})
            return redirect(url_for("selection.criteria", year=year))
    items = services.criteria(current_user.municipality_id, year, active_only=False)
    forms = {c.id: CriterionForm(formdata=None, obj=c, prefix=f"c{c.id}") for c in items if c.id is not None}
    return render("selection/criteria.html", year=year, items=items, forms=forms, form=form,
                  stored=services.stored_card_year(current_user.municipality_id, year) is not None,
                  status=422 if request.method == "POST" else 200)


@bp.post("/selection/criteria/<int:card_criterion_id>")
def edit_criterion(card_criterion_id):
    criterion = policy.load(CardCriterion, card_criterion_id, "edit")
    form = CriterionForm(prefix=f"c{criterion.id}")
    if not form.validate_on_submit():
        return refused(url_for("selection.criteria", year=criterion.year), form_errors(form))
    data = {f: getattr(form, f).data for f in ("code", "text", "scoring", "max_points", "is_active")}
    try:
        services.save_criterion(current_user, criterion, data, form.version.data)
    except Conflict:
        return refused(url_for("selection.criteria", year=criterion.year),
                        _("Критерий уже изменил другой участник: ниже текущая версия."), "warning")
    flash(_("Критерий сохранён."), "success")
    return redirect(url_for("selection.criteria", year=criterion.year))


def _school_on_card(year, org_id):
    """A school the admin decides on in a card year: both loaded through the policy."""
    school = policy.load(Organisation, org_id, "view")
    year, _card_obj = _card(year, "edit")
    if not school.is_school:
        abort(404)
    return year, school


@bp.route("/selection/<int:year>/schools/<int:org_id>/decision", methods=["GET", "POST"])
def decision(year, org_id):
    year, school = _school_on_card(year, org_id)
    row = services.card_row(current_user.municipality_id, year, school.id)
    form = DecisionForm()
    all_schools, curators = services.schools_and_curators(current_user.municipality_id)
    # Only schools that may be tutors are offered; a post is checked against all of them so
    # that a ШНОР school sent from a stale page is refused with the reason (services.decide).
    form.tutor_school_id.choices = [(s.id, s.short_name) for s in all_schools if s.id != school.id
                                    and (request.method == "POST" or not s.is_low_results)]
    form.curator_id.choices = [(u.id, u.full_name) for u in curators]
    if request.method == "GET":
        form.start_year.data = year
    if form.validate_on_submit():
        confirmed = form.decision.data == "confirmed"
        if confirmed and not form.start_year.data:
            form.start_year.errors.append(_("Укажите год начала программы."))
        elif confirmed and services.current_programme_of(school.id):
            form.decision.errors.append(_("У школы уже есть действующая программа."))
        else:
            data = {f: getattr(form, f).data for f in ("decision", "reason", "tutor_school_id", "curator_id",
                                                       "start_year", "agreement_number", "agreement_date")}
            policy.load(Organisation, data["tutor_school_id"], "view")
            try:
                _decision, programme = services.decide(current_user, school, year, row["total"], data)
            except ValueError as exc:
                form.decision.errors.append(str(exc))
                return render("selection/decision.html", year=year, school=school, row=row, form=form, status=422)
            if programme is not None:
                flash(_("Статус ШНОР подтверждён; сопровождение и черновик программы созданы."), "success")
                return redirect(url_for("programmes.programme", programme_id=programme.id))
            flash(_("Решение записано."), "success")
            return redirect(url_for("selection.card", year=year))
    return render("selection/decision.html", year=year, school=school, row=row, form=form,
                  status=422 if request.method == "POST" else 200)


@bp.route("/selection/<int:year>/schools/<int:org_id>/exit", methods=["GET", "POST"])
def exit_decision(year, org_id):
    """The admin's decision to take a school off the ШНОР list (services.exit_shnor)."""
    year, school = _school_on_card(year, org_id)
    form = ExitForm()
    if request.method == "GET":
        form.decision_date.data = today()
    if form.validate_on_submit():
        if form.decision_date.data > today():
            form.decision_date.errors.append(_("Дата решения не может быть позже сегодняшнего дня."))
        else:
            try:
                services.exit_shnor(current_user, school, year, form.reason.data, form.decision_date.data)
            except ValueError as exc:
                form.reason.errors.append(str(exc))
            else:
                flash(_("Школа выведена из списка ШНОР; сопровождение завершено."), "success")
                return redirect(url_for("selection.card", year=year))
    return render("selection/exit.html", year=year, school=school, form=form,
                  programme=services.current_programme_of(school.id),
                  status=422 if request.method == "POST" else 200)


@bp.route("/selection/context", methods=["GET", "POST"])
def context():
    municipality = policy.require("compare_schools")
    years = services.context_years(municipality.id)
    current = school_year()
    # The asked year, else the newest year with data up to now (the new year may not be filled in yet).
    year = request.args.get("year", type=db_int) or next((y for y in years if y <= current), current)
    form = ContextThresholdForm(threshold=municipality.context_index_threshold)
    if request.method == "POST":
        policy.require("manage")
        if form.validate_on_submit():
            services.set_context_threshold(current_user, municipality, form.threshold.data)
            return redirect(url_for("selection.context", year=year))
    rows = services.context_indices(municipality.id, year)
    # The rule is the municipality's; the rows a tutor school sees are its own and its schools'.
    threshold = services.context_threshold(municipality, rows)
    visible = schools_with_visible_context()
    rows = services.flag_unfavourable([r for r in rows if r["school"].id in visible], threshold)
    return render("selection/context.html", rows=rows, form=form, threshold=threshold, year=year,
                  years=sorted(set(years) | {current}, reverse=True),
                  status=422 if request.method == "POST" else 200)


def _risk_school(org_id, manage=False):
    """The school whose risk profile is asked for, if the user may see it (or change it)."""
    school = policy.load(Organisation, org_id, "view")
    allowed = works_with_school(school) if manage else can_view_risks_of(school)
    if not school.is_school or not allowed:
        abort(403)
    return school


@bp.get("/schools/<int:org_id>/risks")
def school_risks(org_id):
    school = _risk_school(org_id)
    year = _year(request.args.get("year", type=db_int))
    rows = []
    for factor, risk in services.school_risks(school, year):
        form = RiskForm(prefix=_risk_prefix(factor), obj=risk)
        form.version.data = risk.version if risk else 0
        rows.append((factor, risk, form))
    return render("selection/risks.html", school=school, year=year, rows=rows,
                  programme=services.current_programme_of(school.id), factor_form=RiskFactorForm(),
                  can_edit=works_with_school(school), level_names=services.RISK_LEVEL_NAMES)


def _risk_prefix(factor):
    """Form field prefix of a factor's row: by id, or by position while the year's catalogue is
    only shown (not stored yet)."""
    return f"r{factor.id}" if factor.id is not None else f"p{factor.position}"


@bp.post("/schools/<int:org_id>/risks/<int:factor_id>")
def save_risk(org_id, factor_id):
    school = _risk_school(org_id, manage=True)
    factor = policy.load(RiskFactor, factor_id, "view")
    return _save_risk(school, factor, _risk_prefix(factor))


@bp.post("/schools/<int:org_id>/risks/<int:year>/default")
def save_default_risk(org_id, year):
    """The first assessment in a year whose catalogue was only shown: the catalogue is stored now."""
    school = _risk_school(org_id, manage=True)
    position = request.form.get("position", type=db_int) or 0
    factor = services.risk_factor_at(school.municipality_id, _year(year), position) or abort(404)
    return _save_risk(school, factor, f"p{position}")


def _save_risk(school, factor, prefix):
    form = RiskForm(prefix=prefix)
    page = url_for("selection.school_risks", org_id=school.id, year=factor.year)
    if not form.validate_on_submit():
        return refused(page, form_errors(form))
    try:
        services.save_risk(current_user, school, factor, {"level": form.level.data, "is_actual": form.is_actual.data,
                                                          "measures": form.measures.data}, form.version.data)
    except Conflict:
        return refused(page, _("Оценку риска уже изменил другой участник: ниже текущая версия."), "warning")
    return redirect(url_for("selection.school_risks", org_id=school.id, year=factor.year,
                            _anchor=f"risk-{factor.id}"))


@bp.post("/schools/<int:org_id>/risks/<int:factor_id>/section")
def risk_to_section(org_id, factor_id):
    school = _risk_school(org_id, manage=True)
    factor = policy.load(RiskFactor, factor_id, "view")
    risk = next((r for f, r in services.school_risks(school, factor.year) if f.id == factor.id), None)
    programme = services.current_programme_of(school.id)
    if risk is None or not risk.is_actual or programme is None:
        return refused(url_for("selection.school_risks", org_id=school.id, year=factor.year),
                        _("В программу добавляются только актуальные риски школы с действующей программой."))
    policy.authorize("edit", programme)
    if risk.section_id:
        flash(_("Это направление уже есть в программе."), "info")
    else:
        services.risk_to_section(current_user, risk, programme)
        flash(_("В программу добавлен раздел — антирисковое направление. Добавьте в него мероприятия и показатели."),
              "success")
    return redirect(url_for("programmes.programme", programme_id=programme.id, _anchor="plan-h"))


@bp.post("/selection/<int:year>/risks")
def add_risk_factor(year):
    year = _year(year)
    policy.require("manage")
    form = RiskFactorForm()
    if form.validate_on_submit():
        services.add_risk_factor(current_user.municipality_id, year, form.name.data)
    else:
        flash(form_errors(form), "error")
    return redirect(url_for("selection.card", year=year, _anchor="risk-catalogue"))


@bp.get("/watchlist")
def watchlist():
    policy.require("compare_schools")
    return render("selection/watchlist.html", rows=services.watchlist(current_user))

