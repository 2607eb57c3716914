"""Shared projects of several Kommunen and the proposals that suggest them ("one does it, many reuse it")."""

from celery.schedules import crontab
from flask import Blueprint
from flask_login import current_user

from plattform.core.navigation import register_nav

bp = Blueprint("projekte", __name__, url_prefix="/projekte", cli_group="projekte")


def beat_schedule(app) -> dict:
    """Recompute the stored proposals every night, after the suggestions."""
    return {
        "projekte-recompute-proposals": {
            "task": "projekte.recompute_proposals",
            "schedule": crontab(hour=3, minute=30),
        }
    }


register_nav("projekte.liste", "Gemeinsame Projekte", 40)
register_nav("projekte.vorschlaege", "Projektvorschläge", 41, visible=lambda: current_user.is_authenticated)


def _reads_duplication() -> bool:
    from plattform.projekte.reports import areas_for

    return current_user.is_authenticated and (current_user.is_admin or bool(areas_for(current_user)))


register_nav("projekte.doppelarbeit", "Doppelarbeit", 42, visible=_reads_duplication)

from plattform.projekte import cli, digest, sections, tasks, views  # noqa: E402, F401

tasks.connect_profile_updates()
