"""Download all data about oneself (JSON, extensible by other domains) and delete the account."""

from __future__ import annotations

import json

import sqlalchemy as sa

from plattform.accounts.export import _EXPORTERS, register_personal_data_exporter
from plattform.accounts.models import KommuneMembership, User
from plattform.core.models import AuditEvent
from plattform.extensions import db
from plattform.kontakte.models import ContactRequest
from plattform.profile.models import Profile
from tests.factories import PASSWORD, KommuneFactory, MembershipFactory, UserFactory


def test_export_holds_account_memberships_contact_requests_and_audit_but_no_hash(client, login):
    a, b = KommuneFactory(name="Kreuzau"), KommuneFactory(name="Aldenhoven")
    user = UserFactory(email="cdo@kreuzau.de", funktion="CDO")
    MembershipFactory(user=user, kommune=a)
    db.session.add(
        ContactRequest(from_kommune_id=a.id, to_kommune_id=b.id, from_user_id=user.id, message="Hallo")
    )
    someone_else = UserFactory(email="fremd@x.de")
    db.session.add(
        ContactRequest(
            from_kommune_id=b.id, to_kommune_id=a.id, from_user_id=someone_else.id, message="Fremd"
        )
    )
    db.session.commit()
    login(user)

    response = client.get("/konto/daten.json")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="kommunalmatch-meine-daten-'
    )
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.data)
    assert data["konto"]["email"] == "cdo@kreuzau.de" and data["konto"]["funktion"] == "CDO"
    assert "password_hash" not in data["konto"] and "argon2" not in response.data.decode()
    assert data["mitgliedschaften"] == [
        {**data["mitgliedschaften"][0], "kommune_name": "Kreuzau", "role": "mitglied", "status": "bestaetigt"}
    ]
    assert [r["message"] for r in data["kontaktanfragen"]] == ["Hallo"]
    assert [e["action"] for e in data["protokoll"]] == ["account.exported"]
    assert "fremd@x.de" not in response.data.decode()
    event = db.session.scalar(sa.select(AuditEvent))
    assert event.action == "account.exported" and event.actor_user_id == user.id


def test_other_domains_add_sections_to_the_export(client, login):
    user = UserFactory()
    db.session.commit()
    login(user)
    register_personal_data_exporter("testbereich", lambda u: {"id": u.id, "hallo": "welt"})
    try:
        data = json.loads(client.get("/konto/daten.json").data)
    finally:
        _EXPORTERS.pop("testbereich")
    assert data["testbereich"] == {"id": user.id, "hallo": "welt"}


def test_delete_account_removes_user_and_memberships_and_keeps_kommune_data(client, login):
    a, b = KommuneFactory(), KommuneFactory()
    user = UserFactory()
    decided = UserFactory()
    MembershipFactory(user=user, kommune=a)
    other_membership = MembershipFactory(user=decided, kommune=b)
    db.session.flush()
    other_membership.decided_by_id = user.id
    db.session.add(Profile(kommune_id=a.id, updated_by_id=user.id))
    request = ContactRequest(from_kommune_id=a.id, to_kommune_id=b.id, from_user_id=user.id, message="Hallo")
    db.session.add(request)
    db.session.commit()
    user_id, request_id, email = user.id, request.id, user.email
    login(user)

    wrong = client.post("/konto/loeschen", data={"password": "falsch", "confirm": "y"})
    assert wrong.status_code == 422 and "Das Passwort stimmt nicht." in wrong.text
    unconfirmed = client.post("/konto/loeschen", data={"password": PASSWORD})
    assert unconfirmed.status_code == 422
    assert db.session.get(User, user_id) is not None

    done = client.post("/konto/loeschen", data={"password": PASSWORD, "confirm": "y"})
    assert done.status_code == 302 and done.headers["Location"] == "/"
    db.session.expire_all()
    assert db.session.get(User, user_id) is None
    assert (
        db.session.scalar(
            sa.select(sa.func.count(KommuneMembership.id)).where(KommuneMembership.user_id == user_id)
        )
        == 0
    )
    assert db.session.get(KommuneMembership, other_membership.id).decided_by_id is None
    profile = db.session.scalar(sa.select(Profile).where(Profile.kommune_id == a.id))
    assert profile is not None and profile.updated_by_id is None
    kept = db.session.get(ContactRequest, request_id)
    assert kept.message == "Hallo" and kept.from_user_id is None
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "account.deleted"))
    assert event.target_id == str(user_id)
    # The session is over, and the account cannot log in again.
    assert client.get("/konto/").status_code == 302
    assert client.post("/konto/anmelden", data={"email": email, "password": PASSWORD}).status_code == 422


def test_the_last_administrator_cannot_delete_the_account(client, login):
    admin = UserFactory(is_admin=True)
    db.session.commit()
    login(admin)
    response = client.post("/konto/loeschen", data={"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 422 and "letzte Administrationskonto" in response.text
    db.session.expire_all()
    assert db.session.get(User, admin.id) is not None
