"""`flask --app wsgi kommunen import-gv PATH`: import the official directory."""

from __future__ import annotations

import logging

import click

from plattform.kommunen import bp
from plattform.kommunen.gvisys import GvIsysError
from plattform.kommunen.services import import_gv_file

log = logging.getLogger(__name__)


@bp.cli.command(
    "import-gv",
    help="Gemeindeverzeichnis importieren. Ein Auszug aus Destatis GV-ISys (CSV oder XLSX), ganz oder "
    "gar nicht.",
)
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_gv_command(path: str) -> None:
    """Import a Destatis GV-ISys extract (CSV or XLSX); all-or-nothing."""
    try:
        stats = import_gv_file(path)
    except GvIsysError as exc:
        log.error("Import abgebrochen / import aborted: %s", exc.message_en)
        raise click.ClickException(f"Import abgebrochen, nichts wurde geändert. {exc}") from None
    click.echo(
        f"Importiert: {stats.kreise} Kreise, {stats.gemeinden} Gemeinden "
        f"({stats.inserted} neu, {stats.updated} aktualisiert, {stats.deactivated} aufgelöst), "
        f"{stats.gemeindefrei} gemeindefreie Gebiete gesondert."
    )
