"""The personal start page: where login lands, and the next steps it names for each role."""

from __future__ import annotations

import pytest

from matching.vocabulary import TOPIC_SLUGS
from plattform.extensions import db
from plattform.kontakte.services import send_request
from plattform.projekte.models import ProjectProposal, ProjectProposalMember, SharedProjectMember
from plattform.projekte.services import propose_project
from tests.factories import PASSWORD
from tests.plattform.kontakte.helpers import make_world, seed_suggestions

KOMMUNE_REQUEST = 'href="/konto/kommune-beantragen"'


@pytest.fixture
def world(demo_region):
    return make_world()


def test_login_lands_on_the_start_page(client, world):
    response = client.post("/konto/anmelden", data={"email": world.officer_a.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/uebersicht/"
    # Already signed in: the login page sends there too, not to the marketing page.
    assert client.get("/konto/anmelden").headers["Location"] == "/uebersicht/"


def test_login_still_follows_a_safe_next(client, world):
    response = client.post(
        "/konto/anmelden?next=/kontakte/", data={"email": world.officer_a.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/kontakte/"


def test_anonymous_visitors_are_sent_to_login(client, world):
    response = client.get("/uebersicht/")
    assert response.status_code == 302
    assert "/konto/anmelden" in response.headers["Location"]


def test_a_new_account_is_told_to_request_its_kommune(client, login, world):
    login(world.nobody)
    html = client.get("/uebersicht/").text
    assert "Ihr Konto spricht noch für keine Kommune" in html
    assert KOMMUNE_REQUEST in html
    assert "/vorschlaege/?kommune=" not in html


def test_a_pending_request_is_shown_as_waiting(client, login, world):
    login(world.pending_b)
    html = client.get("/uebersicht/").text
    assert "Ihre Anfrage für Aldenhoven wartet auf Freigabe" in html
    assert KOMMUNE_REQUEST in html  # another Kommune may still be asked for


def test_an_officer_sees_new_suggestions_and_open_requests(client, login, world):
    seed_suggestions(world.a, [{"partner": world.b, "distance_km": 12.0}, {"partner": world.c}])
    send_request(world.officer_b, world.b.id, world.a.id, "Aldenhoven fragt Kreuzau")
    db.session.commit()
    login(world.officer_a)
    html = client.get("/uebersicht/").text
    # b has written to a: a partner in conversation is no longer a suggestion (only c is new).
    assert "1 neuer Partnervorschlag" in html
    assert f'href="/vorschlaege/?kommune={world.a.id}"' in html
    assert "1 offene Anfrage wartet auf Ihre Antwort</a> – von Aldenhoven" in html  # who waits
    assert f'href="/kontakte/?kommune={world.a.id}"' in html
    assert KOMMUNE_REQUEST not in html
    # Once the dashboard has shown them, they are no longer new.
    assert client.get("/vorschlaege/").status_code == 200
    html = client.get("/uebersicht/").text
    assert "neuer Partnervorschlag" not in html
    assert "1 Partnervorschlag ansehen" in html


def test_an_officer_without_news_is_told_so(client, login, world):
    login(world.officer_c)
    html = client.get("/uebersicht/").text
    assert "Noch keine Partnervorschläge" in html
    assert "Keine offenen Anfragen" in html
    assert "Keine offenen Einladungen." in html
    assert "Koordination" not in html.split("<main", 1)[1]


def test_an_officer_sees_invitations(client, login, world):
    project = propose_project(world.b, TOPIC_SLUGS[0], "Hundesteuer im Verbund")
    project.members.append(SharedProjectMember(kommune_id=world.a.id, status="eingeladen"))
    db.session.commit()
    login(world.officer_a)
    html = client.get("/uebersicht/").text
    assert "1 offene Einladung" in html
    assert "Projekt: Hundesteuer im Verbund" in html
    assert f'href="/projekte/{project.id}"' in html


def test_a_coordinator_sees_approvals_and_proposals(client, login, world):
    proposal = ProjectProposal(
        thema=TOPIC_SLUGS[2], lead_kommune_id=world.a.id, explanation_de="E-Akte", span_km=8.0, score=0.9
    )
    proposal.entries = [ProjectProposalMember(kommune_id=k.id, rolle="mitglied") for k in (world.a, world.c)]
    db.session.add(proposal)
    db.session.commit()
    login(world.coordinator)
    html = client.get("/uebersicht/").text
    assert "1 Anfrage wartet auf Ihre Freigabe" in html  # Paul Wartend for Aldenhoven
    assert 'href="/freigaben/"' in html
    assert "1 Projektvorschlag für Ihre Kommunen" in html
    assert 'href="/projekte/vorschlaege"' in html
    # An officer of the same Kreis has no coordination block.
    client.post("/konto/abmelden")
    login(world.officer_a)
    assert "Anfrage wartet auf Ihre Freigabe" not in client.get("/uebersicht/").text


def test_an_administrator_sees_every_pending_approval(client, login, world):
    login(world.admin)
    html = client.get("/uebersicht/").text
    assert "1 Anfrage wartet auf Ihre Freigabe" in html
    assert KOMMUNE_REQUEST not in html


def test_forbidden_suggestions_page_offers_the_kommune_request(client, login, world):
    login(world.nobody)
    response = client.get("/vorschlaege/")
    assert response.status_code == 403
    assert KOMMUNE_REQUEST in response.text


def test_forbidden_page_of_an_administrator_has_no_kommune_request(client, login, world):
    login(world.admin)
    response = client.get("/vorschlaege/")
    assert response.status_code == 403
    assert KOMMUNE_REQUEST not in response.text


def test_the_senders_of_open_requests_are_named_oldest_first(client, login, world):
    send_request(world.officer_b, world.b.id, world.a.id, "Aldenhoven fragt Kreuzau")
    send_request(world.officer_c, world.c.id, world.a.id, "Nideggen fragt Kreuzau")
    send_request(world.coordinator, world.kreis.id, world.a.id, "Der Kreis fragt Kreuzau")
    db.session.commit()
    login(world.officer_a)
    html = client.get("/uebersicht/").text
    assert "3 offene Anfragen warten auf Ihre Antwort</a> – von Aldenhoven, Nideggen, Kreis Düren" in html
