"""Structured logs: one JSON object per line, every line of a request carries its request id
(taken from X-Request-Id when a proxy sets one, else made here) and is answered in the same header."""
import json
import logging
import time
import uuid

from flask import g, has_request_context, request


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record):
        entry = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname,
                 "logger": record.name, "request_id": getattr(record, "request_id", "-"),
                 "message": record.getMessage()}
        for key in ("method", "path", "status", "ms", "user"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def init_app(app):
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        root.handlers = [handler]
    root.setLevel(logging.INFO)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    access = logging.getLogger("opora.access")

    @app.before_request
    def start():
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming[:64] if incoming.replace("-", "").isalnum() else uuid.uuid4().hex[:16]
        g.started = time.perf_counter()

    @app.after_request
    def finish(response):
        response.headers["X-Request-Id"] = g.get("request_id", "")
        if request.endpoint != "static":
            user = _user_id()
            access.info("request", extra={"method": request.method, "path": request.path,
                                          "status": response.status_code, "user": user,
                                          "ms": round((time.perf_counter() - g.get("started", time.perf_counter()))
                                                      * 1000, 1)})
        return response


def _user_id():
    """The signed-in user's id if it is already known; never a new database query (the log line
    must not fail, e.g. while the database is down)."""
    user = g.get("_login_user")
    return getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None
