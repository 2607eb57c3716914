"""`matching recompute [--sync]`, `matching show AGS… [--all] [--limit N] [--json] [--lang de|en]`,
`matching status`;
the demo step that computes suggestions right after the demo profiles."""

from __future__ import annotations

import json

import click

from plattform.core.demo import demo_step
from plattform.vorschlaege import bp, services


@bp.cli.command(
    "recompute",
    help="Alle Partnervorschläge neu berechnen. Als Auftrag an den Worker (gibt dessen Kennung aus) oder "
    "mit --sync hier im Vordergrund.",
)
@click.option("--sync", is_flag=True, help="Im Vordergrund rechnen statt den Auftrag an den Worker zu geben.")
def recompute_command(sync: bool) -> None:
    """Recompute all suggestions: enqueue the Celery task (prints its id), or with --sync run it here."""
    if sync:
        summary = services.recompute_full()
        click.echo(
            f"Lauf {summary.run_id}: {summary.size} Kommunen, {summary.suggestions} Vorschläge, "
            f"Gini {summary.gini:.3f}, {summary.seconds:.1f} s"
            + ("" if summary.current else " (nicht übernommen: ein neuerer Lauf ist aktuell)")
        )
        return
    from plattform.vorschlaege.tasks import recompute_all

    result = recompute_all.delay()
    click.echo(result.id)


LANGUAGES = ("de", "en")


@bp.cli.command("show", help="Partnervorschläge von Kommunen zeigen. Die aktuellen, mit ihren Erklärungen.")
@click.argument("ags_list", metavar="AGS…", nargs=-1)
@click.option("--all", "show_all", is_flag=True, help="Alle Kommunen mit Vorschlägen im aktuellen Lauf.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Höchstens so viele Vorschläge.")
@click.option(
    "--json", "as_json", is_flag=True, help="JSON auf stdout: ein Dokument, für mehrere eine Liste."
)
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default="de",
    show_default=True,
    help="Sprache der Erklärungen.",
)
def show_command(
    ags_list: tuple[str, ...], show_all: bool, limit: int | None, as_json: bool, lang: str
) -> None:
    """Zeigt die aktuellen Vorschläge einer oder mehrerer Kommunen mit ihren Erklärungen."""
    from flask_babel import force_locale

    wanted = [a.strip() for a in ags_list]
    if show_all:
        wanted = services.suggested_ags()
    elif not wanted:
        raise click.UsageError("Bitte mindestens einen AGS angeben oder --all.")
    with force_locale(lang):
        docs = []
        for ags in wanted:
            try:
                docs.append(services.suggestions_document(ags, limit))
            except LookupError as exc:
                raise click.ClickException(str(exc)) from None
    if as_json:
        payload = docs[0] if len(docs) == 1 and not show_all else docs
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    for doc in docs:
        _print_document(doc)


def _print_document(doc: dict) -> None:
    if doc["run"] is None:
        click.echo("Noch keine Vorschläge berechnet: flask --app wsgi matching recompute --sync")
        return
    click.echo(f"{doc['name']} ({doc['ags']}), Lauf {doc['run']['id']}:")
    if not doc["suggestions"]:
        click.echo("  keine Vorschläge")
    for s in doc["suggestions"]:
        dist = "" if s["distance_km"] is None else f", {s['distance_km']:.0f} km"
        click.echo(f"{s['rank']:>3}. {s['name']} ({s['ags']}{dist}) – Wert {s['score']:.3f}")
        click.echo(f"     {s['explanation']}")


@bp.cli.command("status", help="Gespeicherte Läufe auflisten. Der aktuelle ist mit * markiert.")
def status_command() -> None:
    """List the stored runs and which one is current."""
    from plattform.extensions import db
    from plattform.vorschlaege.models import SuggestionRun

    current = services.current_run_id()
    runs = db.session.scalars(db.select(SuggestionRun).order_by(SuggestionRun.id.desc())).all()
    if not runs:
        click.echo("Noch kein Lauf.")
    for run in runs:
        mark = "*" if run.id == current else " "
        gini = "" if run.gini is None else f", Gini {run.gini:.3f}"
        click.echo(
            f"{mark} Lauf {run.id}: {run.status}, {run.kind}, {run.size} Kommunen{gini}, "
            f"gestartet {run.started_at:%Y-%m-%d %H:%M}" + (f" – {run.error}" if run.error else "")
        )


@demo_step("matching")
def demo_matching() -> str:
    """Compute suggestions synchronously so `make run` shows them at once."""
    summary = services.recompute_full()
    return (
        f"Vorschläge berechnet: {summary.size} Kommunen, {summary.suggestions} Vorschläge "
        f"(Lauf {summary.run_id})."
    )
