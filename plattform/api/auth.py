"""Who calls the API: a personal token in ``Authorization: Bearer km_…`` — never the session cookie.

Because a browser's cookies never authenticate an API request, a forged cross-site request carries no
credentials; the blueprint is therefore exempt from the form CSRF check, and every changing method
requires a token (so the exemption only ever applies to token-authenticated requests).
"""

from __future__ import annotations

from functools import wraps

from flask import current_app, request

from plattform.accounts.models import User
from plattform.api.models import ApiToken
from plattform.api.problems import ApiError
from plattform.api.services import find_token

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"]
_UNRESOLVED = object()
_ENVIRON_KEY = "kommunalmatch.api_auth"


def _resolve() -> tuple[ApiToken | None, ApiError | None]:
    """Read the Authorization header once per request: (token, None), (None, None) or (None, error)."""
    # Kept on the request itself (not in g): one answer per request, even where app contexts are shared.
    cached = request.environ.get(_ENVIRON_KEY, _UNRESOLVED)
    if cached is not _UNRESOLVED:
        return cached
    header = request.headers.get("Authorization")
    result: tuple[ApiToken | None, ApiError | None] = (None, None)
    if header is not None:
        scheme, _, value = header.strip().partition(" ")
        value = value.strip()
        if scheme.lower() != "bearer" or not value:
            result = (None, ApiError(401, "Der Kopf Authorization muss 'Bearer km_…' lauten."))
        else:
            token = find_token(value)
            if token is None:
                result = (None, ApiError(401, "Das Token ist unbekannt, abgelaufen oder widerrufen."))
            else:
                result = (token, None)
    request.environ[_ENVIRON_KEY] = result
    return result


def authenticate_request() -> ApiToken | None:
    """The token of this request; a malformed or unusable token is a 401 even where none is needed."""
    token, error = _resolve()
    if error is not None:
        raise error
    return token


def current_token() -> ApiToken | None:
    """The authenticated token of this request, if any (after ``authenticate_request``)."""
    token, _error = _resolve()
    return token


def api_user() -> User | None:
    """The user whose token made this request, or None for an anonymous request."""
    token = current_token()
    return token.user if token is not None else None


def require_token(scope: str = "lesen"):
    """Decorator: a usable token (401), with the scope ``schreiben`` for changing operations (403)."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            token = authenticate_request()
            if token is None:
                raise ApiError(401)
            if scope == "schreiben" and not token.may_write:
                raise ApiError(
                    403,
                    "Dieses Token hat nur den Umfang „lesen“. Für Änderungen brauchen Sie ein Token "
                    "mit dem Umfang „schreiben“.",
                )
            return view(*args, **kwargs)

        wrapped.api_scope = scope
        return wrapped

    return decorate


# --- rate limits (Flask-Limiter): per token, anonymous callers per address ----------------------


def rate_limit_key() -> str:
    """The bucket of a request: its token id, else the caller's address (never raises)."""
    token, _error = _resolve()
    if token is not None:
        return f"api-token:{token.id}"
    return f"api-ip:{request.remote_addr or 'unbekannt'}"


def read_limit() -> str:
    """Reading: API_RATE_LIMIT_READ per token, API_RATE_LIMIT_ANONYMOUS per address without one."""
    if current_token() is not None:
        return current_app.config["API_RATE_LIMIT_READ"]
    return current_app.config["API_RATE_LIMIT_ANONYMOUS"]


def write_limit() -> str:
    """Changing: API_RATE_LIMIT_WRITE per token."""
    return current_app.config["API_RATE_LIMIT_WRITE"]


def setup_rate_limits(bp) -> None:
    """Two shared buckets for the whole API: reads and writes, each keyed by token."""
    from plattform.extensions import limiter

    limiter.shared_limit(
        read_limit, scope="api-lesen", key_func=rate_limit_key, methods=sorted(SAFE_METHODS)
    )(bp)
    limiter.shared_limit(write_limit, scope="api-schreiben", key_func=rate_limit_key, methods=WRITE_METHODS)(
        bp
    )
