"""`flask --app wsgi digest send [--dry-run] [--week YYYY-Www]`."""

from __future__ import annotations

import click

from plattform.digest import bp


def _week_option(_ctx, _param, value: str | None) -> str | None:
    from plattform.digest.services import parse_iso_week

    if value is None:
        return None
    try:
        return parse_iso_week(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


@bp.cli.command(
    "send",
    help="Wochen-E-Mail jetzt versenden. Aus diesem Prozess; der Beat-Auftrag tut dasselbe über die Worker.",
)
@click.option(
    "--dry-run", is_flag=True, help="Nur anzeigen, wer was bekäme; nichts senden, nichts speichern."
)
@click.option("--week", callback=_week_option, help="Kalenderwoche JJJJ-Www (Standard: die aktuelle).")
def send_command(dry_run: bool, week: str | None) -> None:
    """Send this week's digest now, in this process (the beat job does the same through the workers)."""
    from plattform.accounts.models import User
    from plattform.digest.services import (
        TransientMailError,
        deliver_digest,
        iso_week_of,
        mark_stale_reservations,
        recipient_ids,
    )
    from plattform.digest.services import (
        dry_run as plan,
    )
    from plattform.extensions import db

    week = week or iso_week_of()
    if dry_run:
        lines = plan(week)
        click.echo(f"Probelauf für {week}: {len(lines)} Abonnent(en), nichts wird gesendet oder gespeichert.")
        for line in lines:
            click.echo(f"- {line.email}: {line.status}" + (f" – „{line.subject}“" if line.subject else ""))
            if line.subject:
                for section in line.sections:
                    click.echo(f"    {section.title_de}:")
                    for item in section.items:
                        click.echo(f"      • {item.text_de}" + ("" if item.new else " (Erinnerung)"))
        return
    stale = mark_stale_reservations()
    if stale:
        click.echo(f"{stale} hängende Zustellung(en) als fehlgeschlagen markiert (nicht erneut gesendet).")
    counts: dict[str, int] = {}
    for user_id in recipient_ids():
        email = db.session.get(User, user_id).email
        try:
            outcome = deliver_digest(user_id, week, final_attempt=False)
        except TransientMailError as exc:
            outcome = "fehler-wird-wiederholt"
            click.echo(f"- {email}: SMTP-Fehler, beim nächsten Lauf erneut versucht ({exc})", err=True)
        else:
            click.echo(f"- {email}: {outcome}")
        counts[outcome] = counts.get(outcome, 0) + 1
    summary = ", ".join(f"{name}: {num}" for name, num in sorted(counts.items())) or "keine Abonnenten"
    click.echo(f"Wochen-E-Mail {week}: {summary}")
