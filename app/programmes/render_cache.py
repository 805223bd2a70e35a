"""Rendered HTML of the programme page, reused while nothing in it changed.

Two levels, both keyed so that a stale piece is never served: a change makes a new key, and
old entries simply age out of a bounded LRU. Each process has its own caches; nothing is
shared, so several processes (and hosts) stay correct.

- Rows: a task row depends on the task (its version), its owner, its number, today's date
  (overdue), the user's rights and language; an indicator row on the indicator, its values'
  versions and light. Rows are shared by all sessions (the CSRF token is put in per page), so a
  page rendered after a change, or for a user who just signed in, renders only the rows that
  changed.
- Pages: the whole page of one session (see cached_page), while no change was recorded
  anywhere and nothing else it shows moved (who is here, unread notifications, the date)."""
import secrets
import threading
import time
from collections import OrderedDict

from flask import current_app, make_response, request, session
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from jinja2_fragments.flask import render_block
from markupsafe import Markup

from ..htmx import is_fragment_request
from ..timeutil import today

ROW_CACHE_BYTES = 32 * 1024 * 1024
PAGE_CACHE_BYTES = 32 * 1024 * 1024
# Every write records an event, and the page key holds the newest event id; the time limit is
# a second line of defence against a write that would not, so such a page lives a minute at most.
PAGE_SECONDS = 60


class HtmlCache:
    """A thread-safe LRU of rendered HTML, bounded by the size of what it holds."""

    def __init__(self, max_bytes, seconds=None):
        self.max_bytes = max_bytes
        self.seconds = seconds
        self.size = 0
        self.data = OrderedDict()  # key -> (html, stored at)
        self.lock = threading.Lock()

    def get(self, key, render):
        html = self.lookup(key)
        if html is None:
            html = render()
            self.put(key, html)
        return html

    def lookup(self, key):
        with self.lock:
            entry = self.data.get(key)
            if entry is None or (self.seconds is not None and time.monotonic() - entry[1] >= self.seconds):
                return None
            self.data.move_to_end(key)
            return entry[0]

    def put(self, key, html):
        now = time.monotonic()
        with self.lock:
            old = self.data.pop(key, None)
            if old is not None:
                self.size -= len(old[0])
            self.data[key] = (html, now)
            self.size += len(html)
            while self.size > self.max_bytes and self.data:
                _key, (dropped, _at) = self.data.popitem(last=False)
                self.size -= len(dropped)


def _cache(name, max_bytes, seconds=None):
    return current_app.extensions.setdefault(f"opora_{name}_cache", HtmlCache(max_bytes, seconds))


def _session_key():
    """What makes the same data render differently for another session: the session's CSRF
    secret (not the signed token: that one carries a timestamp and changes every second, and
    any signed token of the session stays valid), the language and the date."""
    generate_csrf()
    return session.get("csrf_token"), str(get_locale()), today()


# Rows are shared by every session (with the same rights and language): their forms carry this
# stand-in instead of a CSRF token, and each page puts its own session's token in its place.
# Random per process, so no text a user typed can contain it.
TOKEN_STAND_IN = "csrf-" + secrets.token_hex(16)


def rendered_rows(template, data, context):
    """{"tasks": {id: html}, "indicators": {id: html}} for the page's rows."""
    cache = _cache("row", ROW_CACHE_BYTES)
    common = (template, bool(context["can_edit"]), context["programme"].id, str(get_locale()), today())
    context = dict(context, csrf_token=lambda: TOKEN_STAND_IN)
    token = generate_csrf()

    def row(key, block, **obj):
        html = cache.get(key, lambda: render_block(template, block, **obj, **data, **context))
        return Markup(html.replace(TOKEN_STAND_IN, token))

    tasks = {}
    for task in data["all_tasks"]:
        key = ("task", task.id, task.version, task.owner.version if task.owner else None,
               data["numbers"].get(task.id)) + common
        tasks[task.id] = row(key, "task_row", task=task)
    indicators = {}
    periods = tuple(p.id for p in data["periods"])
    for indicator in data["indicators"]:
        values = data["values"].get(indicator.id, {})
        key = ("indicator", indicator.id, indicator.version, data["lights"][indicator.id], periods,
               tuple(sorted((v.id, v.version) for v in values.values()))) + common
        indicators[indicator.id] = row(key, "indicator_row", indicator=indicator)
    return {"tasks": tasks, "indicators": indicators}


def cached_page(key, render):
    """The response of `render()` (a page or its htmx fragment), its body reused for this
    session while `key` is unchanged. The key must name everything the page shows beyond the
    request, the session, the language and the date (which are added here). A response that
    carries flashed messages, or anything but 200, is never kept."""
    if session.get("_flashes"):
        return render()
    key = (request.full_path, is_fragment_request()) + _session_key() + tuple(key)
    cache = _cache("page", PAGE_CACHE_BYTES, PAGE_SECONDS)
    body = cache.lookup(key)
    if body is not None:
        resp = make_response(body)
        resp.headers["Vary"] = "HX-Request"
        return resp
    resp = render()
    if resp.status_code == 200:
        cache.put(key, resp.get_data())
    return resp
