import math
from urllib.parse import urlsplit

from flask import abort, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user

from .. import policy
from ..htmx import refused, render
from ..versioning import Conflict, parse_version, stale_as_conflict
from . import bp, services
from .forms import (
    ACTIVE_LABELS,
    ROLE_LABELS,
    LoginForm,
    NewUserForm,
    PasswordChangeForm,
    ResetPasswordForm,
    SetupPasswordForm,
    UserForm,
)
from .models import ROLES, User


def _safe_next(target):
    """Only same-site relative paths: an open redirect would help phishing."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _wait_message(seconds):
    if seconds < 120:
        return ngettext("Слишком много неудачных попыток входа. Попробуйте снова через %(num)s секунду.",
                        "Слишком много неудачных попыток входа. Попробуйте снова через %(num)s секунд.", seconds)
    minutes = math.ceil(seconds / 60)
    return ngettext("Слишком много неудачных попыток входа. Попробуйте снова через %(num)s минуту.",
                    "Слишком много неудачных попыток входа. Попробуйте снова через %(num)s минут.", minutes)


def _sign_in(user, remember=False):
    """A fresh session at login: nothing set before it (a planted cookie) survives."""
    locale = session.get("locale") or user.locale
    session.clear()
    if locale:
        session["locale"] = locale
    login_user(user, remember=remember)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.home"))
    form = LoginForm(next=request.args.get("next", ""))
    status = 200
    if form.validate_on_submit():
        result = services.attempt_login(form.email.data, form.password.data, request.remote_addr or "")
        if result.wait:
            form.password.errors.append(_wait_message(result.wait))
            resp = render("accounts/login.html", form=form, status=429)
            resp.headers["Retry-After"] = str(result.wait)
            return resp
        if result.user is not None:
            _sign_in(result.user, remember=form.remember.data)
            if result.user.must_change_password:
                return redirect(url_for("accounts.change_password"))
            return redirect(_safe_next(form.next.data) or url_for("dashboard.home"))
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
            return redirect(url_for("dashboard.home"))
    elif request.method == "POST":
        status = 422
    return render("accounts/password.html", form=form, forced=current_user.must_change_password, status=status)


@bp.route("/account/setup/<token>", methods=["GET", "POST"])
def setup(token):
    """The page of a one-time link (public: the person has no password yet). Setting the
    password signs them in, in a fresh session; the link then stops working."""
    try:
        link = services.setup_link(token)
    except services.LinkRefused as refusal:
        return render("accounts/setup.html", refused=refusal.message, status=refusal.status)
    form = SetupPasswordForm()
    if form.validate_on_submit():
        try:
            with stale_as_conflict(link.user):
                user = services.use_setup_link(link, form.new.data)
        except services.LinkRefused as refusal:
            return render("accounts/setup.html", refused=refusal.message, status=refusal.status)
        except Conflict:  # the account was changed at this very moment; the link is still unused
            return render("accounts/setup.html", status=409, refused=_(
                "Учётную запись только что изменили. Откройте ссылку ещё раз и задайте пароль."))
        _sign_in(user)
        flash(_("Пароль задан. Добро пожаловать в Опору!"), "success")
        return redirect(url_for("dashboard.home"))
    return render("accounts/setup.html", form=form, user=link.user, expires_at=link.expires_at,
                  status=422 if request.method == "POST" else 200)


# --- Administration of users ---------------------------------------------------------

def _validate_user_form(form, user_id=None):
    ok = form.validate_on_submit()
    if form.email.data and services.email_taken(form.email.data, user_id):
        form.email.errors = list(form.email.errors) + [_("Пользователь с такой почтой уже есть.")]
        ok = False
    error = services.organisation_error(form.role.data, form.organisation_id.data)
    if error:
        form.organisation_id.errors = list(form.organisation_id.errors) + [error]
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
    return render("accounts/users.html", block="results", users=found, q=q, role=role, roles=ROLE_LABELS,
                  states=ACTIVE_LABELS)


@bp.route("/admin/users/new", methods=["GET", "POST"])
def new_user():
    policy.require("manage")
    form = NewUserForm()
    form.organisation_id.choices = services.organisation_choices(current_user.municipality_id)
    if _validate_user_form(form):
        user = services.save_user(current_user, User(), _form_data(form))
        if not user.has_password:
            # The link is shown now or never: only its digest is stored.
            return render("accounts/setup_links.html", links=[services.issue_setup_link(current_user, user)])
        flash(_("Пользователь %(name)s создан. Пароль временный: при первом входе его нужно будет сменить.",
                name=user.full_name), "success")
        return redirect(url_for("accounts.users"))
    return render("accounts/user_form.html", form=form, user=None, status=422 if request.method == "POST" else 200)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id):
    user = policy.load(User, user_id, "edit")
    form = UserForm(obj=user)
    form.organisation_id.choices = services.organisation_choices(current_user.municipality_id)
    if request.method == "GET":
        form.organisation_id.data = user.organisation_id or 0
        form.version.data = user.version
    reset_form = ResetPasswordForm(prefix="reset")
    if _validate_user_form(form, user.id):
        if parse_version(form.version.data) != user.version:
            flash(_("Пока вы редактировали, пользователя изменил кто-то другой. "
                    "Ниже — текущие данные; внесите правку заново."), "warning")
            return redirect(url_for("accounts.edit_user", user_id=user.id))
        services.save_user(current_user, user, _form_data(form))
        flash(_("Изменения сохранены."), "success")
        return redirect(url_for("accounts.users"))
    return render("accounts/user_form.html", form=form, user=user, reset_form=reset_form,
                  pending_link=services.pending_link(user), status=422 if request.method == "POST" else 200)


@bp.post("/admin/users/<int:user_id>/password")
def reset_password(user_id):
    user = policy.load(User, user_id, "edit")
    form = ResetPasswordForm(prefix="reset")
    if not form.validate_on_submit():
        for error in form.password.errors:
            flash(error, "error")
        return redirect(url_for("accounts.edit_user", user_id=user.id)), 303
    services.reset_password(current_user, user, form.password.data)
    flash(_("Временный пароль пользователя %(name)s задан. При входе он должен будет сменить его на свой.",
            name=user.full_name), "success")
    return redirect(url_for("accounts.edit_user", user_id=user.id))


@bp.post("/admin/users/<int:user_id>/link")
def issue_link(user_id):
    """«Выдать ссылку для входа»: a fresh one-time link (older ones stop working), shown once."""
    user = policy.load(User, user_id, "edit")
    if not user.is_active:
        return refused(url_for("accounts.edit_user", user_id=user.id),
                       _("Учётная запись отключена: сначала включите её."))
    return render("accounts/setup_links.html", links=[services.issue_setup_link(current_user, user)])


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
