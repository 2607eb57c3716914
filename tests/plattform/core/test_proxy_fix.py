"""TRUSTED_PROXIES: behind a reverse proxy the app sees the client's address, not the proxy's."""

from __future__ import annotations

import pytest
from flask import request

from plattform.extensions import db
from tests.factories import UserFactory

PROXY = "10.0.0.2"  # the reverse proxy: every request arrives from here


@pytest.fixture(params=[0, 1], ids=["ohne-proxy", "ein-proxy"])
def trusted_proxies(request, monkeypatch) -> int:
    """TRUSTED_PROXIES set in the environment, as in production."""
    monkeypatch.setenv("TRUSTED_PROXIES", str(request.param))
    return request.param


@pytest.fixture
def app_config(app_config, trusted_proxies):
    """The limiter switched on (the suite normally switches it off); TRUSTED_PROXIES from the environment."""
    return {**app_config, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"}


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    """The limiter's memory storage outlives an app; start every test with empty counters."""
    from plattform.extensions import limiter

    limiter.reset()


def _via_proxy(client, method: str, path: str, client_address: str, **kwargs):
    """A request as the proxy forwards it: from the proxy's address, the client in X-Forwarded-For."""
    return client.open(
        path,
        method=method,
        headers={"X-Forwarded-For": client_address, "X-Forwarded-Proto": "https"},
        environ_base={"REMOTE_ADDR": PROXY},
        **kwargs,
    )


def test_remote_addr_is_the_forwarded_client_only_when_proxies_are_trusted(app, client, trusted_proxies):
    app.add_url_rule("/_test/adresse", "test_adresse", lambda: f"{request.remote_addr} {request.scheme}")
    seen = _via_proxy(client, "GET", "/_test/adresse", "203.0.113.7").text
    assert seen == ("203.0.113.7 https" if trusted_proxies else f"{PROXY} http")


def test_a_client_cannot_forge_its_address_past_the_trusted_proxy(app, client, trusted_proxies):
    # The proxy appends the address it saw to what the client sent; only that last entry counts.
    app.add_url_rule("/_test/adresse", "test_adresse", lambda: request.remote_addr)
    seen = _via_proxy(client, "GET", "/_test/adresse", "198.51.100.1, 203.0.113.7").text
    assert seen == ("203.0.113.7" if trusted_proxies else PROXY)


def test_login_limit_counts_per_forwarded_client_behind_a_trusted_proxy(client, trusted_proxies):
    user = UserFactory()
    db.session.commit()
    data = {"email": user.email, "password": "falsch"}
    codes = [
        _via_proxy(client, "POST", "/konto/anmelden", "203.0.113.7", data=data).status_code for _ in range(10)
    ]
    assert codes == [422] * 10
    assert _via_proxy(client, "POST", "/konto/anmelden", "203.0.113.7", data=data).status_code == 429
    other = _via_proxy(client, "POST", "/konto/anmelden", "203.0.113.8", data=data)
    # Trusted: another client behind the same proxy has its own bucket. Untrusted: the header is
    # ignored, every request counts for the proxy's address, so the other client is blocked too.
    assert other.status_code == (422 if trusted_proxies else 429)
