"""`accounts create-admin`, the first command an operator runs, and the password rules it shares."""

from __future__ import annotations

import pytest

from plattform.accounts.models import User
from plattform.accounts.passwords import verify_password
from plattform.accounts.services import AccountError, check_password_rules
from plattform.extensions import db


def test_create_admin_makes_a_confirmed_administrator_who_can_log_in(runner, client):
    result = runner.invoke(
        args=[
            "accounts",
            "create-admin",
            "Chefin@Kreis.de",
            "--name",
            "Ada Admin",
            "--password",
            "Kreis-Verwaltung-2026",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Administrator Chefin@Kreis.de angelegt." in result.output
    user = db.session.query(User).one()
    assert (user.email, user.name, user.is_admin, user.email_confirmed) == (
        "chefin@kreis.de",
        "Ada Admin",
        True,
        True,
    )
    assert verify_password(user.password_hash, "Kreis-Verwaltung-2026")
    response = client.post(
        "/konto/anmelden", data={"email": "chefin@kreis.de", "password": "Kreis-Verwaltung-2026"}
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("password", "message"),
    [("kurz", "mindestens 12 Zeichen"), ("aaaaaaaaaaaa", "zu leicht zu erraten")],
)
def test_create_admin_refuses_a_weak_password_and_creates_nothing(runner, app, password, message):
    result = runner.invoke(args=["accounts", "create-admin", "a@kreis.de", "--password", password])
    assert result.exit_code != 0
    assert message in result.output
    assert db.session.query(User).count() == 0


def test_create_admin_refuses_a_taken_address(runner, app):
    args = ["accounts", "create-admin", "a@kreis.de", "--password", "Kreis-Verwaltung-2026"]
    assert runner.invoke(args=args).exit_code == 0
    again = runner.invoke(args=args)
    assert again.exit_code != 0 and "bereits ein Konto" in again.output


@pytest.mark.parametrize(
    "password",
    ["aaaaaaaaaaaa", "passwort1234", "123456789012", "password1234"],
)
def test_common_breached_and_patterned_passwords_are_refused_in_german(app, password):
    """Issue 16: `aaaaaaaaaaaa` was accepted as a password."""
    with pytest.raises(AccountError, match="zu leicht zu erraten"):
        check_password_rules(password, "anna@kreuzau.de")


@pytest.mark.parametrize(
    "password", ["Sicheres-Passwort-2026", "Demo-Passwort-2026", "Hundesteuer&Glasfaser!"]
)
def test_good_passwords_pass(app, password):
    check_password_rules(password, "anna@kreuzau.de")


def test_registration_refuses_a_common_password_next_to_the_field(client, smtp_server):
    form = {
        "name": "Anna",
        "email": "anna@kreuzau.de",
        "password": "passwort1234",
        "password_confirm": "passwort1234",
        "privacy": "y",
    }
    response = client.post("/konto/registrieren", data=form)
    assert response.status_code == 422
    assert "zu leicht zu erraten" in response.text
    assert smtp_server.messages == []
