"""Accounts core: Argon2 passwords, login without hints, sessions, and the permission API."""

from __future__ import annotations

import sqlalchemy as sa

from plattform.accounts.passwords import hash_password, verify_password
from plattform.accounts.permissions import (
    acting_kommune_ids,
    can_act_for,
    can_approve_membership,
    coordinated_kommune_ids,
    register_coordination_provider,
)
from plattform.accounts.services import decide_membership, request_membership
from plattform.extensions import db
from plattform.kommunen.models import Kommune
from tests.factories import PASSWORD, KommuneFactory, MembershipFactory, UserFactory


def test_passwords_are_argon2_and_verified():
    hashed = hash_password("geheim-genug-123")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "geheim-genug-123")
    assert not verify_password(hashed, "falsch")
    assert not verify_password(None, "egal")


def test_login_succeeds_and_failure_gives_no_hint_whether_the_address_exists(client, app):
    user = UserFactory()
    db.session.commit()
    wrong_password = client.post("/konto/anmelden", data={"email": user.email, "password": "falsch"})
    unknown = client.post("/konto/anmelden", data={"email": "niemand@nirgends.de", "password": "falsch"})
    assert wrong_password.status_code == unknown.status_code == 422
    assert "E-Mail-Adresse oder Passwort ist falsch." in wrong_password.text
    assert "E-Mail-Adresse oder Passwort ist falsch." in unknown.text
    ok = client.post(
        "/konto/anmelden?next=/kommunen/", data={"email": user.email.upper(), "password": PASSWORD}
    )
    assert ok.status_code == 302 and ok.headers["Location"] == "/kommunen/"
    assert user.name in client.get("/").text


def test_login_never_redirects_to_another_host(client, app):
    user = UserFactory()
    db.session.commit()
    response = client.post(
        "/konto/anmelden?next=//evil.example/", data={"email": user.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/uebersicht/"


def test_password_change_ends_other_sessions(client, app, login):
    user = UserFactory()
    db.session.commit()
    login(user)
    assert user.name in client.get("/").text
    from plattform.accounts.services import set_password

    set_password(user, "Ganz-neues-Passwort-2026")
    db.session.commit()
    assert user.name not in client.get("/").text


def test_logout_is_a_post(client, app, login):
    user = UserFactory()
    db.session.commit()
    login(user)
    assert client.get("/konto/abmelden").status_code == 405
    assert client.post("/konto/abmelden").status_code == 302
    assert user.name not in client.get("/").text


def test_only_approved_memberships_let_a_user_act(app):
    a, b = KommuneFactory(), KommuneFactory()
    user = UserFactory()
    MembershipFactory(user=user, kommune=a, status="bestaetigt")
    MembershipFactory(user=user, kommune=b, status="beantragt")
    assert acting_kommune_ids(user) == {a.id}
    assert can_act_for(user, a.id) and not can_act_for(user, b.id)


def test_kreis_coordinator_approves_gemeinden_of_the_kreis_only(app):
    kreis = KommuneFactory(ags="05358", ebene="kreis", kind="kreis")
    inside = KommuneFactory(kreis_id=kreis.id)
    outside = KommuneFactory()
    coordinator = UserFactory()
    MembershipFactory(user=coordinator, kommune=kreis, role="koordination")
    db.session.flush()
    assert coordinated_kommune_ids(coordinator) == {kreis.id, inside.id}
    assert can_approve_membership(coordinator, inside.id)
    assert not can_approve_membership(coordinator, outside.id)
    admin = UserFactory(is_admin=True)
    assert can_approve_membership(admin, outside.id)


def test_coordination_providers_extend_coordinated_kommunen(app, monkeypatch):
    from plattform.accounts import permissions

    # Registered on a copy: a provider left behind would leak into later tests (ids are reused).
    monkeypatch.setattr(permissions, "_COORDINATION_PROVIDERS", list(permissions._COORDINATION_PROVIDERS))
    kommune = KommuneFactory()
    user = UserFactory()

    def provider(user_id):  # a bound parameter: compared in SQL
        return sa.select(Kommune.id).where(Kommune.id == kommune.id, sa.literal(user.id) == user_id)

    register_coordination_provider(provider)
    assert kommune.id in coordinated_kommune_ids(user)
    assert kommune.id not in coordinated_kommune_ids(UserFactory())


def test_membership_request_then_decision(app):
    kommune = KommuneFactory()
    user, admin = UserFactory(), UserFactory(is_admin=True)
    membership = request_membership(user, kommune.id, message="Ich bin die CDO.")
    assert membership.status == "beantragt" and not can_act_for(user, kommune.id)
    decide_membership(membership, admin, approve=True)
    assert can_act_for(user, kommune.id)
