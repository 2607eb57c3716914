"""Search across Kommunen by Land, Kreis, type, topic, size and distance."""

from flask import Blueprint

bp = Blueprint("suche", __name__, url_prefix="/suche")

from plattform.suche import views  # noqa: E402, F401
