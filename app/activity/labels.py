"""History and notifications in people's words.

A history entry and a notification are stored as a message (the Russian msgid with
%(name)s placeholders) plus parameters, and the changed values as they were in the row
(codes, ids, ISO dates). Both are put into words only when shown, in the reader's language:
field labels, status labels, names of people and sections, dates as dates.

Each area registers its object types, fields and value formatters (`register`), so this
module never imports an area. A field nobody registered is shown under a neutral label,
never by its name; `unregistered()` lets the tests find such fields.
"""
import logging
from collections import defaultdict, namedtuple
from datetime import date, datetime

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from ..extensions import db

log = logging.getLogger(__name__)


def N_(message):
    """Marks a message for extraction (a Babel default keyword) and keeps it untranslated:
    it is stored as the msgid and translated when shown."""
    return message


# --- Value formatters ---------------------------------------------------------------
# A formatter turns one stored value into words. `Ref` formatters need the names of the
# rows they point at; present() fetches those in one query per kind before formatting.

def _empty(value):
    return value is None or value == "" or value == []


class Text:
    """Free text, shortened: history shows what changed, not whole paragraphs."""

    def __init__(self, limit=120):
        self.limit = limit

    def __call__(self, value, names=None):
        text = " ".join(str(value).split())
        return text if len(text) <= self.limit else text[: self.limit - 1].rstrip() + "…"


class Choice:
    """A code shown by its label: the area's own label dict (lazy strings, or plain Russian
    strings, which go through gettext so a catalogue can still translate them)."""

    def __init__(self, labels):
        self.labels = labels

    def __call__(self, value, names=None):
        label = self.labels.get(value)
        if label is None:
            label = self.labels.get(str(value))
        if label is None:
            return gettext("другое значение")
        return gettext(label) if isinstance(label, str) else str(label)


class Flag:
    def __call__(self, value, names=None):
        return gettext("да") if value in (True, 1, "True", "true") else gettext("нет")


class Day:
    """A date (stored as ISO text) as the templates show dates."""

    def __call__(self, value, names=None):
        parsed = value
        if isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
            except ValueError:
                return value
        if isinstance(parsed, datetime):
            return current_app.jinja_env.filters["ru_datetime"](parsed)
        return current_app.jinja_env.filters["ru_date"](parsed)


class Number:
    def __call__(self, value, names=None):
        return current_app.jinja_env.filters["num"](value)


class Ref:
    """An id of another row, shown by that row's name (`attr`), looked up at render time.
    A row deleted since shows as «удалено»."""

    def __init__(self, model, attr="name", then=None):
        # A model, or its class name: an area names a model of an area above it without
        # importing it (orgs names accounts' User).
        self._model, self.attr, self.then = model, attr, then or Text()

    @property
    def model(self):
        if isinstance(self._model, str):
            self._model = next(m.class_ for m in db.Model.registry.mappers if m.class_.__name__ == self._model)
        return self._model

    def __call__(self, value, names=None):
        if not isinstance(value, int) or isinstance(value, bool):
            return Text()(value)  # old rows kept the name itself
        found = (names or {}).get((self.model, self.attr), {}).get(value)
        return self.then(found) if found is not None else gettext("удалено")


TEXT, FLAG, DAY, NUMBER = Text(), Flag(), Day(), Number()

Field = namedtuple("Field", "label format")
ObjectType = namedtuple("ObjectType", "label fields")

# Filled once at start-up by the areas' register() calls, read-only afterwards.
_OBJECTS = {}
_ACTIONS = {
    "create": _l("создание"), "update": _l("изменение"), "delete": _l("удаление"),
    "status": _l("смена статуса"), "import": _l("импорт"), "comment": _l("комментарий"),
    "move": _l("перемещение"),
}


def register(object_type, label, fields, actions=None):
    """An area names one of its object types (the model's class name in lower case, as
    history stores it), its fields {name: (label, formatter)} and any actions of its own."""
    entry = _OBJECTS.setdefault(object_type, ObjectType(label, {}))
    if entry.label != label:
        entry = _OBJECTS[object_type] = ObjectType(label, entry.fields)
    for name, (field_label, formatter) in fields.items():
        entry.fields[name] = Field(field_label, formatter)
    _ACTIONS.update(actions or {})


def object_label(object_type):
    entry = _OBJECTS.get(object_type)
    return str(entry.label) if entry else gettext("запись")


def action_label(action):
    label = _ACTIONS.get(action)
    return str(label) if label is not None else gettext("изменение")


# Changes keyed by another row's id (a context factor's share, a deficit area's level): the
# area registers them under this key with a Ref as the label.
BY_ID = "<id>"


def field_of(object_type, name):
    entry = _OBJECTS.get(object_type)
    if entry is None:
        return None
    if name not in entry.fields and str(name).isdigit():
        return entry.fields.get(BY_ID)
    return entry.fields.get(name)


def unregistered(rows):
    """(object type, field or action) pairs among history rows that have no label: what a
    person would otherwise see as a code."""
    missing = set()
    for row in rows:
        if row.object_type and row.object_type not in _OBJECTS:
            missing.add((row.object_type, ""))
        if getattr(row, "action", None) and row.action not in _ACTIONS:
            missing.add((row.object_type, "action:" + row.action))
        for name in getattr(row, "changes", None) or {}:
            if field_of(row.object_type, name) is None:
                missing.add((row.object_type, name))
    return missing


# --- Presenting rows ------------------------------------------------------------------

Entry = namedtuple("Entry", "row created_at actor action object text changes")
Change = namedtuple("Change", "label before after")


def _names(rows):
    """Every referenced row's name, one query per (model, attribute)."""
    wanted = defaultdict(set)
    for row in rows:
        values = [(name, v) for name, pair in (getattr(row, "changes", None) or {}).items() for v in pair]
        values += list((row.params or {}).items())
        for name, value in values:
            field = field_of(row.object_type, name)
            if field and isinstance(field.format, Ref) and isinstance(value, int) and not isinstance(value, bool):
                wanted[(field.format.model, field.format.attr)].add(value)
            if field and isinstance(field.label, Ref) and str(name).isdigit():
                wanted[(field.label.model, field.label.attr)].add(int(name))
    names = {}
    for (model, attr), ids in wanted.items():
        names[(model, attr)] = dict(db.session.execute(
            db.select(model.id, getattr(model, attr)).where(model.id.in_(ids))).all())
    return names


def _value(object_type, name, value, names):
    if _empty(value):
        return "—"
    field = field_of(object_type, name)
    if field is None:
        return Text()(value) if isinstance(value, str) else "—"
    return field.format(value, names)


def _label(object_type, name, names):
    field = field_of(object_type, name)
    if field is None:
        log.warning("history field without a label: %s.%s", object_type, name)
        return gettext("другое поле")
    if isinstance(field.label, Ref):
        return field.label(int(name), names)
    return str(field.label)


def _text(row, names):
    params = {}
    for name, value in (row.params or {}).items():
        if field_of(row.object_type, name) is not None:
            params[name] = _value(row.object_type, name, value, names)
        else:
            params[name] = "—" if _empty(value) else value
    if row.message:
        try:
            return gettext(row.message) % params if params else gettext(row.message)
        except (KeyError, ValueError, TypeError):  # a translation that lost a placeholder
            return row.message % params if params else row.message
    fallback = getattr(row, "summary", None) or getattr(row, "text", None)
    if fallback:  # rows written before messages were stored
        return fallback
    if "name" in params:
        return gettext("%(type)s: %(name)s", type=object_label(row.object_type), name=params["name"])
    return object_label(row.object_type)


def compare(conflict):
    """Theirs against mine after a stale save, in words, as history shows them:
    [(label, theirs, mine, differs)] for each field the user had changed."""
    from types import SimpleNamespace

    from sqlalchemy import inspect

    current = conflict.current
    object_type = inspect(current).mapper.class_.__name__.lower()
    pairs = {name: [getattr(current, name, None), mine] for name, mine in conflict.mine.items()}
    row = SimpleNamespace(object_type=object_type, changes=pairs, params={})
    names = _names([row])
    return [(_label(object_type, name, names), _value(object_type, name, theirs, names),
             _value(object_type, name, mine, names), theirs != mine)
            for name, (theirs, mine) in pairs.items()]


def present(rows):
    """History events or notifications as people read them, in the current language."""
    rows = list(rows)
    names = _names(rows)
    entries = []
    for row in rows:
        changes = [Change(_label(row.object_type, name, names),
                          _value(row.object_type, name, pair[0], names),
                          _value(row.object_type, name, pair[1], names))
                   for name, pair in (getattr(row, "changes", None) or {}).items()]
        entries.append(Entry(row, row.created_at, row.actor, action_label(getattr(row, "action", "")),
                             object_label(row.object_type), _text(row, names), changes))
    return entries
