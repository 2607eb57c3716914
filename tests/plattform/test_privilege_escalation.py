"""Holes found while building the authorisation matrix, each with the test that failed before its fix."""

from __future__ import annotations

import sqlalchemy as sa

from plattform.accounts.models import KommuneMembership
from plattform.extensions import db
from plattform.netzwerke.models import Netzwerk, NetzwerkKoordination
from tests.factories import PASSWORD, KommuneFactory, MembershipFactory, UserFactory


def _client_of(app, user):
    client = app.test_client()
    response = client.post("/konto/anmelden", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_a_kreis_coordinator_cannot_hand_coordination_to_another_account(app):
    """Only administrators hand out coordination: it carries the right to approve memberships.

    Before the fix a Kreis coordinator could create the Kreis network with any account as a further
    coordinator (say a second account of their own, or an outsider), and that account then approved
    requests to speak for the Kreis's Gemeinden and edited their profiles.
    """
    kreis = KommuneFactory(ags="05999", ebene="kreis", kind="kreis", name="Kreis Muster", population=None)
    gemeinde = KommuneFactory(name="Beispielstadt", kreis=kreis, ags="05999002")
    coordinator = UserFactory(email="kurt@kreis-muster.example")
    outsider = UserFactory(email="aussen@example.de")
    applicant = UserFactory(email="paula@beispielstadt.example")
    MembershipFactory(user=coordinator, kommune=kreis, role="koordination")
    request = MembershipFactory(user=applicant, kommune=gemeinde, status="beantragt")
    db.session.commit()

    response = _client_of(app, coordinator).post(
        "/netzwerke/neu",
        data={
            "name": "Kreisnetz Muster",
            "art": "kreis",
            "kreis_ags": "05999",
            "koordination_email": outsider.email,
            "gemeinden": "y",
        },
    )
    assert response.status_code == 422
    assert "benennt die Administration" in response.text
    assert db.session.scalar(sa.select(sa.func.count(Netzwerk.id))) == 0
    assert db.session.scalars(sa.select(NetzwerkKoordination.user_id)).all() == []

    outsider_client = _client_of(app, outsider)
    assert (
        outsider_client.post(f"/freigaben/{request.id}", data={"entscheidung": "bestaetigen"}).status_code
        == 404
    )
    assert outsider_client.get(f"/profil/{gemeinde.ags}/bearbeiten").status_code == 403
    db.session.expire_all()
    assert db.session.get(KommuneMembership, request.id).status == "beantragt"


def test_the_kreis_coordinator_still_creates_the_network_of_the_kreis(app):
    kreis = KommuneFactory(ags="05999", ebene="kreis", kind="kreis", name="Kreis Muster", population=None)
    KommuneFactory(name="Beispielstadt", kreis=kreis, ags="05999002")
    coordinator = UserFactory(email="kurt@kreis-muster.example")
    MembershipFactory(user=coordinator, kommune=kreis, role="koordination")
    db.session.commit()
    client = _client_of(app, coordinator)
    assert 'name="koordination_email"' not in client.get("/netzwerke/neu").text
    response = client.post(
        "/netzwerke/neu",
        data={"name": "Kreisnetz Muster", "art": "kreis", "kreis_ags": "05999", "gemeinden": "y"},
    )
    assert response.status_code == 303
    netzwerk = db.session.scalar(sa.select(Netzwerk))
    assert [c.user_id for c in netzwerk.koordination] == [coordinator.id]
    assert len(netzwerk.mitglieder) == 1
