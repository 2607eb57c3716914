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


# --- actions that mail other people count per account (issue 16, finding 12) -----------------------


def test_membership_requests_are_limited_per_account(client, demo_region, login, smtp_server):
    """One account sent 12 requests, i.e. 12 mails to the coordination, in seconds."""
    from plattform.accounts.models import KommuneMembership
    from plattform.kommunen.models import Kommune

    gemeinden = db.session.query(Kommune).filter(Kommune.ebene == "gemeinde").order_by(Kommune.ags).limit(12)
    admin = UserFactory(is_admin=True)  # someone to notify
    user = UserFactory()
    db.session.commit()
    assert admin.id
    login(user)
    codes = [
        client.post(f"/konto/kommune-beantragen/{k.ags}", data={"role": "mitglied"}).status_code
        for k in gemeinden
    ]
    assert codes == [302] * 5 + [429] * 7
    assert db.session.query(KommuneMembership).filter_by(user_id=user.id).count() == 5
    assert len(smtp_server.messages) == 5
    # Another account is not affected by the first one's count.
    client.post("/konto/abmelden")
    other = UserFactory()
    db.session.commit()
    login(other)
    assert (
        client.post(f"/konto/kommune-beantragen/{gemeinden[0].ags}", data={"role": "mitglied"}).status_code
        == 302
    )


def test_e_mail_change_links_are_limited_per_account(client, login, smtp_server):
    user = UserFactory()
    db.session.commit()
    login(user)
    codes = [
        client.post("/konto/email", data={"new_email": f"neu{i}@kreuzau.de"}).status_code for i in range(6)
    ]
    assert codes == [302] * 5 + [429]
    assert len(smtp_server.messages) == 5
