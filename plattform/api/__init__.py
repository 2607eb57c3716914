"""The JSON API (/api/v1) with its OpenAPI description, and the personal API tokens that open it.

The API blueprint answers every error as application/problem+json; the token pages live under the
account (/konto/api-tokens) in a second blueprint registered alongside.
"""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1", cli_group=None)

from plattform.api import konto, views  # noqa: E402, F401
from plattform.api.auth import setup_rate_limits  # noqa: E402
from plattform.api.problems import register_problem_handlers, register_routing_fallback  # noqa: E402

register_problem_handlers(bp)
register_routing_fallback(bp)
setup_rate_limits(bp)


@bp.record_once
def _setup(state) -> None:
    """Token pages, CSRF exemption (cookies never authenticate the API), audit labels, data export."""
    from plattform.accounts.export import register_personal_data_exporter
    from plattform.api.services import export_tokens
    from plattform.core.audit import register_action
    from plattform.extensions import csrf

    state.app.register_blueprint(konto.bp)
    csrf.exempt(bp)
    register_action("api_token.created", "API-Token erstellt")
    register_action("api_token.revoked", "API-Token widerrufen")
    register_personal_data_exporter("api_tokens", export_tokens)
