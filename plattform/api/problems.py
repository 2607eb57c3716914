"""Errors of the API as ``application/problem+json`` (RFC 9457): type, title, status, detail, instance.

Views raise ``ApiError``; every other failure under /api/ (unknown path, wrong method, body too large,
rate limit, an unexpected exception) is turned into the same shape by the handlers registered here, so
a client never has to parse an HTML error page. Texts are German, like the rest of the platform.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import quote

from flask import Blueprint, Response, request, url_for
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.http import HTTP_STATUS_CODES

from plattform.extensions import db

log = logging.getLogger(__name__)

PROBLEM_MIMETYPE = "application/problem+json"

# status -> (slug of the problem type on the docs page, German title)
PROBLEM_TYPES: dict[int, tuple[str, str]] = {
    400: ("ungueltige-anfrage", "Ungültige Anfrage"),
    401: ("nicht-angemeldet", "Anmeldung erforderlich"),
    403: ("keine-berechtigung", "Keine Berechtigung"),
    404: ("nicht-gefunden", "Nicht gefunden"),
    405: ("methode-nicht-erlaubt", "Methode nicht erlaubt"),
    406: ("nicht-akzeptabel", "Antwortformat nicht verfügbar"),
    409: ("konflikt", "Konflikt mit dem aktuellen Stand"),
    413: ("zu-gross", "Anfrage zu groß"),
    415: ("medientyp", "Medientyp nicht unterstützt"),
    422: ("validierung", "Ungültige Daten"),
    429: ("zu-viele-anfragen", "Zu viele Anfragen"),
    500: ("serverfehler", "Interner Fehler"),
}
DEFAULT_DETAILS: dict[int, str] = {
    400: "Die Anfrage ist fehlerhaft aufgebaut.",
    401: "Bitte senden Sie ein gültiges API-Token im Kopf 'Authorization: Bearer km_…'.",
    403: "Mit diesem Token dürfen Sie das nicht.",
    404: "Diese Ressource gibt es nicht, oder sie ist für Sie nicht sichtbar.",
    405: "Diese Methode ist für diese Adresse nicht erlaubt.",
    413: "Der Inhalt der Anfrage ist größer als erlaubt.",
    415: "Bitte senden Sie den Inhalt als JSON (Content-Type: application/json).",
    429: "Das Limit für dieses Token ist erreicht. Bitte warten Sie kurz.",
    500: "Ein unerwarteter Fehler ist aufgetreten. Er wurde protokolliert.",
}


class ApiError(Exception):
    """An answer other than success, with a German detail and, for validation, the failed fields."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        errors: list[dict] | None = None,
        headers: dict | None = None,
    ):
        super().__init__(detail or DEFAULT_DETAILS.get(status, ""))
        self.status = status
        self.detail = detail or DEFAULT_DETAILS.get(status) or PROBLEM_TYPES.get(status, ("", ""))[1]
        self.errors = errors
        self.headers = headers or {}


def field_error(field: str, message: str) -> dict:
    """One entry of a validation problem's ``errors`` list."""
    return {"field": field, "message": message}


def validation_error(errors: list[dict], detail: str | None = None) -> ApiError:
    """A 422 naming the fields and what is wrong with them."""
    if detail is None:
        detail = "Die Daten sind ungültig: " + "; ".join(f"{e['field']}: {e['message']}" for e in errors[:5])
    return ApiError(422, detail, errors=errors)


def problem_type_uri(status: int) -> str:
    """The problem type: an anchor on the human API page that explains it (dereferenceable)."""
    slug = PROBLEM_TYPES.get(status, ("fehler", ""))[0]
    try:
        return url_for("api.docs", _external=True) + f"#problem-{slug}"
    except RuntimeError:  # pragma: no cover - outside a request
        return f"/api/v1/docs#problem-{slug}"


def problem_response(
    status: int,
    detail: str | None = None,
    *,
    errors: list[dict] | None = None,
    headers: dict | None = None,
) -> Response:
    """Build the problem+json response for a status."""
    if status in PROBLEM_TYPES:
        type_uri, title = problem_type_uri(status), PROBLEM_TYPES[status][1]
    else:  # RFC 9457 4.2.1: no further semantics than the status code itself
        type_uri, title = "about:blank", HTTP_STATUS_CODES.get(status, "Fehler")
    body: dict = {
        "type": type_uri,
        "title": title,
        "status": status,
        "detail": detail or DEFAULT_DETAILS.get(status) or title,
        # A URI reference: a path with e.g. "×" in it is sent percent-encoded, as the client sent it.
        "instance": quote(request.path, safe="/:@!$&'()*+,;=-._~"),
    }
    if errors is not None:
        body["errors"] = errors
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_MIMETYPE)
    response.headers["Cache-Control"] = "no-store"
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="kommunalmatch-api"'
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def from_http_exception(error: HTTPException) -> Response:
    """A Werkzeug/Flask HTTP error (abort, routing, 413, 429 …) as a problem."""
    status = error.code or 500
    headers: dict[str, str] = {}
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(sorted(error.valid_methods))
    if status == 429:
        headers.update(_retry_after())
    detail = DEFAULT_DETAILS.get(status)
    if status not in PROBLEM_TYPES:
        detail = error.description
    return problem_response(
        status if status in PROBLEM_TYPES or status < 600 else 500, detail, headers=headers
    )


def _retry_after() -> dict[str, str]:
    """Seconds until the breached limit's window resets (Flask-Limiter knows the window)."""
    import time

    from plattform.extensions import limiter

    current = limiter.current_limit
    if current is None:
        return {"Retry-After": "60"}
    return {"Retry-After": str(max(1, int(current.reset_at - time.time())))}


def is_api_path(path: str) -> bool:
    """Requests below /api/ get problem+json, never the HTML error pages."""
    return path == "/api" or path.startswith("/api/")


def register_problem_handlers(bp: Blueprint) -> None:
    """Blueprint-level handlers for every status the app's HTML handlers know, plus any exception.

    Flask looks for a handler of the exact status first in the blueprint, then in the app, and only
    then by class; so each status is registered here by its code to win over the HTML pages.
    """

    @bp.errorhandler(ApiError)
    def _api_error(error: ApiError):
        return problem_response(error.status, error.detail, errors=error.errors, headers=error.headers)

    def _http(error: HTTPException):
        return from_http_exception(error)

    for code in (400, 401, 403, 404, 405, 406, 409, 410, 413, 415, 422, 429, 500):
        bp.register_error_handler(code, _http)
    bp.register_error_handler(HTTPException, _http)

    @bp.errorhandler(Exception)
    def _unexpected(error: Exception):
        log.exception("Fehler in der API / API error: %s %s", request.method, request.path)
        db.session.rollback()
        return problem_response(500)


def register_routing_fallback(bp: Blueprint) -> None:
    """Unknown paths and wrong methods below /api/ never reach a blueprint: answer them here.

    Routing errors are raised only when the request is dispatched, after the before-request hooks,
    so a hook can answer them with a problem instead of the HTML 404/405 page.
    """

    @bp.before_app_request
    def _api_routing_problem():
        error = request.routing_exception
        if error is None or not is_api_path(request.path):
            return None
        if isinstance(error, HTTPException) and error.code in (404, 405):
            return from_http_exception(error)
        return None  # e.g. a redirect to the canonical form of a path
