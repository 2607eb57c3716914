"""`flask --app wsgi profile import PATH` and `profile export PATH`: profiles in bulk."""

from __future__ import annotations

import logging
import time

import click

from plattform.extensions import db
from plattform.profile import bp
from plattform.profile.bulk import import_profile_file
from plattform.profile.formats import ProfileImportError
from plattform.profile.services import export_profile_file

log = logging.getLogger(__name__)


@bp.cli.command(
    "import",
    help="Profile importieren. Aus JSON, JSON Lines, CSV oder XLSX; ganz oder gar nicht, jeder Fehler wird "
    "aufgelistet.",
)
@click.argument("path", type=click.Path(dir_okay=False))
def import_command(path: str) -> None:
    """Import profiles from JSON, JSON Lines, CSV or XLSX; all-or-nothing, every error listed."""
    started = time.perf_counter()
    try:
        result = import_profile_file(path)
        db.session.commit()
    except ProfileImportError as exc:
        db.session.rollback()
        raise click.ClickException(f"Import abgebrochen, nichts wurde geändert. {exc}") from None
    log.info(
        "Profile importiert / profiles imported: %s in %.2f s", result.total, time.perf_counter() - started
    )
    click.echo(
        f"{result.total} Profile importiert: {len(result.new)} neu, {len(result.changed)} geändert"
        f" (davon {len(result.from_demo)} bisher Demodaten), {len(result.unchanged)} unverändert"
        + (f", {len(result.skipped)} leere Zeilen übersprungen." if result.skipped else ".")
    )


@bp.cli.command(
    "export", help="Alle Profile exportieren. Das Format folgt der Endung (.json, .jsonl, .csv, .xlsx)."
)
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def export_command(path: str) -> None:
    """Export all profiles; the format follows the extension (.json, .jsonl, .csv, .xlsx)."""
    try:
        count = export_profile_file(path)
    except ProfileImportError as exc:  # an unknown extension
        raise click.ClickException(str(exc)) from None
    click.echo(f"{count} Profile nach {path} exportiert.")
