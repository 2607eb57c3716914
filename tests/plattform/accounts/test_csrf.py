"""With CSRF protection on (as in production), account POSTs without a token are refused."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from plattform.accounts.models import User
from plattform.extensions import db
from tests.factories import PASSWORD, UserFactory


@pytest.fixture
def app_config(app_config):
    """This module runs with CSRF protection on (the suite normally switches it off)."""
    return {**app_config, "WTF_CSRF_ENABLED": True}


def token_from(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_registration_without_token_is_refused(client):
    response = client.post(
        "/konto/registrieren",
        data={
            "name": "X",
            "email": "x@kreuzau.de",
            "password": "Lange-genug-2026",
            "password_confirm": "Lange-genug-2026",
            "privacy": "y",
        },
    )
    assert response.status_code == 400
    assert "Das Formular ist abgelaufen" in response.text
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_login_with_token_works_and_without_is_refused(client):
    user = UserFactory()
    db.session.commit()
    refused = client.post("/konto/anmelden", data={"email": user.email, "password": PASSWORD})
    assert refused.status_code == 400
    token = token_from(client.get("/konto/anmelden").text)
    ok = client.post("/konto/anmelden", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert ok.status_code == 302


@pytest.mark.parametrize(
    "path",
    [
        "/konto/loeschen",
        "/konto/passwort",
        "/konto/email",
        "/konto/sprache",
        "/freigaben/1",
        "/verwaltung/1/admin",
        "/konto/kommune-beantragen/05358028",
        "/konto/abmelden",
    ],
)
def test_logged_in_posts_without_token_are_refused(client, path):
    user = UserFactory(is_admin=True)
    db.session.commit()
    token = token_from(client.get("/konto/anmelden").text)
    client.post("/konto/anmelden", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    response = client.post(
        path,
        data={
            "password": PASSWORD,
            "confirm": "y",
            "aktion": "erteilen",
            "entscheidung": "bestaetigen",
            "locale": "en",
        },
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, user.id) is not None
