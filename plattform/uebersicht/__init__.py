"""The personal start page ("Übersicht"): where a signed-in person lands, with the next steps per role."""

from flask import Blueprint

bp = Blueprint("uebersicht", __name__, url_prefix="/uebersicht")

from plattform.uebersicht import views  # noqa: E402, F401
