"""Security headers: every page carries a strict CSP that allows only this host."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/", "/kommunen/", "/health", "/nicht-da"])
def test_every_response_has_strict_security_headers(client, path):
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "http" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_hsts_only_over_https(app_config):
    from plattform import create_app

    plain = create_app({**app_config, "BASE_URL": "http://localhost"}).test_client().get("/health")
    secure = (
        create_app({**app_config, "BASE_URL": "https://kommunalmatch.example"}).test_client().get("/health")
    )
    assert "Strict-Transport-Security" not in plain.headers
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
