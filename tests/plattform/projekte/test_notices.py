"""Invitations reach people: creating a project from a proposal or inviting into a network mails each
officer of the invited Kommune; the lead hears when someone joins; `open_invitations` lists what is open."""

from __future__ import annotations

import pytest

from plattform.extensions import db
from plattform.netzwerke.services import create_netzwerk, invite
from plattform.projekte.models import ProjectProposal
from plattform.projekte.proposals import recompute
from plattform.projekte.services import get_project, open_invitations
from tests import services
from tests.factories import UserFactory
from tests.plattform.digest.conftest import officer, parsed
from tests.plattform.projekte.scenarios import HUND, kommune_at

BASE = "https://kommunalmatch.example.de"


def group_of_three():
    a = kommune_at("05358011", "Adorf", 0, 0, bedarfe={HUND: 2})
    b = kommune_at("05358012", "Bestadt", 8, 0, bedarfe={HUND: 2})
    c = kommune_at("05358013", "Cedorf", 4, 6, bedarfe={HUND: 2})
    return a, b, c


def by_recipient(smtp_server) -> dict[str, list]:
    out: dict[str, list] = {}
    for m in smtp_server.messages:
        msg = parsed(m)
        out.setdefault(msg["To"].addresses[0].addr_spec, []).append(msg)
    return out


def create_from_the_proposal(client, login, creator, kommune):
    (proposal,) = db.session.query(ProjectProposal).all()
    login(creator)
    response = client.post(
        f"/projekte/vorschlaege/{proposal.id}/anlegen", data={f"v{proposal.id}-kommune_id": kommune.id}
    )
    assert response.status_code == 303, response.text
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def test_creating_a_project_mails_every_officer_of_the_invited_kommunen(app, client, login, smtp_server):
    app.config["BASE_URL"] = BASE
    a, b, c = group_of_three()
    creator = officer(a, name="Anna Adorf", status=None)
    b1 = officer(b, name="Berta Bestadt", status=None)
    b2 = officer(b, name="Bruno Bestadt", status=None, locale="en")
    c1 = officer(c, name="Carla Cedorf", status=None)
    db.session.commit()
    recompute()

    project_id = create_from_the_proposal(client, login, creator, a)

    mails = by_recipient(smtp_server)
    assert creator.email not in mails  # the creator's own Kommune joined; nobody to invite there
    for person in (b1, c1):
        (msg,) = mails[person.email]
        assert msg["Subject"].startswith("Einladung in das gemeinsame Projekt „")
        body = msg.get_body(("plain",)).get_content()
        assert f"Guten Tag {person.name}," in body
        assert f"{BASE}/projekte/{project_id}" in body
    (english,) = mails[b2.email]
    assert english["Subject"].startswith("Invitation to the shared project “")

    # What is open for Bestadt, for the start page.
    (entry,) = open_invitations(b1)
    assert entry["art"] == "projekt" and entry["url"] == f"/projekte/{project_id}"
    assert entry["kommune"].id == b.id

    # An invited Kommune other than the lead joins: the lead's officers are told.
    project = get_project(project_id)
    officers_of = {a.id: [creator], b.id: [b1, b2], c.id: [c1]}
    joiner, person = next((k, officers_of[k.id][0]) for k in (b, c) if k.id != project.lead_kommune_id)
    smtp_server.messages.clear()
    client.post("/konto/abmelden")
    login(person)
    response = client.post(f"/projekte/{project_id}/beitreten", data={"beitreten-kommune_id": joiner.id})
    assert response.status_code in (302, 303), response.text
    mails = by_recipient(smtp_server)
    for lead_officer in officers_of[project.lead_kommune_id]:
        (msg,) = mails[lead_officer.email]
        assert (
            f"{joiner.name} ist „{project.titel}“ beigetreten" in msg["Subject"] or "joined" in msg["Subject"]
        )
    assert person.email not in mails
    assert [e for e in open_invitations(person) if e["url"] == f"/projekte/{project_id}"] == []


def test_network_invitation_reaches_the_officers_and_is_listed_as_open(app, smtp_server):
    a, _b, _c = group_of_three()
    person = officer(a, name="Anna Adorf", status=None)
    coordinator = UserFactory(name="Koordinatorin")
    netzwerk = create_netzwerk("ANDI", "frei", coordinators=[coordinator])
    einladung, _member = invite(netzwerk, ags=a.ags, invited_by=coordinator)
    db.session.commit()
    (msg,) = by_recipient(smtp_server)[person.email]
    assert msg["Subject"] == "Einladung in das Netzwerk „ANDI“"
    assert f"/netzwerke/einladung/{einladung.token}" in msg.get_body(("plain",)).get_content()
    (entry,) = open_invitations(person)
    assert entry["art"] == "netzwerk" and entry["titel"] == "ANDI"


class TestBrokerDown:
    @pytest.fixture
    def app_config(self, app_config):
        return services.with_unreachable_broker(app_config)

    def test_the_invitation_notice_is_sent_directly_when_the_broker_is_down(
        self, app, client, login, smtp_server
    ):
        a, b, _c = group_of_three()
        creator = officer(a, name="Anna Adorf", status=None)
        invited = officer(b, name="Berta Bestadt", status=None)
        db.session.commit()
        recompute()
        create_from_the_proposal(client, login, creator, a)
        assert invited.email in by_recipient(smtp_server)


def test_the_lead_invites_more_kommunen_by_ags_and_their_officers_are_told(app, client, login, smtp_server):
    from plattform.projekte.services import propose_project

    a, b, c = group_of_three()
    lead = officer(a, name="Anna Adorf", status=None)
    invited = officer(c, name="Carla Cedorf", status=None)
    project = propose_project(a, HUND, "Hundesteuer gemeinsam")
    db.session.commit()
    login(lead)
    bad = client.post(f"/projekte/{project.id}/einladen", data={"ags": f"{b.ags}, 09999999"})
    assert bad.status_code == 422 and "Nicht im Gemeindeverzeichnis: 09999999." in bad.text
    assert smtp_server.messages == []
    done = client.post(f"/projekte/{project.id}/einladen", data={"ags": f"{b.ags} {c.ags}"})
    assert done.status_code == 303
    (msg,) = by_recipient(smtp_server)[invited.email]
    assert msg["Subject"] == "Einladung in das gemeinsame Projekt „Hundesteuer gemeinsam“"
    assert {m.kommune_id for m in get_project(project.id).members if m.status == "eingeladen"} == {b.id, c.id}
