"""`flask --app wsgi profile import PATH` and `profile export PATH`: profiles in bulk."""

from __future__ import annotations

import logging
import time

import click

from plattform.extensions import db
from plattform.profile import bp
from plattform.profile.formats import ProfileImportError
from plattform.profile.services import export_profile_file, import_profile_file

log = logging.getLogger(__name__)


@bp.cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
def import_command(path: str) -> None:
    """Import profiles from JSON, JSON Lines, CSV or XLSX; all-or-nothing."""
    started = time.perf_counter()
    try:
        count = import_profile_file(path)
    except ProfileImportError as exc:
        db.session.rollback()
        raise click.ClickException(f"Import abgebrochen, nichts wurde geändert. {exc}") from None
    log.info("Profile importiert / profiles imported: %s in %.2f s", count, time.perf_counter() - started)
    click.echo(f"{count} Profile importiert.")


@bp.cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def export_command(path: str) -> None:
    """Export all profiles; the format follows the extension (.json, .jsonl, .csv, .xlsx)."""
    try:
        count = export_profile_file(path)
    except ProfileImportError as exc:  # an unknown extension
        raise click.ClickException(str(exc)) from None
    click.echo(f"{count} Profile nach {path} exportiert.")
