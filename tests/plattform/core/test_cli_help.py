"""`flask --help` reads German: every command group has a one-line German help, and the domains'
subcommands describe themselves in German."""

from __future__ import annotations

import re

import pytest

from plattform.cli import GROUP_HELP

# The domains' groups (blueprint cli_group) and the extensions' groups shown in `flask --help`.
GROUPS = ("accounts", "db", "demo", "digest", "kommunen", "matching", "profile", "projekte")
# German: an umlaut or a German infinitive ("anlegen", "versenden"); no English function word.
GERMAN = re.compile(r"[äöüß]|\w{3,}en\b")
ENGLISH = re.compile(r"\b(the|and|of|to|from|all|this|with|now|show|perform|run|create)\b", re.I)


def german(text: str) -> bool:
    return bool(GERMAN.search(text)) and not ENGLISH.search(text)


def _listed(output: str) -> dict[str, str]:
    commands = output.split("Commands:", 1)[1]
    return dict(re.findall(r"^  ([a-z-]+)\s+(.+)$", commands, re.M))


def test_flask_help_lists_each_group_with_a_german_line(app):
    result = app.test_cli_runner().invoke(args=["--help"])
    assert result.exit_code == 0, result.output
    listed = _listed(result.output)
    for group in GROUPS:
        assert group in listed, group
        assert listed[group] == GROUP_HELP[group], (group, listed[group])
        assert german(listed[group]), listed[group]


@pytest.mark.parametrize(
    "group", ["accounts", "demo", "digest", "kommunen", "matching", "profile", "projekte"]
)
def test_each_subcommand_of_a_domain_has_german_help(app, group):
    result = app.test_cli_runner().invoke(args=[group, "--help"])
    assert result.exit_code == 0, result.output
    assert GROUP_HELP[group] in result.output
    listed = _listed(result.output)
    assert listed
    for name, line in listed.items():
        assert german(line), (group, name, line)
        command = app.cli.commands[group].commands[name]
        assert german(command.help), (group, name, command.help)
