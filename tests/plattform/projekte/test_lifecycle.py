"""Shared-project lifecycle through the real pages: propose, join, leave, hand over, close, permissions."""

from __future__ import annotations

import re

import pytest

from plattform.extensions import db
from plattform.projekte.models import ProjectProposal, SharedProject
from plattform.projekte.proposals import proposals_for, recompute
from plattform.projekte.services import ProjectError, close_project, join_project, propose_project
from tests.factories import KommuneFactory, MembershipFactory, UserFactory
from tests.plattform.projekte.scenarios import HUND, open_project_scenario, ring_scenario


@pytest.fixture
def three(app):
    """Kommunen A (lead), B, C, each with an officer."""
    a, b, c = (KommuneFactory(name=n) for n in ("Aheim", "Bedorf", "Cestadt"))
    users = {}
    for k in (a, b, c):
        users[k.name] = MembershipFactory(kommune=k).user
    project = propose_project(a, "e-akte", "E-Akte gemeinsam", "Wir führen die E-Akte ein.")
    db.session.commit()
    return a, b, c, users, project


def _reload(project_id: int) -> SharedProject:
    db.session.expire_all()
    return db.session.get(SharedProject, project_id)


def test_propose_form_creates_a_project_led_by_the_proposing_kommune(client, app, login):
    k = KommuneFactory(name="Vorschlagsheim")
    user = MembershipFactory(kommune=k).user
    db.session.commit()
    login(user)
    response = client.post(
        "/projekte/neu",
        data={"kommune_id": k.id, "thema": HUND, "titel": "Hundesteuer online", "beschreibung": ""},
    )
    assert response.status_code == 303
    project = db.session.query(SharedProject).one()
    assert (project.lead_kommune_id, project.status, project.thema) == (k.id, "vorgeschlagen", HUND)
    assert [m.kommune_id for m in project.joined()] == [k.id]
    assert "Hundesteuer online" in client.get(response.headers["Location"]).text


def test_propose_form_without_title_shows_the_error_at_the_field(client, app, login):
    k = KommuneFactory()
    user = MembershipFactory(kommune=k).user
    db.session.commit()
    login(user)
    response = client.post("/projekte/neu", data={"kommune_id": k.id, "thema": HUND, "titel": ""})
    assert response.status_code == 422
    assert 'id="titel-fehler" role="alert"' in response.text
    assert "Bitte geben Sie einen Titel an." in response.text
    assert db.session.query(SharedProject).count() == 0


def test_proposing_for_a_kommune_one_does_not_act_for_is_refused(client, app, login):
    mine, other = KommuneFactory(), KommuneFactory()
    user = MembershipFactory(kommune=mine).user
    db.session.commit()
    login(user)
    response = client.post("/projekte/neu", data={"kommune_id": other.id, "thema": HUND, "titel": "Fremd"})
    assert response.status_code in (403, 422)
    assert db.session.query(SharedProject).count() == 0


def test_join_leave_hand_over_and_close(client, app, login, three):
    a, b, c, users, project = three
    login(users[b.name])
    assert (
        client.post(f"/projekte/{project.id}/beitreten", data={"beitreten-kommune_id": b.id}).status_code
        == 303
    )
    assert {m.kommune_id for m in _reload(project.id).joined()} == {a.id, b.id}
    # B may not steer: that is the lead's officers' job.
    assert client.get(f"/projekte/{project.id}/abschliessen").status_code == 403
    assert client.post(f"/projekte/{project.id}/federfuehrung", data={"new_lead_id": b.id}).status_code == 403
    client.post("/konto/abmelden")

    login(users[a.name])
    # The lead cannot leave before handing over.
    client.post(f"/projekte/{project.id}/verlassen", data={"verlassen-kommune_id": a.id})
    page = client.get(f"/projekte/{project.id}").text
    assert "Übergeben Sie zuerst die Federführung" in page
    assert _reload(project.id).member_for(a.id) is not None
    # Handing over to a Kommune that did not join is refused.
    bad = client.post(f"/projekte/{project.id}/federfuehrung", data={"new_lead_id": c.id})
    assert bad.status_code == 422 and _reload(project.id).lead_kommune_id == a.id
    ok = client.post(f"/projekte/{project.id}/federfuehrung", data={"new_lead_id": b.id})
    assert ok.status_code == 303 and _reload(project.id).lead_kommune_id == b.id
    assert (
        client.post(f"/projekte/{project.id}/verlassen", data={"verlassen-kommune_id": a.id}).status_code
        == 303
    )
    assert _reload(project.id).member_for(a.id) is None
    client.post("/konto/abmelden")

    login(users[b.name])
    empty = client.post(f"/projekte/{project.id}/abschliessen", data={"ergebnis": "  "})
    assert empty.status_code == 422 and "Bitte beschreiben Sie das Ergebnis." in empty.text
    assert not _reload(project.id).is_closed
    done = client.post(
        f"/projekte/{project.id}/abschliessen",
        data={"ergebnis": "E-Akte läuft in Bedorf.", "nachnutzung": "y"},
    )
    assert done.status_code == 303
    closed = _reload(project.id)
    assert closed.is_closed and closed.nachnutzung and closed.ergebnis == "E-Akte läuft in Bedorf."


def test_joining_a_closed_project_is_refused_with_a_clear_message_and_nothing_changes(
    client, app, login, three
):
    _a, _b, c, users, project = three
    project.status = "abgeschlossen"
    project.ergebnis = "Fertig."
    db.session.commit()
    with pytest.raises(ProjectError, match="abgeschlossen; ein Beitritt ist nicht mehr möglich"):
        join_project(project, c.id)
    db.session.rollback()
    login(users[c.name])
    response = client.post(
        f"/projekte/{project.id}/beitreten", data={"beitreten-kommune_id": c.id}, follow_redirects=True
    )
    assert "Dieses Projekt ist abgeschlossen; ein Beitritt ist nicht mehr möglich." in response.text
    assert _reload(project.id).member_for(c.id) is None


def test_joining_for_someone_elses_kommune_is_forbidden(client, app, login, three):
    _a, b, c, users, project = three
    login(users[b.name])
    response = client.post(f"/projekte/{project.id}/beitreten", data={"beitreten-kommune_id": c.id})
    assert response.status_code == 403
    assert _reload(project.id).member_for(c.id) is None


def test_proposal_becomes_an_open_project_with_lead_as_proposed_and_others_invited(client, app, login):
    _, ring, experienced, _ = ring_scenario()
    recompute()
    officer = MembershipFactory(kommune=ring[0]).user
    db.session.commit()
    login(officer)
    page = client.get("/projekte/vorschlaege")
    assert page.status_code == 200
    assert "Gemeinsame Projekte in Ihrer Nähe" in page.text and "Ringgemeinde 3" in page.text
    proposal = db.session.query(ProjectProposal).one()
    response = client.post(
        f"/projekte/vorschlaege/{proposal.id}/anlegen", data={f"v{proposal.id}-kommune_id": ring[0].id}
    )
    assert response.status_code == 303
    project = db.session.query(SharedProject).one()
    assert (project.status, project.lead_kommune_id) == ("offen", experienced.id)
    statuses = {m.kommune_id: m.status for m in project.members}
    assert statuses[ring[0].id] == "beigetreten"
    assert all(statuses[k.id] == "eingeladen" for k in ring[1:])
    assert db.session.query(ProjectProposal).count() == 0
    # An invited Kommune accepts with one click.
    db.session.commit()
    client.post("/konto/abmelden")
    second = MembershipFactory(kommune=ring[5]).user
    db.session.commit()
    login(second)
    client.post(f"/projekte/{project.id}/beitreten", data={"beitreten-kommune_id": ring[5].id})
    assert _reload(project.id).member_for(ring[5].id).status == "beigetreten"


def test_a_kommune_outside_the_proposal_cannot_turn_it_into_a_project(client, app, login):
    ring_scenario()
    recompute()
    stranger = MembershipFactory(kommune=KommuneFactory()).user
    db.session.commit()
    login(stranger)
    proposal = db.session.query(ProjectProposal).one()
    assert client.post(f"/projekte/vorschlaege/{proposal.id}/anlegen").status_code == 403
    assert db.session.query(SharedProject).count() == 0


def test_project_pages_and_kommune_section(client, app, three):
    a, _b, c, _users, _project = three
    assert "E-Akte gemeinsam" in client.get("/projekte/").text
    assert client.get("/projekte/999999").status_code == 404
    page = client.get(f"/kommunen/{a.ags}").text
    assert "Gemeinsame Projekte" in page and "E-Akte gemeinsam" in page and "federführend" in page
    assert 'id="gemeinsame-projekte"' not in client.get(f"/kommunen/{c.ags}").text


def test_pages_that_change_things_need_a_login(client, app, three):
    *_, project = three
    assert client.get("/projekte/neu").status_code == 302
    assert client.get("/projekte/vorschlaege").status_code == 302
    assert client.post(f"/projekte/{project.id}/beitreten").status_code == 302


def test_user_without_a_kommune_cannot_propose(client, app, login):
    user = UserFactory()
    db.session.commit()
    login(user)
    assert client.get("/projekte/neu").status_code == 403


# --- proposals that point to an existing project -------------------------------------------------


def _join_form(page: str, project_id: int) -> dict[str, str]:
    """The fields of the join form for a project on a page (fails when there is none)."""
    match = re.search(rf'<form method="post" action="/projekte/{project_id}/beitreten".*?</form>', page, re.S)
    assert match, "no join form on the page"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', match.group(0)))


def test_a_kommune_near_an_open_project_is_offered_to_join_it_and_joins_with_the_button(client, app, login):
    project, aheim, bedorf, cestadt, *_ = open_project_scenario()
    recompute()
    officer = MembershipFactory(kommune=cestadt).user
    db.session.commit()
    login(officer)

    page = client.get("/projekte/vorschlaege").text
    assert "Zu diesem Thema gibt es schon ein gemeinsames Projekt in Ihrer Nähe:" in page
    assert f'href="/projekte/{project.id}">Hundesteuer gemeinsam</a>' in page
    assert "(Federführung: Aheim, 2 Mitglieder)" in page
    assert "Dem Projekt beitreten" in page
    # Not a separate group next to the existing project, neither with nor without Aheim and Bedorf.
    assert "Als gemeinsames Projekt anlegen" not in page
    proposals = proposals_for({cestadt.id})
    assert [p.shared_project_id for p in proposals] == [project.id]
    assert all(p.shared_project_id == project.id for p in db.session.query(ProjectProposal))
    assert not any({aheim.id, bedorf.id} & {k.id for k in p.member_kommunen} for p in proposals)

    response = client.post(f"/projekte/{project.id}/beitreten", data=_join_form(page, project.id))
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/projekte/{project.id}")
    assert _reload(project.id).member_for(cestadt.id).status == "beigetreten"
    # Once a member it is not asked to join again.
    assert "Dem Projekt beitreten" not in client.get("/projekte/vorschlaege").text


def test_a_proposal_to_join_cannot_be_turned_into_a_second_project(client, app, login):
    project, *_, cestadt, _dorf, _edorf = open_project_scenario()
    recompute()
    officer = MembershipFactory(kommune=cestadt).user
    db.session.commit()
    login(officer)
    proposal = db.session.query(ProjectProposal).one()
    assert proposal.shared_project_id == project.id
    assert client.post(f"/projekte/vorschlaege/{proposal.id}/anlegen").status_code == 403
    assert db.session.query(SharedProject).count() == 1


def test_a_closed_project_is_not_offered(client, app, login):
    project, *_, cestadt, _dorf, _edorf = open_project_scenario()
    close_project(project, "Hundesteuer läuft online.", nachnutzung=True)
    recompute()
    officer = MembershipFactory(kommune=cestadt).user
    db.session.commit()
    login(officer)
    page = client.get("/projekte/vorschlaege").text
    assert "Zu diesem Thema gibt es schon ein gemeinsames Projekt" not in page
    assert f"/projekte/{project.id}/beitreten" not in page
    # The three that need it form their own group again.
    [proposal] = proposals_for({cestadt.id})
    assert proposal.shared_project_id is None
    assert "Als gemeinsames Projekt anlegen" in page


def test_a_stored_offer_lapses_when_the_project_is_closed_afterwards(client, app, login):
    project, *_, cestadt, _dorf, _edorf = open_project_scenario()
    recompute()
    close_project(project, "Hundesteuer läuft online.", nachnutzung=False)
    officer = MembershipFactory(kommune=cestadt).user
    db.session.commit()
    login(officer)
    page = client.get("/projekte/vorschlaege").text
    assert "Zu diesem Thema gibt es schon ein gemeinsames Projekt" not in page
    assert f"/projekte/{project.id}/beitreten" not in page
