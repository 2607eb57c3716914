"""`flask --app wsgi projekte suggest [--thema SLUG] [--json]` and `projekte recompute`."""

from __future__ import annotations

import json

import click

from matching.vocabulary import TOPIC_LABELS_DE
from plattform.projekte import bp
from plattform.projekte.proposals import compute_proposals, recompute


@bp.cli.command(
    "suggest",
    help="Projektvorschläge berechnen und ausgeben. Aus den aktuellen Profilen; nichts wird gespeichert.",
)
@click.option("--thema", help="Nur dieses Thema (Slug, z. B. hundesteuer-digital).")
@click.option("--json", "as_json", is_flag=True, help="Ein JSON-Dokument auf stdout, sonst nichts.")
def suggest_command(thema: str | None, as_json: bool) -> None:
    """Compute shared-project proposals from the current profiles and print them (nothing is stored)."""
    if thema is not None and thema not in TOPIC_LABELS_DE:
        raise click.ClickException(f"Unbekanntes Thema „{thema}“. Gültig sind die Slugs aus dem Vokabular.")
    loaded, proposals = compute_proposals([thema] if thema else None)
    if as_json:
        click.echo(json.dumps([p.to_json() for p in proposals], ensure_ascii=False, indent=2))
        return
    if not proposals:
        click.echo("Keine Vorschläge: zu wenige Kommunen arbeiten nah beieinander am selben Thema.")
        return
    for p in proposals:
        names = ", ".join(loaded.kommunen[a].short_name for a in p.members)
        if p.existing_project_id is not None:
            # The lead of an existing project need not have a profile; the explanation names it.
            click.echo(f"{TOPIC_LABELS_DE[p.thema]} – bestehendes Projekt {p.existing_project_id}")
            click.echo(f"  Können beitreten ({len(p.members)}): {names}")
        else:
            lead = loaded.kommunen[p.lead_ags]
            click.echo(f"{TOPIC_LABELS_DE[p.thema]} – Federführung: {lead.short_name} ({p.lead_ags})")
            click.echo(f"  Mitglieder ({len(p.members)}): {names}")
        click.echo(f"  {p.explanation_de}")


@bp.cli.command(
    "recompute",
    help="Projektvorschläge neu berechnen und speichern. Mit den Doppelarbeits-Befunden, wie der "
    "nächtliche Auftrag.",
)
def recompute_command() -> None:
    """Recompute and store the proposals and duplication reports now (what the nightly task does)."""
    stats = recompute()
    click.echo(
        f"{stats['proposals']} Projektvorschläge und {stats['duplications']} "
        "Doppelarbeits-Befunde gespeichert."
    )
