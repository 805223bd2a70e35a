"""Login wiring and security headers."""
import functools

from flask import jsonify, make_response, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .extensions import db, login_manager
from .htmx import hx_redirect

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'self'; "
    "object-src 'none'; frame-ancestors 'none'"
)


def init_app(app):
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Войдите в систему, чтобы продолжить.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(session_token):
        return db.session.scalar(_user_by_session_token(), {"session_token": session_token})

    @login_manager.unauthorized_handler
    def unauthorized():
        login_url = url_for("accounts.login", next=request.full_path if request.method == "GET" else None)
        if request.headers.get("HX-Request") == "true":
            # An htmx request that lost its session: send the whole page to the login form.
            resp = jsonify(error="unauthorized")
            resp.status_code = 401
            return hx_redirect(resp, url_for("accounts.login"))
        return redirect(login_url)

    @app.before_request
    def refuse_nul():
        """NUL is never text a person typed; PostgreSQL cannot even store it. Refuse it at the door."""
        values = [request.path, *request.args.values(), *request.form.values()]
        if any("\x00" in v for v in values):
            from flask import abort

            abort(400)

    @app.before_request
    def require_login():
        """Every page needs a signed-in user, but the few that are public by design."""
        if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
            return None
        if request.endpoint in SELF_AUTHENTICATING:
            return None  # the view checks the session itself with active_user_id() (a hot path without an ORM user)
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return None

    @app.before_request
    def require_own_password():
        """A temporary password handed out by an administrator is changed before anything else:
        until then every page but the password change (and logout, the language) leads there."""
        if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint in WHILE_PASSWORD_TEMPORARY:
            return None
        if request.endpoint is None or request.endpoint in SELF_AUTHENTICATING:
            return None  # those check the session themselves: active_user_id() refuses such a user
        if current_user.is_authenticated and current_user.must_change_password:
            target = url_for("accounts.change_password")
            if request.headers.get("HX-Request") == "true":
                return hx_redirect(make_response("", 204), target)
            return redirect(target)
        return None

    @app.after_request
    def headers(resp):
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint != "static":
            resp.headers.setdefault("Cache-Control", "no-store")
        return resp


PUBLIC_ENDPOINTS = {"static", "accounts.login", "accounts.setup", "dashboard.healthz", "dashboard.set_language"}
# What a user with a temporary password may do before changing it.
WHILE_PASSWORD_TEMPORARY = {"accounts.change_password", "accounts.logout"}
# Views polled every second by every open page: they authenticate with active_user_id().
SELF_AUTHENTICATING = {"programmes.live"}


@functools.cache
def _user_by_session_token():
    """Built once (it runs on every request). The layout shows the municipality and
    organisation on every page: they are loaded with the user."""
    from sqlalchemy.orm import joinedload

    from .accounts.models import User

    return db.select(User).where(User.session_token == db.bindparam("session_token")).options(
        joinedload(User.municipality), joinedload(User.organisation))
