"""One way to answer htmx: the page or its fragment, and small response helpers."""
import json

from flask import make_response, request
from jinja2_fragments.flask import render_block  # noqa: F401  (re-exported)


def is_fragment_request():
    """An htmx request that wants a fragment: not boosted, not a history restore."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Boosted") != "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def render(template, block=None, status=200, **context):
    """Render the whole page, or only `block` of the same template for an htmx request."""
    from flask import render_template

    if block and is_fragment_request():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    resp = make_response(body, status)
    resp.headers["Vary"] = "HX-Request"
    return resp


def hx_trigger(resp, event, data=None):
    existing = resp.headers.get("HX-Trigger")
    events = json.loads(existing) if existing else {}
    events[event] = data if data is not None else True
    resp.headers["HX-Trigger"] = json.dumps(events, ensure_ascii=False)
    return resp


def hx_redirect(resp, url):
    resp.headers["HX-Redirect"] = url
    return resp


def hx_retarget(resp, selector, swap=None):
    resp.headers["HX-Retarget"] = selector
    if swap:
        resp.headers["HX-Reswap"] = swap
    return resp
