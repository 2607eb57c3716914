"""Members see their network read-only; the management stays with the coordination."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from plattform.core.models import AuditEvent
from plattform.extensions import db
from plattform.netzwerke.models import NetzwerkEinladung, NetzwerkMitglied
from plattform.netzwerke.services import add_member, create_netzwerk, invite
from tests.factories import KommuneFactory, MembershipFactory, UserFactory

INVITED = "eingeladen@aussen.example"
COORDINATOR = "koordination@netz.example"


@pytest.fixture
def net(app):
    coordinator = UserFactory(email=COORDINATOR)
    officer = UserFactory()
    a = KommuneFactory(name="Anfangsdorf")
    b = KommuneFactory(name="Beispielstadt")
    MembershipFactory(user=officer, kommune=a)
    netzwerk = create_netzwerk("Lesenetz", "frei", coordinators=[coordinator])
    add_member(netzwerk, a)
    add_member(netzwerk, b)
    invite(netzwerk, email=INVITED, invited_by=coordinator)
    db.session.commit()
    return netzwerk, officer, coordinator, b


def test_member_reads_the_network_without_management(client, login, net):
    netzwerk, officer, _, _b = net
    login(officer)
    assert f'href="/netzwerke/{netzwerk.id}"' in client.get("/netzwerke/").text
    page = client.get(f"/netzwerke/{netzwerk.id}").text
    assert "Beispielstadt" in page and "Anfangsdorf" in page
    assert "/entfernen" not in page and "/einladen" not in page and "/import" not in page
    assert INVITED not in page and COORDINATOR not in page  # addresses are the coordination's
    for sub in ("graph", "themen"):
        sub_page = client.get(f"/netzwerke/{netzwerk.id}/{sub}")
        assert sub_page.status_code == 200
        assert "/export/" not in sub_page.text and "vorschlaege-berechnen" not in sub_page.text
    graph = client.get(f"/netzwerke/{netzwerk.id}/graph").text
    # The measures are explained in plain German next to the figures.
    explained = graph.split("Was die Zahlen bedeuten")[1]
    assert "Dichte: Welcher Anteil" in explained and "kürzesten Weg" in explained


def test_member_is_refused_the_coordinators_actions_and_nothing_changes(client, login, net):
    netzwerk, officer, _, b = net
    login(officer)
    assert client.post(f"/netzwerke/{netzwerk.id}/mitglieder/{b.id}/entfernen").status_code == 403
    assert client.get(f"/netzwerke/{netzwerk.id}/export/mitglieder.csv").status_code in (302, 403)
    count = db.session.scalar(
        sa.select(sa.func.count(NetzwerkMitglied.id)).where(NetzwerkMitglied.netzwerk_id == netzwerk.id)
    )
    assert count == 2
    assert db.session.scalar(sa.select(sa.func.count(NetzwerkEinladung.id))) == 1


def test_coordinator_keeps_the_management(client, login, net):
    netzwerk, _, coordinator, b = net
    login(coordinator)
    page = client.get(f"/netzwerke/{netzwerk.id}").text
    assert f"/mitglieder/{b.id}/entfernen" in page and INVITED in page


def test_outsider_is_refused(client, login, net):
    netzwerk, *_ = net
    outsider = UserFactory()
    db.session.commit()
    login(outsider)
    assert client.get(f"/netzwerke/{netzwerk.id}").status_code == 403


def test_removal_asks_first_and_can_be_undone(client, login, net):
    netzwerk, _, coordinator, b = net
    login(coordinator)
    detail = client.get(f"/netzwerke/{netzwerk.id}").text
    # The list offers a link to the confirmation page, not a one-click removal.
    assert f'href="/netzwerke/{netzwerk.id}/mitglieder/{b.id}/entfernen"' in detail
    confirm = client.get(f"/netzwerke/{netzwerk.id}/mitglieder/{b.id}/entfernen")
    assert confirm.status_code == 200 and "Beispielstadt aus dem Netzwerk entfernen?" in confirm.text
    assert _members(netzwerk) == 2  # asking changed nothing
    client.post(f"/netzwerke/{netzwerk.id}/mitglieder/{b.id}/entfernen")
    assert _members(netzwerk) == 1
    assert db.session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "netzwerk.member_removed")
    )
    detail = client.get(f"/netzwerke/{netzwerk.id}").text
    assert "Zuletzt entfernt" in detail and f"/mitglieder/{b.id}/wiederaufnehmen" in detail
    client.post(f"/netzwerke/{netzwerk.id}/mitglieder/{b.id}/wiederaufnehmen")
    assert _members(netzwerk) == 2
    assert "Zuletzt entfernt" not in client.get(f"/netzwerke/{netzwerk.id}").text
    # A Kommune that never was removed cannot be "restored" into the network.
    stranger = KommuneFactory()
    db.session.commit()
    client.post(f"/netzwerke/{netzwerk.id}/mitglieder/{stranger.id}/wiederaufnehmen")
    assert _members(netzwerk) == 2


def test_invitation_address_and_withdraw_button_sit_in_separate_cells(client, login, net):
    netzwerk, _, coordinator, _ = net
    login(coordinator)
    page = client.get(f"/netzwerke/{netzwerk.id}").text
    table = page.split("km-invitations")[1].split("</table>")[0]
    address_cell = table.split(INVITED)[0].rsplit("<td", 1)[1]
    assert "Zurückziehen" not in address_cell and "Zurückziehen" in table.split(INVITED)[1]


def _members(netzwerk) -> int:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(sa.func.count(NetzwerkMitglied.id)).where(NetzwerkMitglied.netzwerk_id == netzwerk.id)
    )
