"""One way to answer htmx: the page, one block of it, or a block with out-of-band blocks.

`request.htmx` (set before every request) says what kind of request this is, so no view reads
raw header strings. `render()` answers a page that an htmx request may want only a block of;
`respond()` answers an inline action (a row saved, a form refused) whose block is not a page of
its own: without JavaScript the browser goes back to `fallback`, with the outcome flashed.
Both set `Vary: HX-Request`, since the same URL answers differently.
"""
import json

from flask import flash, make_response, redirect, render_template, request
from flask_babel import gettext as _
from jinja2_fragments.flask import render_block, render_blocks

from .transaction import refuse

__all__ = ["HtmxDetails", "hx_redirect", "hx_trigger", "init_app", "is_fragment_request", "refused", "render",
           "respond"]


class HtmxDetails:
    """What htmx says about the request (django-htmx's request.htmx)."""

    def __init__(self, headers):
        self.request = headers.get("HX-Request") == "true"
        self.boosted = headers.get("HX-Boosted") == "true"
        self.history_restore = headers.get("HX-History-Restore-Request") == "true"
        self.target = headers.get("HX-Target")
        self.trigger = headers.get("HX-Trigger")

    @property
    def wants_fragment(self):
        """An htmx request that swaps a piece of the page: not boosted, not a history restore
        (both of those want the whole page)."""
        return self.request and not self.boosted and not self.history_restore

    def __bool__(self):
        return self.request


def init_app(app):
    @app.before_request
    def _htmx_details():
        request.htmx = HtmxDetails(request.headers)


def is_fragment_request():
    htmx = getattr(request, "htmx", None) or HtmxDetails(request.headers)
    return htmx.wants_fragment


def _vary(resp):
    resp.headers["Vary"] = "HX-Request"
    return resp


def _answer(body, status):
    return _vary(make_response(body, status))


def render(template, block=None, status=200, **context):
    """The whole page, or only `block` of the same template for an htmx request."""
    if block and is_fragment_request():
        return _answer(render_block(template, block, **context), status)
    return _answer(render_template(template, **context), status)


def _refused_message(status):
    if status == 409:
        return _("Запись изменил другой участник. Проверьте текущие данные и повторите правку."), "warning"
    return _("Изменение не сохранено: проверьте введённые данные."), "error"


def respond(template, block, *, fallback, status=200, oob=(), message=None, context=None, **ctx):
    """Answer an inline action. For htmx: `block` of `template`, then the `oob` blocks (each
    marked hx-swap-oob in the template; table parts wrapped by the `oob_part` macro). Without
    JavaScript: a redirect (303) to `fallback`, with `message` (text, category) flashed, or for
    a refusal the standard one for its status. `context()` builds the template context only when
    a block is rendered, so a redirect costs no queries."""
    if not is_fragment_request():
        if status >= 400:
            return refused(fallback, *(message or _refused_message(status)))
        if message:
            flash(*message)
        return _vary(redirect(fallback, 303))
    if context is not None:
        ctx = {**context(), **ctx}
    body = render_blocks(template, [block, *oob], **ctx) if oob else render_block(template, block, **ctx)
    return _answer(body, status)


def refused(url, message, category="error"):
    """A plain form refused: back to its page (303) with the reason; nothing the action wrote
    is kept (the redirect is not a 4xx, so the request is marked refused)."""
    refuse()
    flash(message, category)
    return _vary(redirect(url, 303))


def hx_trigger(resp, event, data=None):
    existing = resp.headers.get("HX-Trigger")
    events = json.loads(existing) if existing else {}
    events[event] = data if data is not None else True
    resp.headers["HX-Trigger"] = json.dumps(events, ensure_ascii=False)
    return resp


def hx_redirect(resp, url):
    resp.headers["HX-Redirect"] = url
    return resp
