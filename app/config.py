"""Configuration: defaults for development, overridden by environment variables."""
import os
import secrets
from datetime import timedelta


def _bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.lower() in {"1", "true", "yes", "on"}


def load(app):
    """Fill app.config from defaults and the environment (OPORA_* and DATABASE_URL)."""
    instance = app.instance_path
    secret = os.environ.get("SECRET_KEY")
    if not secret:
        # Development only: a key kept in instance/ so sessions survive restarts.
        key_file = os.path.join(instance, "secret_key")
        if not os.path.exists(key_file):
            os.makedirs(instance, exist_ok=True)
            with open(key_file, "w") as fh:
                fh.write(secrets.token_hex(32))
        with open(key_file) as fh:
            secret = fh.read().strip()
    database_url = os.environ.get("DATABASE_URL") or "sqlite:///" + os.path.join(instance, "opora.db")
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://"):]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    app.config.update(
        SECRET_KEY=secret,
        SQLALCHEMY_DATABASE_URI=database_url,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=_bool("OPORA_SECURE_COOKIES"),
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=_bool("OPORA_SECURE_COOKIES"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=int(os.environ.get("OPORA_MAX_UPLOAD_MB", "10")) * 1024 * 1024,
        BABEL_DEFAULT_LOCALE="ru",
        BABEL_DEFAULT_TIMEZONE=os.environ.get("OPORA_TIMEZONE", "Asia/Krasnoyarsk"),
        BABEL_TRANSLATION_DIRECTORIES=os.path.join(app.root_path, "translations"),
        LANGUAGES=("ru", "en"),
        PROXY_FIX=_bool("OPORA_PROXY_FIX"),
        PASSWORD_HASH_METHOD=os.environ.get("OPORA_PASSWORD_HASH", "scrypt"),
        # Login throttling (accounts.services.throttle_wait): failures count per (e-mail, address)
        # pair; after LOGIN_MAX_FAILURES of them the pair waits 2, 4, 8 … s (at most
        # LOGIN_MAX_DELAY_SECONDS) before its next attempt. Failures older than the window are
        # forgotten and pruned.
        LOGIN_MAX_FAILURES=int(os.environ.get("OPORA_LOGIN_MAX_FAILURES", "5")),
        LOGIN_MAX_DELAY_SECONDS=int(os.environ.get("OPORA_LOGIN_MAX_DELAY_SECONDS", "900")),
        LOGIN_WINDOW_MINUTES=int(os.environ.get("OPORA_LOGIN_WINDOW_MINUTES", "1440")),
        # Against spraying many accounts from one address: once failures from it name more than
        # LOGIN_IP_MAX_ACCOUNTS e-mails within LOGIN_IP_WINDOW_MINUTES, every attempt from it waits
        # 2, 4, 8 … s, at most LOGIN_IP_MAX_DELAY_SECONDS (a delay, never a lockout of the office).
        LOGIN_IP_MAX_ACCOUNTS=int(os.environ.get("OPORA_LOGIN_IP_MAX_ACCOUNTS", "10")),
        LOGIN_IP_WINDOW_MINUTES=int(os.environ.get("OPORA_LOGIN_IP_WINDOW_MINUTES", "15")),
        LOGIN_IP_MAX_DELAY_SECONDS=int(os.environ.get("OPORA_LOGIN_IP_MAX_DELAY_SECONDS", "60")),
        # One-time links by which people set their password (imported accounts, «Выдать ссылку»).
        SETUP_LINK_DAYS=int(os.environ.get("OPORA_SETUP_LINK_DAYS", "7")),
        # An upload's reading stops with a message after this many seconds (app.imports).
        IMPORT_READ_SECONDS=float(os.environ.get("OPORA_IMPORT_READ_SECONDS", "5")),
        # Export jobs beat every EXPORT_HEARTBEAT_SECONDS; one silent for EXPORT_STALE_SECONDS is
        # shown as interrupted; one running longer than EXPORT_MAX_SECONDS stops beating.
        EXPORT_HEARTBEAT_SECONDS=float(os.environ.get("OPORA_EXPORT_HEARTBEAT_SECONDS", "5")),
        EXPORT_STALE_SECONDS=float(os.environ.get("OPORA_EXPORT_STALE_SECONDS", "60")),
        EXPORT_MAX_SECONDS=float(os.environ.get("OPORA_EXPORT_MAX_SECONDS", "1800")),
        EXPORT_FOLDER=os.environ.get("OPORA_EXPORT_FOLDER", os.path.join(instance, "exports")),
        UPLOAD_FOLDER=os.environ.get("OPORA_UPLOAD_FOLDER", os.path.join(instance, "uploads")),
        LIVE_POLL_SECONDS=int(os.environ.get("OPORA_LIVE_POLL_SECONDS", "1")),
        PRESENCE_SECONDS=int(os.environ.get("OPORA_PRESENCE_SECONDS", "15")),
    )
