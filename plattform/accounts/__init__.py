"""Accounts, roles and who may speak for which Kommune."""

from flask import Blueprint

bp = Blueprint("accounts", __name__, url_prefix="/konto", cli_group="accounts")

from plattform.accounts import cli, views  # noqa: E402, F401
