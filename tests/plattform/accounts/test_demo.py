"""`flask demo seed` creates the demo accounts, marked as such, and running it twice is harmless."""

from __future__ import annotations

import sqlalchemy as sa

from plattform.accounts.models import User
from plattform.accounts.permissions import can_act_for, can_approve_membership
from plattform.accounts.services import authenticate
from plattform.extensions import db
from plattform.kommunen.services import get_by_ags


def test_demo_seed_creates_marked_demo_accounts(runner, app):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "DEMO-KONTEN" in result.output and "Demo-Passwort-2026" in result.output
    for email in (
        "admin@kommunalmatch.demo",
        "kreuzau@kommunalmatch.demo",
        "aldenhoven@kommunalmatch.demo",
        "kreis-dueren@kommunalmatch.demo",
    ):
        assert email in result.output
        assert authenticate(email, "Demo-Passwort-2026") is not None
    db.session.rollback()
    kreuzau, aldenhoven = get_by_ags("05358028"), get_by_ags("05358004")
    officer = db.session.scalar(sa.select(User).where(User.email == "kreuzau@kommunalmatch.demo"))
    assert can_act_for(officer, kreuzau.id) and not can_act_for(officer, aldenhoven.id)
    coordinator = db.session.scalar(sa.select(User).where(User.email == "kreis-dueren@kommunalmatch.demo"))
    assert can_approve_membership(coordinator, kreuzau.id)
    admin = db.session.scalar(sa.select(User).where(User.email == "admin@kommunalmatch.demo"))
    assert admin.is_admin

    again = runner.invoke(args=["demo", "seed"])
    assert again.exit_code == 0, again.output
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 4


def test_no_demo_accounts_in_production(runner, app):
    app.config["ENV_NAME"] = "production"
    result = runner.invoke(args=["demo", "seed"])
    assert "nicht angelegt" in result.output
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0
