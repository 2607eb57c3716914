"""Core pages: start page, health check, error pages, demo data command."""

from flask import Blueprint

bp = Blueprint("core", __name__, cli_group="demo")

from plattform.core import tasks, views  # noqa: E402, F401
from plattform.core.navigation import nav_items, navigation  # noqa: E402


@bp.app_context_processor
def _template_globals():
    from flask_babel import get_locale

    return {"nav_items": nav_items, "navigation": navigation, "get_locale": get_locale}
