"""Security headers on every response: a strict Content-Security-Policy and the usual companions.

Everything the pages load comes from this host, so the policy allows 'self' only: no inline scripts,
no inline styles, no third-party origins (GDPR: no request leaves the platform).
"""

from __future__ import annotations

from flask import Flask, Response

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def add_security_headers(response: Response, *, https: bool) -> Response:
    """Set CSP and related headers unless a view set its own."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if https:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def register_security_headers(app: Flask) -> None:
    """Attach the headers to every response of the app."""
    https = app.config["BASE_URL"].startswith("https://") or app.config["ENV_NAME"] == "production"

    @app.after_request
    def _security_headers(response: Response) -> Response:
        if _is_private(response):
            # Pages for a logged-in user may hold contact data: no browser or proxy keeps a copy.
            response.headers.setdefault("Cache-Control", "no-store")
        return add_security_headers(response, https=https)


def _is_private(response: Response) -> bool:
    """Whether the response was made for a logged-in session (static files stay cacheable).

    Read from the session, not from `current_user`: after a view has committed, asking the user
    object would reload it from the database just for this header.
    """
    from flask import request, session

    if request.endpoint == "static" or "Cache-Control" in response.headers:
        return False
    return session.get("_user_id") is not None
