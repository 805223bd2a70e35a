"""Opora: the application factory."""
import os

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from . import config
from .extensions import babel, csrf, db, login_manager, migrate

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    # WAL lets readers work while one writer commits; busy_timeout makes writers wait
    # for each other instead of failing at once. Foreign keys are off by default in SQLite.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL keeps the database consistent on a crash and skips an fsync per commit.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        # SQLite's lower() folds ASCII only; searches in Russian need Unicode case folding,
        # as PostgreSQL does it.
        dbapi_connection.create_function("lower", 1, lambda v: v.lower() if isinstance(v, str) else v,
                                         deterministic=True)


def create_app(test_config=None):
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=os.path.join(ROOT, "templates"),
        static_folder=os.path.join(ROOT, "static"),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    config.load(app)
    if test_config:
        app.config.update(test_config)

    if app.config["PROXY_FIX"]:
        # Behind one reverse proxy: the client's address and scheme come from X-Forwarded-*,
        # so login throttling counts per client, not per proxy.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(ROOT, "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    from .i18n import select_locale, select_timezone

    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)

    from . import models  # noqa: F401  (every model registered before migrations look)
    from .accounts import bp as accounts_bp
    from .collab import bp as collab_bp
    from .dashboard import bp as dashboard_bp
    from .exports import bp as exports_bp
    from .mechanisms import bp as mechanisms_bp
    from .orgs import bp as orgs_bp
    from .programmes import bp as programmes_bp
    from .selection import bp as selection_bp
    from .teachers import bp as teachers_bp
    from .visits import bp as visits_bp

    for blueprint in (dashboard_bp, accounts_bp, orgs_bp, programmes_bp, collab_bp, visits_bp, teachers_bp,
                      selection_bp, exports_bp, mechanisms_bp):
        app.register_blueprint(blueprint)

    from . import activity, cli, errors, htmx, logs, security, transaction, ui

    # Registered first, so it runs last among after_request hooks: the commit follows
    # everything that shapes the answer.
    transaction.init_app(app)
    htmx.init_app(app)
    logs.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    cli.init_app(app)
    ui.init_app(app)
    activity.init_app(app)

    return app
