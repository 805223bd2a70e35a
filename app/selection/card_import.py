"""Loading the diagnostic card's scores from a file: read → preview → confirm → (undo).

- A blank cell leaves the stored score alone; only cells with a value change anything («0» or
  a dash sets 0). So the template, which lists every school, can come back with one school
  filled in without touching the others.
- The upload only shows what would change (before → after, per school and criterion) and
  writes nothing. The change set travels to the confirmation as a signed token (SECRET_KEY,
  tied to the user, municipality and year, valid PREVIEW_MAX_AGE): no server-side state
  between the two requests, so it works the same on any number of processes and hosts.
- The token holds the version of every cell seen at preview. At confirmation a cell that
  moved since (someone saved it meanwhile) is not overwritten: the whole import is refused
  and the moved cells are shown. A cell that moved to exactly the file's value is simply
  left as it is. Confirmation writes all cells, their history and the import in one
  transaction (the request's).
- A confirmed import is a CardImport row with each changed cell's before, after and version
  after, so it can be read and undone: the undo restores every cell unless one of them was
  changed after the import (then nothing is undone and the moved cells are named).
"""
from collections import OrderedDict, namedtuple

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from .. import imports
from ..activity.labels import N_
from ..activity.services import record
from ..extensions import db
from ..forms import parse_number
from ..orgs.services import schools
from ..timeutil import utcnow
from .models import CardCriterion, CardImport, CardScore, column_names
from .services import SCORING_NAMES, criteria, ensure_card_year, stored_card_year, validate_points

PREVIEW_MAX_AGE = 30 * 60  # seconds between the upload and its confirmation
MAX_ROWS = 2000
DASHES = frozenset("-–—")
SALT = "opora.card-import.preview"

# One cell the file changes: `before` is the stored points (0 where the cell was never filled in).
Cell = namedtuple("Cell", "school criterion score before after")


class PreviewInvalid(ValueError):
    """The preview cannot be confirmed (expired, someone else's, the card changed shape)."""


class CellsMoved(Exception):
    """Cells changed by someone else since the preview (or since the import, for an undo):
    [{"school", "criterion", "seen", "now", "wanted"}]. Nothing was written."""

    def __init__(self, cells):
        super().__init__(f"{len(cells)} cells moved")
        self.cells = cells


def _scope(municipality_id, year):
    return f"card:{municipality_id}:{year}"


def headers(crits):
    return ("Школа",) + tuple(column_names(crits))


def template(municipality_id, year):
    crits = criteria(municipality_id, year)
    return imports.template(
        "Диагностическая карта", headers(crits),
        [_("Диагностическая карта %(year)s/%(next)s: как заполнить", year=year, next=year + 1),
         _("Одна строка — одна школа; «Школа» — краткое название, как в Опоре."),
         *[_("%(name)s: %(text)s — %(scoring)s, максимум %(max)s", name=name,
             text=c.detail if name == c.short_name else c.text,
             scoring=SCORING_NAMES[c.scoring], max=c.max_points)
           for name, c in zip(column_names(crits), crits)],
         _("Пустая ячейка — балл не меняется. Заполните только те ячейки, которые хотите изменить; "
           "строки других школ можно оставить пустыми или удалить."),
         _("Чтобы поставить 0, впишите 0 (или «-»). В примере ниже у школы меняются только два балла: "
           "первый становится 1, второй 0, остальные остаются как были."),
         _("После загрузки Опора покажет, что изменится (было → станет), и запишет баллы только после "
           "подтверждения. Последнюю загрузку можно отменить."),
         _("Если хотя бы одна ячейка с ошибкой, не загружается ничего.")],
        rows=[(s.short_name,) + (None,) * len(crits) for s in schools(municipality_id)],
        # One filled cell, one 0 and blanks: what each means is in the lines above.
        sample=[(_("СОШ № 1"),) + tuple(1 if i == 0 else 0 if i == 1 else None for i in range(len(crits)))],
        widths={"Школа": 28})


def _points(raw):
    """(points, problem) of one cell; (None, None) for a blank cell, which changes nothing."""
    if raw is None:
        return None, None
    if isinstance(raw, str):
        text = raw.strip()
        if not text:
            return None, None
        if text in DASHES:
            return 0.0, None
        try:
            return parse_number(text), None
        except ValueError:
            return None, _("не число: «%(v)s»", v=text[:40])
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        return None, _("не число: «%(v)s»", v=str(raw)[:40])
    return float(raw), None


def _stored_scores(crits):
    ids = [c.id for c in crits if c.id is not None]
    if not ids:
        return {}
    return {(s.school_id, s.criterion_id): s for s in db.session.scalars(
        select(CardScore).where(CardScore.criterion_id.in_(ids)))}


def read_changes(municipality_id, year, file_storage):
    """The cells the file would change, [Cell], in school and criterion order. Every cell is
    checked first; any error raises RowErrors (row, column, message) and nothing is changed."""
    crits = criteria(municipality_id, year)
    cols = headers(crits)
    rows = imports.read_rows(file_storage, cols, max_rows=MAX_ROWS)
    by_name = {s.short_name.lower(): s for s in schools(municipality_id)}
    errors, wanted, seen = [], [], {}
    for number, row in rows:
        name = imports.text(row["Школа"])
        school = by_name.get(name.lower())
        if not name:
            errors.append((number, "Школа", _("не указана школа")))
        elif school is None:
            errors.append((number, "Школа", _("школа «%(name)s» не найдена в муниципалитете", name=name[:80])))
        elif school.id in seen:
            errors.append((number, "Школа", _("школа уже была в строке %(row)s", row=seen[school.id])))
            school = None
        else:
            seen[school.id] = number
        for criterion, header in zip(crits, cols[1:]):
            value, problem = _points(row[header])
            if problem is None and value is not None:
                problem = validate_points(criterion, value)
            if problem:
                errors.append((number, header, problem))
            elif value is not None and school is not None:
                wanted.append((school, criterion, value))
    if errors:
        raise imports.RowErrors(errors)
    stored = _stored_scores(crits)
    cells = []
    for school, criterion, value in wanted:
        score = stored.get((school.id, criterion.id))
        before = score.points if score is not None else 0.0
        if before != value:
            cells.append(Cell(school, criterion, score, before, value))
    order = {s.id: i for i, s in enumerate(schools(municipality_id))}
    position = {id(c): i for i, c in enumerate(crits)}
    cells.sort(key=lambda c: (order[c.school.id], position[id(c.criterion)]))
    return cells


def by_school(cells):
    """[(school, [cells])] in the order given."""
    groups = OrderedDict()
    for cell in cells:
        groups.setdefault(cell.school.id, (cell.school, []))[1].append(cell)
    return list(groups.values())


# --- The preview token ---------------------------------------------------------------------

def _serializer():
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)


def _shape(crits):
    """What the preview assumed about the card's columns: a changed criterion (or a card stored
    since by someone else) makes the preview void."""
    return [[c.id, c.position, c.code, c.scoring, c.max_points, c.version] for c in crits]


def sign(actor, municipality_id, year, cells):
    crits = criteria(municipality_id, year)
    index = {id(c): i for i, c in enumerate(crits)}
    payload = {"u": actor.id, "m": municipality_id, "y": year, "k": _shape(crits),
               "c": [[cell.school.id, index[id(cell.criterion)], cell.score.version if cell.score else 0,
                      cell.before, cell.after] for cell in cells]}
    return _serializer().dumps(payload)


def _unsign(actor, municipality_id, year, token):
    try:
        payload = _serializer().loads(token or "", max_age=PREVIEW_MAX_AGE)
    except BadSignature:  # SignatureExpired is one
        raise PreviewInvalid(_("Предпросмотр устарел: загрузите файл ещё раз.")) from None
    if not isinstance(payload, dict) or (payload.get("u"), payload.get("m"), payload.get("y")) != \
            (actor.id, municipality_id, year):
        raise PreviewInvalid(_("Этот предпросмотр сделан для другой карты: загрузите файл ещё раз."))
    return payload


def _moved(school, criterion, seen, now, wanted):
    return {"school": school.short_name, "criterion": criterion.short_name, "seen": seen, "now": now,
            "wanted": wanted}


def confirm(actor, municipality_id, year, token):
    """Write the previewed changes: the CardImport, or None when every change had already been
    made meanwhile. Raises PreviewInvalid or CellsMoved (nothing written)."""
    payload = _unsign(actor, municipality_id, year, token)
    crits = criteria(municipality_id, year)
    if _shape(crits) != payload["k"]:
        raise PreviewInvalid(_("Критерии карты изменились после предпросмотра: загрузите файл ещё раз."))
    school_by_id = {s.id: s for s in schools(municipality_id)}
    stored = _stored_scores(crits)
    todo, moved = [], []
    for school_id, index, seen_version, before, after in payload["c"]:
        school, criterion = school_by_id.get(school_id), crits[index]
        if school is None:
            raise PreviewInvalid(_("Список школ изменился после предпросмотра: загрузите файл ещё раз."))
        score = stored.get((school.id, criterion.id))
        now = score.points if score is not None else 0.0
        if (score.version if score is not None else 0) != seen_version:
            if now != after:
                moved.append(_moved(school, criterion, before, now, after))
            continue  # someone set the file's value meanwhile: nothing to do
        todo.append((school, index, score, after))
    if moved:
        raise CellsMoved(moved)
    if not todo:
        return None
    card = ensure_card_year(municipality_id, year, actor)
    if any(c.id is None for c in crits):  # stored just now: the same criteria, with ids
        crits = criteria(municipality_id, year)
        if [c.code for c in crits] != [k[2] for k in payload["k"]]:
            raise PreviewInvalid(_("Критерии карты изменились после предпросмотра: загрузите файл ещё раз."))
    written = []
    try:
        for school, index, score, after in todo:
            criterion = crits[index]
            if score is None:
                score = CardScore(municipality_id=municipality_id, criterion_id=criterion.id, school_id=school.id,
                                  points=after)
                db.session.add(score)
                written.append((school, criterion, score, None, after))
            else:
                written.append((school, criterion, score, score.points, after))
                score.points = after
        db.session.flush()
    except (StaleDataError, IntegrityError):  # a save between our read and our write
        db.session.rollback()
        raise PreviewInvalid(_("Пока загружались баллы, карту изменил другой участник: загрузите файл ещё раз, "
                                "чтобы увидеть изменения заново.")) from None
    scope = _scope(municipality_id, year)
    for school, criterion, score, before, after in written:
        record(actor, score, "create" if before is None else "update", {"points": [before, after]}, scope=scope,
               message=N_("Из файла — %(school)s: %(criterion)s"),
               params={"school": school.short_name, "criterion": criterion.text[:120]})
    touched = len({school.id for school, *_rest in written})
    batch = CardImport(municipality_id=municipality_id, year=year, actor_id=actor.id, cells=len(written),
                       schools=touched, changes=[[score.id, school.id, criterion.id, before, after, score.version]
                                                 for school, criterion, score, before, after in written])
    db.session.add(batch)
    db.session.flush()
    record(actor, card, "import", {}, scope=scope,
           message=N_("Загрузка баллов из файла: изменено баллов — %(cells)s, школ — %(schools)s"),
           params={"cells": batch.cells, "schools": batch.schools, "import_id": batch.id})
    db.session.flush()
    return batch


# --- Reading and undoing an import -----------------------------------------------------------

def latest_import(municipality_id, year):
    return db.session.scalar(select(CardImport).where(CardImport.municipality_id == municipality_id,
                                                      CardImport.year == year).order_by(CardImport.id.desc()))


def import_rows(batch):
    """The import's changes in words: [(school name, [(criterion name, before, after)])]."""
    school_names = {s.id: s.short_name for s in schools(batch.municipality_id, include_archived=True)}
    crit_ids = {entry[2] for entry in batch.changes}
    crits = {c.id: c for c in db.session.scalars(select(CardCriterion).where(CardCriterion.id.in_(crit_ids)))}
    groups = OrderedDict()
    for _score_id, school_id, criterion_id, before, after, _version in batch.changes:
        criterion = crits.get(criterion_id)
        groups.setdefault(school_id, (school_names.get(school_id, "—"), []))[1].append(
            (criterion.short_name if criterion else "—", before if before is not None else 0, after))
    return list(groups.values())


def undo(actor, batch):
    """Put back every cell the import changed. Only the latest import of the year, once; when any
    cell was changed after the import, raises CellsMoved and nothing is undone."""
    latest = latest_import(batch.municipality_id, batch.year)
    if latest is None or latest.id != batch.id:
        raise PreviewInvalid(_("Отменить можно только последнюю загрузку."))
    if batch.undone_at is not None:
        raise PreviewInvalid(_("Эта загрузка уже отменена."))
    ids = [entry[0] for entry in batch.changes]
    scores = {s.id: s for s in db.session.scalars(select(CardScore).where(CardScore.id.in_(ids)))}
    school_by_id = {s.id: s for s in schools(batch.municipality_id, include_archived=True)}
    crits = {c.id: c for c in db.session.scalars(select(CardCriterion).where(
        CardCriterion.id.in_({entry[2] for entry in batch.changes})))}
    moved = []
    for score_id, school_id, criterion_id, before, after, version in batch.changes:
        score = scores.get(score_id)
        if score is None or score.version != version:
            moved.append(_moved(school_by_id[school_id], crits[criterion_id], after,
                                score.points if score is not None else 0, before if before is not None else 0))
    if moved:
        raise CellsMoved(moved)
    scope = _scope(batch.municipality_id, batch.year)
    for score_id, school_id, criterion_id, before, after, _version in batch.changes:
        score = scores[score_id]
        # A cell the import created goes away again: the card is exactly as before the import.
        record(actor, score, "delete" if before is None else "update", {"points": [after, before]}, scope=scope,
               message=N_("Отмена загрузки из файла — %(school)s: %(criterion)s"),
               params={"school": school_by_id[school_id].short_name, "criterion": crits[criterion_id].text[:120]})
        if before is None:
            db.session.delete(score)
        else:
            score.points = before
    batch.undone_at = utcnow()
    batch.undone_by_id = actor.id
    card = stored_card_year(batch.municipality_id, batch.year)
    record(actor, card, "undo", {}, scope=scope,
           message=N_("Загрузка баллов из файла от %(imported_at)s отменена: восстановлено баллов — %(cells)s, "
                      "школ — %(schools)s"),
           params={"imported_at": batch.created_at.isoformat(), "cells": batch.cells, "schools": batch.schools,
                   "import_id": batch.id})
    try:
        db.session.flush()
    except StaleDataError:  # a save (or another undo) between our read and our write
        db.session.rollback()
        raise PreviewInvalid(_("Пока отменялась загрузка, карту изменил другой участник: обновите страницу.")) from None
    return batch
