"""Russian error pages (or short fragments for htmx), never a bare traceback."""
import logging

from flask import current_app, jsonify, make_response, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from .extensions import db
from .htmx import render

log = logging.getLogger("opora.errors")

MESSAGES = {
    400: lambda: _("Запрос не понят. Проверьте введённые данные и попробуйте ещё раз."),
    401: lambda: _("Войдите в систему, чтобы продолжить."),
    403: lambda: _("Недостаточно прав для этого действия."),
    404: lambda: _("Страница или объект не найдены."),
    405: lambda: _("Этот адрес не принимает такой запрос."),
    409: lambda: _("Данные изменились, пока вы их редактировали."),
    413: lambda: _("Файл или запрос слишком большой."),
    422: lambda: _("Проверьте введённые данные."),
    429: lambda: _("Слишком много попыток. Подождите и попробуйте снова."),
    500: lambda: _("Внутренняя ошибка. Мы уже записали её; попробуйте позже."),
    503: lambda: _("Сервис временно недоступен: нет связи с базой данных. Попробуйте через минуту."),
}


def error_response(status, message=None):
    message = message or MESSAGES.get(status, MESSAGES[400])()
    if request.path.startswith("/healthz") or request.accept_mimetypes.best == "application/json":
        return jsonify(error=message, status=status), status
    return render("errors/error.html", block="content", status=status, status_code=status, message=message)


def init_app(app):
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return error_response(400, _("Форма устарела или отправлена не из Opora (нет токена CSRF). "
                                     "Обновите страницу и повторите."))

    @app.errorhandler(HTTPException)
    def http_error(exc):
        if exc.code is None or exc.code < 400:
            return exc
        resp = error_response(exc.code, exc.description if getattr(exc, "opora_message", False) else None)
        for header in ("Retry-After", "Allow"):
            if exc.get_headers() and header in dict(exc.get_headers()):
                resp.headers[header] = dict(exc.get_headers())[header]
        return resp

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_down(exc):
        log.error("database error: %s", exc)
        db.session.rollback()
        message = MESSAGES[503]()
        if request.accept_mimetypes.best == "application/json" or request.path.startswith("/healthz"):
            resp = jsonify(error=message, status=503)
        else:
            # Rendered without context processors: Flask-Login's would query the database again.
            page = current_app.jinja_env.get_template("errors/unavailable.html").render(message=message)
            resp = make_response(page)
        resp.status_code = 503
        resp.headers["Retry-After"] = "30"
        return resp

    @app.errorhandler(Exception)
    def internal_error(exc):
        log.exception("unhandled error")
        db.session.rollback()
        return error_response(500)
