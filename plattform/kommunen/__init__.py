"""The official directory of Kommunen: import, search, a page per Kommune."""

from flask import Blueprint

bp = Blueprint("kommunen", __name__, url_prefix="/kommunen", cli_group="kommunen")

from plattform.kommunen import cli, views  # noqa: E402, F401
