"""Rate limits on login, registration, reset and the confirmation resend (Flask-Limiter, per address)."""

from __future__ import annotations

import pytest

from plattform.extensions import db
from tests.factories import UserFactory


@pytest.fixture
def app_config(app_config):
    """This module runs with the limiter switched on (the suite normally switches it off)."""
    return {**app_config, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"}


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    """The limiter's memory storage outlives an app; start every test with empty counters."""
    from plattform.extensions import limiter

    limiter.reset()


def test_login_is_limited_to_ten_attempts_a_minute(client):
    user = UserFactory()
    db.session.commit()
    codes = [
        client.post("/konto/anmelden", data={"email": user.email, "password": "falsch"}).status_code
        for _ in range(10)
    ]
    assert codes == [422] * 10
    blocked = client.post("/konto/anmelden", data={"email": user.email, "password": "falsch"})
    assert blocked.status_code == 429
    assert "Zu viele Versuche" in blocked.text
    # Reading the login page is not limited.
    assert client.get("/konto/anmelden").status_code == 200
    # Another address (another client) is not affected.
    other = client.post(
        "/konto/anmelden",
        data={"email": user.email, "password": "falsch"},
        environ_base={"REMOTE_ADDR": "10.9.9.9"},
    )
    assert other.status_code == 422


def test_reset_request_is_limited(client):
    codes = [
        client.post("/konto/passwort-vergessen", data={"email": f"x{i}@y.de"}).status_code for i in range(6)
    ]
    assert codes == [302] * 5 + [429]


def test_resend_confirmation_is_limited(client):
    codes = [
        client.post("/konto/bestaetigung-senden", data={"email": "x@y.de"}).status_code for _ in range(6)
    ]
    assert codes == [302] * 5 + [429]


def test_registration_is_limited(client):
    codes = [
        client.post(
            "/konto/registrieren", data={"name": "X", "email": f"r{i}@y.de", "password": "kurz"}
        ).status_code
        for i in range(11)
    ]
    assert codes == [422] * 10 + [429]
