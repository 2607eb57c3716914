"""Profiles of Kommunen: type test, strengths, needs, projects; editor, bulk import and export."""

from flask import Blueprint

bp = Blueprint("profile", __name__, url_prefix="/profil", cli_group="profile")

from plattform.core.audit import register_action  # noqa: E402
from plattform.profile import cli, demo, export, tasks, views  # noqa: E402, F401

register_action("profile.exported", "Profile exportiert")
register_action("profile.imported", "Profile importiert")
