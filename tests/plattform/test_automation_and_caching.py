"""Protection against automated use beyond the login (contact requests are rate-limited) and
Cache-Control on pages made for a logged-in user (BSI APP.3.1.A7 and A21)."""

from __future__ import annotations

import pytest

from plattform.extensions import db
from tests.factories import KommuneFactory, MembershipFactory, UserFactory


@pytest.fixture
def app_config(app_config):
    """This module runs with the limiter switched on (the suite normally switches it off)."""
    return {**app_config, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"}


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    from plattform.extensions import limiter

    limiter.reset()


@pytest.fixture
def member(app, login):
    a = KommuneFactory(ags="05999001", name="Anfangsdorf")
    KommuneFactory(ags="05999002", name="Beispielstadt")
    user = UserFactory()
    MembershipFactory(user=user, kommune=a)
    db.session.commit()
    login(user)
    return a


def test_sending_contact_requests_is_limited_per_address(client, member):
    url = "/kontakte/anfrage/neu/05999002"
    codes = {client.post(url, data={"absender": member.id, "nachricht": ""}).status_code for _ in range(20)}
    assert 429 not in codes
    blocked = client.post(url, data={"absender": member.id, "nachricht": ""})
    assert blocked.status_code == 429
    assert "Zu viele" in blocked.text
    assert client.get(url).status_code == 200  # reading the form is not limited


def test_pages_for_a_logged_in_user_are_not_stored(client, member):
    assert client.get("/kontakte/").headers["Cache-Control"] == "no-store"
    assert client.get("/kommunen/05999002").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/static/css/app.css").headers.get("Cache-Control", "")


def test_public_pages_for_anonymous_visitors_may_be_cached(client, app):
    KommuneFactory(ags="05999002", name="Beispielstadt")
    db.session.commit()
    assert "Cache-Control" not in client.get("/kommunen/05999002").headers
