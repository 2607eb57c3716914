"""Partner suggestions: recompute runs (full and per Kommune), their storage, feedback, CLI and jobs."""

from flask import Blueprint

bp = Blueprint("vorschlaege", __name__, url_prefix="/vorschlaege", cli_group="matching")
