"""Accounts, roles and who may speak for which Kommune."""

from flask import Blueprint, render_template, session
from flask_babel import lazy_gettext
from flask_login import current_user, user_loaded_from_cookie
from flask_wtf.csrf import CSRFError

bp = Blueprint("accounts", __name__, url_prefix="/konto", cli_group="accounts")

from plattform.accounts import cli, demo, konto, oidc_models, oidc_views, verwaltung, views  # noqa: E402, F401
from plattform.core.navigation import register_nav  # noqa: E402


@bp.record_once
def _setup(state) -> None:
    """Register the approval and administration pages and the re-authentication page."""
    from plattform.extensions import login_manager

    state.app.register_blueprint(verwaltung.bp)
    login_manager.refresh_view = "accounts.reauth"
    login_manager.needs_refresh_message = lazy_gettext("Bitte bestätigen Sie zur Sicherheit Ihr Passwort.")
    login_manager.needs_refresh_message_category = "info"


@bp.app_errorhandler(429)
def too_many_requests(error):
    """A German page when a rate limit (login, registration, reset) is hit."""
    return render_template("accounts/zu_viele_anfragen.html"), 429


@user_loaded_from_cookie.connect
def _bind_restored_session(app, user=None, **_extra) -> None:
    """Bind a session restored from the remember cookie to this browser, as a login would.

    Flask-Login restores the user but stores no session identifier, so with session protection
    "strong" the next request wipes the session and the remember cookie (flask-login issues #248,
    #685): remember-me would last one request. Stamping the identifier keeps both: the restored
    session stays bound to this address and browser, and is not fresh.
    """
    session["_id"] = app.login_manager._session_identifier_generator()


@bp.app_errorhandler(CSRFError)
def csrf_failed(error):
    """A German page when a form's security token is missing or stale (e.g. after a browser restart)."""
    return render_template("accounts/formular_abgelaufen.html"), 400


def _can_approve() -> bool:
    from plattform.accounts.permissions import can_approve_anything

    return can_approve_anything(current_user)


register_nav("accounts.konto", "Mein Konto", 80, visible=lambda: current_user.is_authenticated)
register_nav("verwaltung.freigaben", "Freigaben", 85, visible=_can_approve)
register_nav(
    "verwaltung.benutzer",
    "Administration",
    90,
    visible=lambda: current_user.is_authenticated and current_user.is_admin,
)


@bp.app_context_processor
def _account_template_helpers() -> dict:
    """Labels for membership status and role, and the password rule, for every template."""
    from plattform.accounts.labels import role_label, status_label
    from plattform.accounts.services import MIN_PASSWORD_LENGTH

    return {
        "membership_status_label": status_label,
        "membership_role_label": role_label,
        "min_password_length": MIN_PASSWORD_LENGTH,
    }
