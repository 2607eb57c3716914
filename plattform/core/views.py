"""Start page, health endpoint, privacy and imprint pages, error handlers."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import current_app, render_template

from plattform.core import bp
from plattform.extensions import db


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
    """A German 'forbidden' page."""
    return render_template("errors/403.html"), 403


@bp.app_errorhandler(413)
def too_large(error):
    """Upload larger than allowed (MAX_CONTENT_LENGTH), as a German page naming the limit."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return render_template("errors/413.html", max_mb=f"{limit / 1024 / 1024:g}"), 413


@bp.app_errorhandler(500)
def server_error(error):
    """A German error page; the details go to the log."""
    db.session.rollback()
    return render_template("errors/500.html"), 500


@bp.cli.command("seed")
@click.option("--ohne-profile", is_flag=True, help="Nur das Verzeichnis der Demo-Region laden.")
def seed_command(ohne_profile: bool) -> None:
    """Load the demo region (real Kommunen) and, where available, demo profiles."""
    from plattform.core.demo import seed_demo

    for line in seed_demo(with_profiles=not ohne_profile):
        click.echo(line)
