"""The coordinator's view: graph measures and table alternative, coverage, exports, 403 on other networks."""

from __future__ import annotations

import csv
import io

import networkx as nx
import pytest
from openpyxl import load_workbook

from matching.profiles import ProfileData
from plattform.extensions import db
from plattform.kontakte.models import Partnership
from plattform.netzwerke.services import add_member, create_netzwerk
from plattform.profile.services import save_profile
from plattform.projekte.proposals import recompute
from plattform.projekte.services import join_project, propose_project
from tests.factories import KommuneFactory, UserFactory
from tests.plattform.projekte.scenarios import HUND, kommune_at, ring_scenario


def _partner(a, b):
    lo, hi = Partnership.ordered(a.id, b.id)
    db.session.add(Partnership(kommune_a_id=lo, kommune_b_id=hi))


@pytest.fixture
def path_net(app):
    """A–B–C by partnerships, C–D by a shared project, E isolated; profiles for coverage."""
    coordinator = UserFactory()
    names = ("Aort", "Bort", "Cort", "Dort", "Eort")
    k = {n: kommune_at(f"0510000{i}", n, 5 * i, 0) for i, n in enumerate(names)}
    outside = kommune_at("05200000", "Außenstadt", 30, 30, staerken={"chatbot": 3})
    save_profile(k["Aort"], ProfileData(ags=k["Aort"].ags, staerken={"e-akte": 3}, bedarfe={"chatbot": 2}))
    save_profile(k["Bort"], ProfileData(ags=k["Bort"].ags, bedarfe={"e-akte": 2}))
    netzwerk = create_netzwerk("Pfadnetz", "frei", coordinators=[coordinator])
    for kommune in k.values():
        add_member(netzwerk, kommune)
    _partner(k["Aort"], k["Bort"])
    _partner(k["Bort"], k["Cort"])
    _partner(k["Aort"], outside)  # a tie leaving the network: not drawn
    project = propose_project(k["Cort"], "e-payment", "E-Payment zusammen")
    join_project(project, k["Dort"].id)
    db.session.commit()
    return netzwerk, coordinator, k, outside


def test_graph_page_shows_measures_and_the_table_alternative(client, app, login, path_net):
    netzwerk, coordinator, _, _ = path_net
    login(coordinator)
    page = client.get(f"/netzwerke/{netzwerk.id}/graph").text
    # 5 members, 3 edges: density 3/10.
    assert "30,0 %" in page
    assert 'id="netzwerk-graph"' in page and 'id="netzwerk-daten"' in page
    assert "vendor/cytoscape/cytoscape.min.js" in page
    # Isolated member and the broker (Bort and Cort lie on the paths A–C, A–D, B–D).
    assert "Eort" in page.split("Ohne Verbindung (isoliert)")[1].split("</dd>")[0]
    brokers = page.split("Brückenbauer (Vermittler)")[1].split("</dd>")[0]
    assert "Bort" in brokers and "Cort" in brokers and "Aort" not in brokers
    # The edge table names both kinds of tie; the partnership to the outside town is not there.
    assert "Lernpartnerschaft" in page and "E-Payment zusammen" in page
    assert "Außenstadt" not in page


def test_coverage_page_shows_teachers_needs_and_partners_outside(client, app, login, path_net):
    netzwerk, coordinator, _, _ = path_net
    login(coordinator)
    page = client.get(f"/netzwerke/{netzwerk.id}/themen").text
    assert "Themenabdeckung" in page
    row = page.split("DMS/E-Akte")[1].split("</tr>")[0]
    assert "Aort (3)" in row and "Bort (2)" in row
    uncovered = page.split("Bedarfe, die niemand im Netzwerk abdeckt")[1]
    assert "Chatbot" in uncovered and "Außenstadt" in uncovered


@pytest.mark.parametrize("members", [0, 1])
def test_graph_with_no_or_one_member_renders_sensibly(client, app, login, members):
    coordinator = UserFactory()
    netzwerk = create_netzwerk(f"Klein {members}", "frei", coordinators=[coordinator])
    if members:
        add_member(netzwerk, KommuneFactory(name="Einzelort"))
    db.session.commit()
    login(coordinator)
    for path in ("", "/graph", "/themen"):
        assert client.get(f"/netzwerke/{netzwerk.id}{path}").status_code == 200
    page = client.get(f"/netzwerke/{netzwerk.id}/graph").text
    if members == 0:
        assert "noch keine Mitglieder" in page and 'id="netzwerk-graph"' not in page
    else:
        assert "erst ein Mitglied" in page and "Einzelort" in page
    for export in ("mitglieder.csv", "themen.csv", "netzwerk.xlsx", "netzwerk.graphml"):
        assert client.get(f"/netzwerke/{netzwerk.id}/export/{export}").status_code == 200


def test_exports_parse_csv_xlsx_and_graphml(client, app, login, path_net):
    netzwerk, coordinator, k, _ = path_net
    login(coordinator)
    members_csv = client.get(f"/netzwerke/{netzwerk.id}/export/mitglieder.csv")
    # The platform's one CSV dialect and one charset, named once.
    assert members_csv.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(members_csv.data.decode("utf-8-sig")), delimiter=";"))
    assert {r["name"] for r in rows} == set(k)
    by_name = {r["name"]: r for r in rows}
    assert by_name["Eort"]["isoliert"] == "ja" and by_name["Bort"]["verbindungen"] == "2"
    assert by_name["Cort"]["gemeinsame_projekte"] == "1"

    topics_csv = client.get(f"/netzwerke/{netzwerk.id}/export/themen.csv").data.decode("utf-8-sig")
    topics = {r["thema"]: r for r in csv.DictReader(io.StringIO(topics_csv), delimiter=";")}
    assert topics["e-akte"]["koennen_ags"] == k["Aort"].ags and topics["chatbot"]["innen_abgedeckt"] == "nein"

    workbook = load_workbook(io.BytesIO(client.get(f"/netzwerke/{netzwerk.id}/export/netzwerk.xlsx").data))
    assert workbook.sheetnames == ["Mitglieder", "Themen"]
    assert workbook["Mitglieder"].max_row == 6  # header + five members

    graph = nx.read_graphml(io.BytesIO(client.get(f"/netzwerke/{netzwerk.id}/export/netzwerk.graphml").data))
    assert graph.number_of_nodes() == 5 and graph.number_of_edges() == 3
    assert graph.nodes[k["Eort"].ags]["isoliert"] is True
    assert graph.nodes[k["Bort"].ags]["betweenness"] > 0


def test_a_coordinator_acting_on_another_network_gets_403(client, app, login, path_net):
    netzwerk, _, k, _ = path_net
    other_coordinator = UserFactory()
    other = create_netzwerk("Anderes Netz", "frei", coordinators=[other_coordinator])
    db.session.commit()
    login(other_coordinator)
    assert client.get(f"/netzwerke/{other.id}").status_code == 200
    for path in ("", "/graph", "/themen", "/export/mitglieder.csv", "/export/netzwerk.graphml"):
        assert client.get(f"/netzwerke/{netzwerk.id}{path}").status_code == 403, path
    before = len(netzwerk.mitglieder)
    assert (
        client.post(f"/netzwerke/{netzwerk.id}/einladen", data={"einladen-ags": "05200000"}).status_code
        == 403
    )
    assert client.post(f"/netzwerke/{netzwerk.id}/mitglieder/{k['Aort'].id}/entfernen").status_code == 403
    db.session.expire_all()
    assert len(netzwerk.mitglieder) == before
    assert client.get("/netzwerke/999999").status_code == 404


def test_network_page_shows_its_duplication_and_proposals_with_lead(client, app, login):
    _, ring, _, _ = ring_scenario()
    coordinator = UserFactory()
    netzwerk = create_netzwerk("Ringnetz", "zweckverband", coordinators=[coordinator])
    for kommune in ring:
        add_member(netzwerk, kommune)
    db.session.commit()
    recompute()
    login(coordinator)
    page = client.get(f"/netzwerke/{netzwerk.id}/themen").text
    table = page.split('class="kern-table kern-table--striped km-duplication"')[1].split("</table>")[0]
    row = table.split("Hundesteuer digital</th>")[1].split("</tr>")[0]
    assert '<td class="kern-table__cell kern-table__cell--numeric">8</td>' in row
    assert "Ringgemeinde 3" in row and "/projekte/neu?thema=hundesteuer" in row
    assert "gemeinsames Projekt vorschlagen" in row
    assert 'aria-sort="descending"' in table  # by number of Kommunen unless asked otherwise
    proposal = page.split('id="vorschlaege"')[1]
    assert "Hundesteuer digital" in proposal and "Federführung" in proposal and "Ringgemeinde 3" in proposal
    assert "Als gemeinsames Projekt anlegen" in proposal


def test_demo_step_builds_kdvz_with_a_dog_tax_proposal_led_from_kreis_dueren(app, demo_region):
    from plattform.accounts.services import get_user_by_email
    from plattform.netzwerke.analysis import network_graph, network_proposals
    from plattform.netzwerke.demo import COORDINATOR_EMAIL, KDVZ_NAME, seed_networks
    from plattform.netzwerke.services import get_by_name, is_coordinator

    seed_networks()
    seed_networks()  # a second run changes nothing
    kdvz = get_by_name(KDVZ_NAME)
    assert kdvz.art == "zweckverband" and len(kdvz.mitglieder) == 15
    assert is_coordinator(get_user_by_email(COORDINATOR_EMAIL), kdvz)
    view = network_graph(kdvz)
    assert view.analysis.n_edges >= 8 and view.analysis.isolated
    dog = [p for p in network_proposals(kdvz) if p.thema == HUND]
    assert dog and dog[0].lead.ags.startswith("05358")
    assert db.session.query(Partnership).count() == 12


def test_no_create_button_for_a_proposal_whose_lead_the_coordinator_does_not_coordinate(client, app, login):
    _, ring, experienced, _ = ring_scenario()
    coordinator = UserFactory()
    netzwerk = create_netzwerk("Teilnetz", "frei", coordinators=[coordinator])
    for kommune in (ring[0], ring[1]):
        add_member(netzwerk, kommune)
    db.session.commit()
    recompute()
    login(coordinator)
    proposals = client.get(f"/netzwerke/{netzwerk.id}/themen").text.split('id="vorschlaege"')[1]
    assert "Hundesteuer digital" in proposals and experienced.name in proposals
    assert "Als gemeinsames Projekt anlegen" not in proposals


def test_duplication_table_sorts_on_the_server(client, app, login, path_net):
    netzwerk, coordinator, k, _ = path_net
    # Two members work separately on two topics each: an extra one on "chatbot" makes it the larger.
    for name, topics in (("Cort", ("chatbot", "e-akte")), ("Dort", ("chatbot",)), ("Eort", ("chatbot",))):
        save_profile(k[name], ProfileData(ags=k[name].ags, bedarfe=dict.fromkeys(topics, 2)))
    db.session.commit()
    login(coordinator)

    def order(query):
        page = client.get(f"/netzwerke/{netzwerk.id}/themen{query}").text
        table = page.split("km-duplication")[1].split("</table>")[0]
        cells = table.split('<th scope="row" class="kern-table__cell">')[1:]
        return [cell.split("</th>")[0] for cell in cells]

    by_count = order("")
    assert len(by_count) >= 2
    assert order("?sort=thema&richtung=auf") == sorted(by_count, key=str.lower)
    assert order("?sort=thema&richtung=ab") == sorted(by_count, key=str.lower, reverse=True)
    page = client.get(f"/netzwerke/{netzwerk.id}/themen?sort=thema&richtung=auf").text
    assert 'aria-sort="ascending"' in page


def test_graph_page_density_in_english_has_the_english_percentage(client, app, login, path_net):
    netzwerk, coordinator, _, _ = path_net
    login(coordinator)
    page = client.get(f"/netzwerke/{netzwerk.id}/graph?lang=en").text
    assert "30.0%" in page and "30,0 %" not in page and "30.0 %" not in page
