"""The weekly beat entry (default and configured), ISO weeks, and `flask digest send`."""

from __future__ import annotations

from datetime import datetime

import pytest
import sqlalchemy as sa

from plattform.digest import WEEKLY_ENTRY, WEEKLY_TASK
from plattform.digest.models import DigestDelivery
from plattform.digest.services import iso_week_of, parse_iso_week
from plattform.extensions import db
from tests.plattform.digest.conftest import contact_request, officer


def test_beat_schedule_holds_the_weekly_entry_monday_seven_berlin(app):
    entry = app.config["CELERY"]["beat_schedule"][WEEKLY_ENTRY]
    celery_app = app.extensions["celery"]
    assert celery_app.conf.beat_schedule[WEEKLY_ENTRY]["task"] == WEEKLY_TASK == entry["task"]
    assert WEEKLY_TASK in celery_app.tasks
    schedule = entry["schedule"]
    assert (schedule.day_of_week, schedule.hour, schedule.minute) == ({1}, {7}, {0})
    assert celery_app.conf.timezone == "Europe/Berlin"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DIGEST_WEEKDAY": "fri", "DIGEST_HOUR": "16"}, ({5}, {16}, {0})),
        ({"DIGEST_CRONTAB": "30 6 * * 2"}, ({2}, {6}, {30})),
    ],
)
def test_the_schedule_is_configurable_by_environment(app_config, monkeypatch, env, expected):
    from plattform import create_app

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    schedule = create_app(app_config).config["CELERY"]["beat_schedule"][WEEKLY_ENTRY]["schedule"]
    assert (schedule.day_of_week, schedule.hour, schedule.minute) == expected


def test_a_malformed_crontab_is_refused(app_config, monkeypatch):
    from plattform import create_app

    monkeypatch.setenv("DIGEST_CRONTAB", "jeden Montag")
    with pytest.raises(ValueError, match="fünf Felder"):
        create_app(app_config)


def test_iso_weeks_are_counted_in_berlin_time():
    from zoneinfo import ZoneInfo

    # Sunday 23:30 UTC is already Monday in Berlin: the next ISO week.
    assert iso_week_of(datetime(2026, 11, 22, 23, 30, tzinfo=ZoneInfo("UTC"))) == "2026-W48"
    assert iso_week_of(datetime(2026, 11, 22, 21, 0, tzinfo=ZoneInfo("UTC"))) == "2026-W47"
    assert parse_iso_week("2026-W53") == "2026-W53"
    with pytest.raises(ValueError):
        parse_iso_week("2025-W53")
    with pytest.raises(ValueError):
        parse_iso_week("2026-48")


def test_dry_run_shows_who_would_get_what_and_sends_and_records_nothing(
    app, runner, smtp_server, kreuzau, noervenich
):
    user = officer(kreuzau)
    quiet = officer(noervenich, name="Ohne Neuigkeiten")
    contact_request(noervenich, kreuzau)
    db.session.commit()

    result = runner.invoke(args=["digest", "send", "--dry-run", "--week", "2026-W48"])

    assert result.exit_code == 0, result.output
    assert f"- {user.email}: würde gesendet – „Kommunalmatch: 1 neue Kontaktanfrage für Kreuzau (KW 48)“" in (
        result.output
    )
    assert "Nörvenich möchte mit Kreuzau" in result.output
    assert f"- {quiet.email}: nichts Neues" in result.output
    assert smtp_server.messages == []
    assert db.session.scalar(sa.select(sa.func.count(DigestDelivery.id))) == 0


def test_cli_send_twice_sends_once_and_rejects_a_bad_week(app, runner, smtp_server, kreuzau, noervenich):
    user = officer(kreuzau)
    contact_request(noervenich, kreuzau)
    db.session.commit()

    first = runner.invoke(args=["digest", "send", "--week", "2026-W48"])
    second = runner.invoke(args=["digest", "send", "--week", "2026-W48"])

    assert first.exit_code == 0 and f"- {user.email}: gesendet" in first.output
    assert f"- {user.email}: bereits-erledigt" in second.output
    assert len(smtp_server.messages) == 1
    dry = runner.invoke(args=["digest", "send", "--dry-run", "--week", "2026-W48"])
    assert "bereits erledigt (sent)" in dry.output
    bad = runner.invoke(args=["digest", "send", "--week", "2026-W99"])
    assert bad.exit_code == 2 and "2026-W99" in bad.output
