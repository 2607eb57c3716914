"""Contact requests between Kommunen and the partnerships they lead to."""

from flask import Blueprint

bp = Blueprint("kontakte", __name__, url_prefix="/kontakte", cli_group="kontakte")

from plattform.kontakte import digest, export, tasks, views  # noqa: E402, F401
