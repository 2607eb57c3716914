"""The weekly digest e-mail: consent, content sections, exactly-once sending, unsubscribe."""

from __future__ import annotations

from celery.schedules import crontab
from flask import Blueprint, Flask
from flask_login import current_user

bp = Blueprint("digest", __name__, url_prefix="/digest", cli_group="digest")

WEEKLY_ENTRY = "digest-woechentlich"
WEEKLY_TASK = "digest.send_weekly"


def digest_crontab(app: Flask) -> crontab:
    """When the digest goes out: DIGEST_CRONTAB ("m h dom mon dow") or DIGEST_WEEKDAY/HOUR/MINUTE.

    Default Monday 07:00; the Celery timezone (Europe/Berlin) applies.
    """
    spec = app.config["DIGEST_CRONTAB"].strip()
    if spec:
        fields = spec.split()
        if len(fields) != 5:
            raise ValueError(
                f"DIGEST_CRONTAB braucht fünf Felder (Minute Stunde Tag Monat Wochentag): {spec!r}"
            )
        minute, hour, day_of_month, month_of_year, day_of_week = fields
        return crontab(
            minute=minute,
            hour=hour,
            day_of_month=day_of_month,
            month_of_year=month_of_year,
            day_of_week=day_of_week,
        )
    return crontab(
        minute=app.config["DIGEST_MINUTE"],
        hour=app.config["DIGEST_HOUR"],
        day_of_week=app.config["DIGEST_WEEKDAY"],
    )


def beat_schedule(app: Flask) -> dict:
    """The weekly beat entry; it enqueues one task per recipient."""
    return {
        WEEKLY_ENTRY: {
            "task": WEEKLY_TASK,
            "schedule": digest_crontab(app),
            # A beat that was down for most of a day should not send Monday's digest on Tuesday night.
            "options": {"expires": 12 * 3600},
        }
    }


from plattform.core.navigation import register_nav  # noqa: E402
from plattform.digest import cli, demo, export, tasks, views  # noqa: E402, F401

register_nav("digest.einstellungen", "Wochen-E-Mail", 80, visible=lambda: current_user.is_authenticated)
