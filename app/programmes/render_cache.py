"""Rendered rows of the programme page, reused while nothing in them changed.

A task row depends on the task (its version), its owner, its number, today's date (overdue),
the user's rights, CSRF token and language; an indicator row on the indicator, its values'
versions and light. All of that is in the key, so a stale row is never served: a change makes
a new key, and old entries simply age out of the bounded LRU. Each process has its own cache;
nothing is shared, so several processes stay correct."""
import threading
from collections import OrderedDict

from flask import current_app, session
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from jinja2_fragments.flask import render_block
from markupsafe import Markup

MAX_ENTRIES = 20000


class RowCache:
    def __init__(self, size=MAX_ENTRIES):
        self.size = size
        self.data = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key, render):
        with self.lock:
            html = self.data.get(key)
            if html is not None:
                self.data.move_to_end(key)
                return html
        html = Markup(render())
        with self.lock:
            self.data[key] = html
            if len(self.data) > self.size:
                self.data.popitem(last=False)
        return html


def _cache():
    return current_app.extensions.setdefault("opora_row_cache", RowCache())


def rendered_rows(template, data, context):
    """{"tasks": {id: html}, "indicators": {id: html}} for the page's rows."""
    cache = _cache()
    # The session's CSRF secret, not the signed token (that one carries a timestamp and changes
    # every second; any signed token of the session stays valid, so a cached one is fine).
    generate_csrf()
    common = (template, bool(context["can_edit"]), session.get("csrf_token"), str(get_locale()), data["today"],
              context["programme"].id)
    tasks = {}
    for task in data["all_tasks"]:
        key = ("task", task.id, task.version, task.owner.version if task.owner else None,
               data["numbers"].get(task.id)) + common
        tasks[task.id] = cache.get(key, lambda task=task: render_block(template, "task_row", task=task,
                                                                      **data, **context))
    indicators = {}
    periods = tuple(p.id for p in data["periods"])
    for indicator in data["indicators"]:
        values = data["values"].get(indicator.id, {})
        key = ("indicator", indicator.id, indicator.version, data["lights"][indicator.id], periods,
               tuple(sorted((v.id, v.version) for v in values.values()))) + common
        indicators[indicator.id] = cache.get(key, lambda indicator=indicator: render_block(
            template, "indicator_row", indicator=indicator, **data, **context))
    return {"tasks": tasks, "indicators": indicators}
