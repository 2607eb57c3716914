"""Evaluation for coordinators and administrators: the funnel from suggestion to shared project."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from plattform.core.navigation import register_nav

bp = Blueprint("auswertung", __name__, url_prefix="/auswertung")


def _may_evaluate() -> bool:
    from plattform.auswertung.access import evaluable_groups

    return current_user.is_authenticated and bool(evaluable_groups(current_user))


register_nav("auswertung.index", "Auswertung", 75, visible=_may_evaluate)

from plattform.auswertung import views  # noqa: E402, F401
