"""Partner suggestions: recompute runs (full and per Kommune), their storage, feedback, CLI and jobs."""

from celery.schedules import crontab
from flask import Blueprint

bp = Blueprint("vorschlaege", __name__, url_prefix="/vorschlaege", cli_group="matching")

from plattform.vorschlaege import cli, digest, sections, tasks  # noqa: E402, F401

tasks.connect_profile_updates()


def beat_schedule(app) -> dict:
    """Nightly full recompute at MATCHING_NIGHTLY_AT (HH:MM in Celery's Europe/Berlin), default 02:30."""
    at = app.config.get("MATCHING_NIGHTLY_AT") or "02:30"
    hour, minute = (int(x) for x in at.split(":"))
    return {
        "vorschlaege-nightly-recompute": {
            "task": "vorschlaege.recompute_all",
            "schedule": crontab(hour=hour, minute=minute),
        }
    }


from plattform.vorschlaege import karte, views  # noqa: E402, F401
