"""Exports and role changes outside the accounts domain (issue 8): they ask for a fresh login, and
they land in the administrators' audit log."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from plattform.core.models import AuditEvent
from plattform.extensions import db
from plattform.netzwerke.services import add_member, create_netzwerk
from tests.factories import KommuneFactory, UserFactory

EXPORTS = [
    "/profil/export.csv",
    "/netzwerke/{n}/export/mitglieder.csv",
    "/netzwerke/{n}/export/themen.csv",
    "/netzwerke/{n}/export/netzwerk.xlsx",
    "/netzwerke/{n}/export/netzwerk.graphml",
]


@pytest.fixture
def world(app, client, login):
    admin = UserFactory(is_admin=True, email="adele@kommunalmatch.example")
    other = UserFactory(email="kora@example.de")
    a = KommuneFactory(ags="05999001", name="Anfangsdorf")
    b = KommuneFactory(ags="05999002", name="Beispielstadt")
    netzwerk = create_netzwerk("Netz", "frei", coordinators=[admin])
    add_member(netzwerk, a)
    add_member(netzwerk, b)
    db.session.commit()
    login(admin)
    return {"n": netzwerk.id, "admin": admin.id, "other": other.id, "a": a.id, "b": b.id}


def _events() -> list[tuple[str, str | None]]:
    db.session.expire_all()
    return [
        (e.action, e.target_id) for e in db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id))
    ]


def _age_the_login(client) -> None:
    with client.session_transaction() as session:
        session["_fresh_at"] -= 16 * 60


@pytest.mark.parametrize("path", EXPORTS)
def test_an_export_asks_for_the_password_again_after_the_fresh_window(client, world, path):
    url = path.format(n=world["n"])
    assert client.get(url).status_code == 200
    _age_the_login(client)
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/konto/erneut-anmelden?next=")


@pytest.mark.parametrize("path", EXPORTS)
def test_every_export_is_logged(client, world, path):
    assert client.get(path.format(n=world["n"])).status_code == 200
    action = "profile.exported" if path.startswith("/profil") else "netzwerk.exported"
    assert action in [a for a, _t in _events()]


def test_naming_a_coordinator_needs_a_fresh_login_and_is_logged(client, world):
    _age_the_login(client)
    url = f"/netzwerke/{world['n']}/koordination"
    response = client.post(url, data={"koordination-email": "kora@example.de"})
    assert response.headers["Location"].startswith("/konto/erneut-anmelden")
    assert ("netzwerk.coordinator_added", str(world["n"])) not in _events()
    client.post("/konto/erneut-anmelden", data={"password": "Sicheres-Passwort-2026"})
    assert client.post(url, data={"koordination-email": "kora@example.de"}).status_code == 303
    assert ("netzwerk.coordinator_added", str(world["n"])) in _events()


def test_removing_a_member_and_importing_profiles_are_logged(client, world):
    assert client.post(f"/netzwerke/{world['n']}/mitglieder/{world['b']}/entfernen").status_code == 303
    upload = (io.BytesIO(b"ags;ziel_1\n05999001;effizienz\n"), "profile.csv")
    response = client.post(
        f"/netzwerke/{world['n']}/import", data={"import-datei": upload}, content_type="multipart/form-data"
    )
    assert response.status_code == 303
    events = _events()
    assert ("netzwerk.member_removed", str(world["n"])) in events
    assert ("profile.imported", str(world["n"])) in events
    log = client.get("/verwaltung/protokoll").text
    assert "Kommune aus Netzwerk entfernt" in log and "Profile importiert" in log
