from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from .. import policy
from ..extensions import db
from ..htmx import render
from ..orgs.models import Organisation
from . import bp, services
from .forms import ROLE_LABELS, LoginForm, NewUserForm, PasswordChangeForm, ResetPasswordForm, UserForm
from .models import ROLES, User


def _safe_next(target):
    """Only same-site relative paths: an open redirect would help phishing."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm(next=request.args.get("next", ""))
    status = 200
    if form.validate_on_submit():
        ip = request.remote_addr or ""
        email = form.email.data.strip().lower()
        if services.is_throttled(email, ip):
            minutes = current_app.config["LOGIN_WINDOW_MINUTES"]
            form.password.errors.append(_("Слишком много неудачных попыток входа. Попробуйте через %(m)s мин.", m=minutes))
            resp = render("accounts/login.html", form=form, status=429)
            resp.headers["Retry-After"] = str(minutes * 60)
            return resp
        user = services.authenticate(email, form.password.data, ip)
        if user is not None:
            # A fresh session at login: nothing set before it (a planted cookie) survives.
            locale = session.get("locale") or user.locale
            session.clear()
            if locale:
                session["locale"] = locale
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(form.next.data) or url_for("core.home"))
        form.password.errors.append(_("Неверная электронная почта или пароль."))
        status = 401
    elif request.method == "POST":
        status = 422
    return render("accounts/login.html", form=form, status=status)


@bp.post("/logout")
def logout():
    services.logout(current_user)
    logout_user()
    session.clear()
    flash(_("Вы вышли из системы."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    policy.authorize("view", current_user._get_current_object())
    form = PasswordChangeForm()
    status = 200
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append(_("Текущий пароль введён неверно."))
            status = 422
        else:
            services.change_password(current_user, form.new.data)
            login_user(current_user._get_current_object())  # the session follows the new token
            flash(_("Пароль изменён."), "success")
            return redirect(url_for("core.home"))
    elif request.method == "POST":
        status = 422
    return render("accounts/password.html", form=form, status=status)


# --- Administration of users ---------------------------------------------------------

def _organisation_choices():
    orgs = db.session.scalars(
        db.select(Organisation).where(Organisation.municipality_id == current_user.municipality_id,
                                      Organisation.is_archived.is_(False)).order_by(Organisation.kind, Organisation.short_name)
    ).all()
    return [(0, "—")] + [(o.id, o.short_name) for o in orgs]


def _validate_user_form(form, user_id=None):
    ok = form.validate_on_submit()
    if form.email.data and services.email_taken(form.email.data, user_id):
        form.email.errors = list(form.email.errors) + [_("Пользователь с такой почтой уже есть.")]
        ok = False
    org = db.session.get(Organisation, form.organisation_id.data) if form.organisation_id.data else None
    if form.role.data in ("school", "tutor") and (org is None or not org.is_school):
        form.organisation_id.errors = list(form.organisation_id.errors) + [_("Для этой роли выберите школу.")]
        ok = False
    return ok


def _form_data(form):
    data = {f: getattr(form, f).data for f in services.USER_FIELDS}
    data["organisation_id"] = data["organisation_id"] or None
    if "password" in form:
        data["password"] = form.password.data
    return data


@bp.get("/admin/users")
def users():
    policy.require("manage")
    q = request.args.get("q", "")[:100]
    role = request.args.get("role", "")
    role = role if role in ROLES else ""
    found = services.search_users(current_user.municipality_id, q, role)
    return render("accounts/users.html", block="results", users=found, q=q, role=role, roles=ROLE_LABELS)


@bp.route("/admin/users/new", methods=["GET", "POST"])
def new_user():
    policy.require("manage")
    form = NewUserForm()
    form.organisation_id.choices = _organisation_choices()
    if _validate_user_form(form):
        user = services.save_user(current_user, User(), _form_data(form))
        db.session.flush()
        flash(_("Пользователь %(name)s создан.", name=user.full_name), "success")
        return redirect(url_for("accounts.users"))
    return render("accounts/user_form.html", form=form, user=None, status=422 if request.method == "POST" else 200)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id):
    user = policy.load(User, user_id, "edit")
    form = UserForm(obj=user)
    form.organisation_id.choices = _organisation_choices()
    if request.method == "GET":
        form.organisation_id.data = user.organisation_id or 0
        form.version.data = user.version
    reset_form = ResetPasswordForm(prefix="reset")
    if _validate_user_form(form, user.id):
        if str(user.version) != (form.version.data or ""):
            flash(_("Пока вы редактировали, пользователя изменил кто-то другой. Ниже — текущие данные; внесите правку заново."), "warning")
            return redirect(url_for("accounts.edit_user", user_id=user.id))
        services.save_user(current_user, user, _form_data(form))
        db.session.flush()
        flash(_("Изменения сохранены."), "success")
        return redirect(url_for("accounts.users"))
    return render("accounts/user_form.html", form=form, user=user, reset_form=reset_form,
                  status=422 if request.method == "POST" else 200)


@bp.post("/admin/users/<int:user_id>/password")
def reset_password(user_id):
    user = policy.load(User, user_id, "edit")
    form = ResetPasswordForm(prefix="reset")
    if not form.validate_on_submit():
        for error in form.password.errors:
            flash(error, "error")
        return redirect(url_for("accounts.edit_user", user_id=user.id)), 303
    services.reset_password(current_user, user, form.password.data)
    flash(_("Пароль пользователя %(name)s изменён.", name=user.full_name), "success")
    return redirect(url_for("accounts.edit_user", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/active")
def toggle_active(user_id):
    user = policy.load(User, user_id, "edit")
    if user.id == current_user.id:
        abort(422)
    services.set_active(current_user, user, not user.is_active)
    if user.is_active:
        flash(_("Пользователь %(name)s снова активен.", name=user.full_name), "success")
    else:
        flash(_("Пользователь %(name)s отключён; его история сохранена.", name=user.full_name), "success")
    return redirect(url_for("accounts.users"))


@bp.get("/admin/audit")
def audit():
    """What the municipality's administrators did: users, organisations, partnerships, imports, decisions."""
    policy.require("manage")
    events = services.admin_actions(current_user.municipality_id, request.args.get("type", "")[:40])
    return render("accounts/audit.html", events=events)
