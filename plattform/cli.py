"""The `kommunalmatch` console script (the same commands as `flask --app wsgi …`) and the German
one-line help of every command group.

Each domain's group is its blueprint's `cli_group`; its subcommands carry their German help where
they are defined (plattform/*/cli.py). The groups' lines, and those of the commands Flask and its
extensions bring (db, limiter, run, shell, routes), are set here in one table, so `flask --help`
reads German from top to bottom.
"""

from __future__ import annotations

import sys

import flask.cli
from flask import Flask
from flask.cli import FlaskGroup

# Group (or top-level command) -> its line in `flask --help` and the head of `flask GROUP --help`.
GROUP_HELP: dict[str, str] = {
    "accounts": "Konten: ein Administrationskonto anlegen.",
    "db": "Datenbank: Migrationen anwenden und prüfen (Alembic).",
    "demo": "Demodaten laden: Region, Profile, Konten, Netzwerke.",
    "digest": "Wochen-E-Mail versenden oder im Probelauf zeigen.",
    "kommunen": "Gemeindeverzeichnis (Destatis GV-ISys) importieren.",
    "limiter": "Anfragelimits ansehen und Zähler zurücksetzen.",
    "matching": "Partnervorschläge berechnen, zeigen, Läufe auflisten.",
    "profile": "Profile importieren und exportieren (JSON, CSV, Excel).",
    "projekte": "Projektvorschläge berechnen, zeigen und speichern.",
    "run": "Entwicklungsserver starten (Betrieb: gunicorn wsgi:app).",
    "shell": "Python-Shell mit geladener App öffnen.",
    "routes": "Alle Adressen der App mit Endpunkten auflisten.",
}
# Subcommands that Flask's extensions bring, with German help ((group, command) -> text).
SUBCOMMAND_HELP: dict[tuple[str, str], str] = {
    ("db", "upgrade"): "Datenbank auf den neuesten Stand bringen.",
    ("db", "downgrade"): "Datenbank auf eine ältere Version zurücksetzen.",
    ("db", "current"): "Aktuelle Version der Datenbank zeigen.",
    ("db", "history"): "Alle Migrationen der Reihe nach auflisten.",
    ("db", "migrate"): "Neue Migration aus den Modellen erzeugen (Entwicklung).",
    ("db", "check"): "Prüfen, ob eine Migration fehlt.",
    (
        "demo",
        "seed",
    ): "Demodaten laden. Die Demo-Region (echte Kommunen), dazu Demo-Profile, -Konten und Netzwerke.",
}


def _describe(command, text: str) -> None:
    command.help = text
    command.short_help = None  # click takes the first sentence of `help`


def _plugin_command(name: str):
    """A command that an installed package registers for `flask` (Flask-Limiter's `limiter`), if
    Flask has loaded it (it has, before the app, whenever `flask` lists or runs commands)."""
    module = sys.modules.get(f"flask_{name}.commands")
    return getattr(module, "cli", None)


def describe_commands(app: Flask) -> None:
    """Give every command group of `app` (and Flask's run/shell/routes) its German help line."""
    builtins = {
        "run": flask.cli.run_command,
        "shell": flask.cli.shell_command,
        "routes": flask.cli.routes_command,
    }
    for name, text in GROUP_HELP.items():
        command = app.cli.commands.get(name) or builtins.get(name) or _plugin_command(name)
        if command is not None:
            _describe(command, text)
    for (group, name), text in SUBCOMMAND_HELP.items():
        parent = app.cli.commands.get(group)
        command = getattr(parent, "commands", {}).get(name) if parent is not None else None
        if command is not None:
            _describe(command, text)


def main() -> None:
    """Run the Flask CLI bound to the app factory."""
    from plattform import create_app

    FlaskGroup(create_app=create_app, help="Kommunalmatch: Befehle für Betrieb und Entwicklung.")()
