"""Kommunalmatch web platform: the app factory."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

from flask import Flask

from plattform.config import PROJECT_ROOT, check_production_safety, load_config
from plattform.core.security import register_security_headers

# One sub-package per domain; each exposes `bp` (a blueprint) and may expose `beat_schedule()`.
DOMAINS: tuple[str, ...] = (
    "core",
    "kommunen",
    "accounts",
    "profile",
    "kontakte",
    "projekte",
    "netzwerke",
    "vorschlaege",
    "suche",
    "digest",
    "auswertung",
    "uebersicht",
    "api",
)


def create_app(config: dict | None = None) -> Flask:
    """Create the app: configuration, extensions, blueprints, error handlers, commands, Celery."""
    settings = load_config(dict(config) if config else None)
    check_production_safety(settings)
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=settings["INSTANCE_DIR"],
    )
    app.config.update(settings)
    _prepare_instance(app)
    register_proxy_fix(app)
    register_converters(app)
    register_extensions(app)
    register_blueprints(app)
    register_celery(app)
    register_security_headers(app)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return app


def _prepare_instance(app: Flask) -> None:
    """Create the instance folder that holds the embedded SQLite files and the mail outbox."""
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)


def register_proxy_fix(app: Flask) -> None:
    """Behind TRUSTED_PROXIES reverse proxies, take the client address and scheme from their headers.

    Rate limits, Flask-Login's session protection and the audit log then see the client, not the proxy.
    Only the entries the trusted proxies appended are used; a client's own X-Forwarded-For is not.
    """
    from werkzeug.middleware.proxy_fix import ProxyFix

    hops = app.config["TRUSTED_PROXIES"]
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def register_converters(app: Flask) -> None:
    """Replace `int` before the blueprints add their rules: ids beyond the id columns answer 404."""
    from plattform.core.routing import IdConverter

    app.url_map.converters["int"] = IdConverter


def register_extensions(app: Flask) -> None:
    """Bind the unbound extensions to this app."""
    from flask_babel import lazy_gettext

    from plattform.accounts.services import load_user
    from plattform.core.formatting import register_formatting
    from plattform.extensions import babel, csrf, db, limiter, login_manager, migrate
    from plattform.i18n import install_template_gettext, select_locale

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    install_template_gettext(app)
    register_formatting(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "accounts.login"
    # Lazy: flashed in the language of the request that needed the login (str() via localize_callback).
    login_manager.login_message = lazy_gettext("Bitte melden Sie sich an, um diese Seite zu sehen.")
    login_manager.localize_callback = str
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _tune_sqlite(app)


def _tune_sqlite(app: Flask) -> None:
    """WAL and a busy timeout let web, worker and beat share the embedded SQLite file."""
    import sqlalchemy as sa

    from plattform.extensions import db

    with app.app_context():
        engine = db.engine

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()


def register_blueprints(app: Flask) -> None:
    """Register every domain's blueprint (which carries its CLI group)."""
    from plattform.cli import describe_commands

    for name in DOMAINS:
        module = importlib.import_module(f"plattform.{name}")
        app.register_blueprint(module.bp)
    describe_commands(app)  # the groups' German help lines


def register_celery(app: Flask) -> None:
    """Bind Celery to the app and gather the domains' beat schedules."""
    from plattform.celery_app import celery_init_app

    schedule: dict = {}
    for name in DOMAINS:
        module = importlib.import_module(f"plattform.{name}")
        if hasattr(module, "beat_schedule"):
            schedule.update(module.beat_schedule(app))
    app.config["CELERY"]["beat_schedule"] = schedule
    celery_init_app(app)
