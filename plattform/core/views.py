"""Start page, health endpoint, privacy and imprint pages, error handlers."""

from __future__ import annotations

import logging

import click
import sqlalchemy as sa
from flask import abort, current_app, g, render_template, request, session
from flask_babel import force_locale

from plattform.core import bp
from plattform.core.text import has_forbidden_characters
from plattform.extensions import db

log = logging.getLogger(__name__)


@bp.before_app_request
def refuse_control_characters():
    """The text guard at the web's entrance: path, query, form fields and file names.

    No person types a NUL byte or another control character (tab and line breaks aside); PostgreSQL
    refuses NUL outright. So such a request is answered with a German 400 page before any view reads
    it. The API checks its input against its schema and answers Problem+JSON itself.
    """
    # An API path that matches no route has no blueprint yet; the API answers it with Problem+JSON.
    if request.blueprint == "api" or request.endpoint == "static" or request.path.startswith("/api/"):
        return None
    values = [request.path]
    values.extend(request.args.keys())
    values.extend(request.args.values())
    if request.method in ("POST", "PUT", "PATCH"):
        values.extend(request.form.keys())
        view = current_app.view_functions.get(request.endpoint)
        if not getattr(view, "validates_own_text", False):
            values.extend(request.form.values())
        values.extend(f.filename or "" for f in request.files.values())
    if any(has_forbidden_characters(v) for v in values):
        abort(400, description="control-characters")
    return None


@bp.get("/")
def index():
    """The start page: what the platform is for, and where to begin."""
    from plattform.kommunen.models import Kommune

    count = db.session.scalar(sa.select(sa.func.count(Kommune.id)).where(Kommune.active.is_(True)))
    return render_template("core/index.html", kommunen_count=count or 0)


@bp.get("/health")
def health():
    """Liveness and database check for load balancers and the load benchmark."""
    db.session.execute(sa.text("SELECT 1"))
    return {"status": "ok"}


@bp.get("/datenschutz")
def datenschutz():
    """Privacy page: what is stored and why."""
    return render_template("core/datenschutz.html")


@bp.get("/impressum")
def impressum():
    """Imprint page."""
    return render_template("core/impressum.html")


@bp.app_errorhandler(404)
def not_found(error):
    """A German 'not found' page."""
    return render_template("errors/404.html"), 404


@bp.app_errorhandler(403)
def forbidden(error):
    """A German 'forbidden' page; an account that speaks for no Kommune yet is shown how to ask."""
    from flask_login import current_user

    from plattform.accounts.permissions import has_approved_role

    needs_kommune = current_user.is_authenticated and not has_approved_role(current_user)
    return render_template("errors/403.html", needs_kommune=needs_kommune), 403


@bp.app_errorhandler(413)
def too_large(error):
    """Upload larger than allowed (MAX_CONTENT_LENGTH), as a German page naming the limit."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return render_template("errors/413.html", max_mb=f"{limit / 1024 / 1024:g}"), 413


@bp.app_errorhandler(400)
def bad_request(error):
    """A German page for a request the platform cannot read (e.g. control characters in a field)."""
    control = getattr(error, "description", None) == "control-characters"
    return render_template("errors/400.html", control_characters=control), 400


def _request_locale() -> str:
    """The page language from the session or the browser alone, never from the account (no database)."""
    languages = current_app.config["LANGUAGES"]
    if session.get("lang") in languages:
        return session["lang"]
    return request.accept_languages.best_match(languages) or "de"


@bp.app_errorhandler(500)
def server_error(error):
    """A German error page; the details go to the log.

    The page renders without the database: when the database is the cause, loading the user or the
    navigation would fail again and leave gunicorn's bare English page without security headers.
    """
    try:
        db.session.rollback()
    except Exception:  # the connection may be gone; the page must still come
        log.warning("Rollback nach Fehler nicht möglich (database unreachable)")
    # Flask-Login's template context loads the user eagerly: stand an anonymous one in for it.
    g._login_user = current_app.login_manager.anonymous_user()
    with force_locale(_request_locale()):
        return render_template("errors/500.html", bare_page=True), 500


@bp.cli.command("seed")
@click.option("--ohne-profile", is_flag=True, help="Nur das Verzeichnis der Demo-Region laden.")
def seed_command(ohne_profile: bool) -> None:
    """Load the demo region (real Kommunen) and, where available, demo profiles."""
    from plattform.core.demo import seed_demo

    for line in seed_demo(with_profiles=not ohne_profile):
        click.echo(line)
