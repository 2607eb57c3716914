"""The self-hosted maps (issue 15 item 5): the pure drawing function, and the network, proposal and
partner pages that show it with their table as the text alternative."""

from __future__ import annotations

import re

from plattform.extensions import db
from plattform.kommunen.map import MapPoint, group_map
from plattform.netzwerke.services import add_member, create_netzwerk
from plattform.projekte.models import ProjectProposal, ProjectProposalMember
from tests.factories import KommuneFactory, MembershipFactory, UserFactory
from tests.plattform.kontakte.helpers import seed_suggestions


def test_group_map_fits_the_points_into_the_box_and_keeps_their_layout():
    points = [
        MapPoint(50.80, 6.48, "Düren", "federfuehrung"),
        MapPoint(50.92, 6.36, "Jülich"),
        MapPoint(50.64, 6.48, "Heimbach", "nachnutzung"),
    ]
    background = [(50.75, 6.40), (50.7501, 6.4001), (53.55, 9.99)]  # two in one cell, Hamburg outside
    m = group_map(points, background)
    assert m is not None and m.width == 640 and 320 <= m.height <= 520
    by_label = {mk.label: mk for mk in m.markers}
    for mk in m.markers:
        assert 0 < mk.x < m.width and 0 < mk.y < m.height
    assert by_label["Jülich"].y < by_label["Düren"].y < by_label["Heimbach"].y  # north is up
    assert by_label["Jülich"].x < by_label["Düren"].x  # west is left
    assert m.markers[-1].label == "Düren"  # the lead is drawn last (on top)
    assert len(m.background) == 1  # one occupied cell near the group, nothing from Hamburg
    assert m.scale_px > 0 and m.scale_km in (5, 10, 20, 25)


def test_group_map_without_coordinates_is_none_and_a_single_point_gets_a_box():
    assert group_map([MapPoint(None, None, "Ohne Lage")]) is None
    single = group_map([MapPoint(50.8, 6.5, "Allein")])
    assert single is not None and 0 < single.markers[0].x < single.width


def _svg(html: str) -> str:
    match = re.search(r'<svg role="img".*?</svg>', html, re.S)
    assert match, "no map"
    return match.group(0)


def test_the_network_page_draws_its_members_with_title_and_desc(app, client, login):
    a = KommuneFactory(name="Anfangsdorf", lat=50.80, lon=6.50)
    b = KommuneFactory(name="Beispielstadt", lat=50.95, lon=6.30)
    member = MembershipFactory(kommune=a).user
    netz = create_netzwerk("Kartennetz", "frei", coordinators=[UserFactory()])
    add_member(netz, a)
    add_member(netz, b)
    db.session.commit()
    login(member)
    svg = _svg(client.get(f"/netzwerke/{netz.id}").text)
    assert "<title" in svg and "<desc" in svg and 'aria-labelledby="netzwerk-karte-titel' in svg
    assert ">Anfangsdorf</text>" in svg and ">Beispielstadt</text>" in svg
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")  # nothing loaded from outside


def test_the_proposal_page_shows_the_group_lead_and_reuse_source(app, client, login):
    lead = KommuneFactory(name="Führstadt", lat=50.80, lon=6.50)
    other = KommuneFactory(name="Mitdorf", lat=50.85, lon=6.45)
    reuse = KommuneFactory(name="Fertighausen", lat=50.70, lon=6.40)
    outsider = MembershipFactory(kommune=KommuneFactory(name="Fremdort")).user
    officer = MembershipFactory(kommune=other).user
    proposal = ProjectProposal(
        thema="hundesteuer-digital", lead_kommune_id=lead.id, explanation_de="Weil.", span_km=9.0, score=1.0
    )
    proposal.entries = [
        ProjectProposalMember(kommune_id=lead.id, rolle="mitglied"),
        ProjectProposalMember(kommune_id=other.id, rolle="mitglied"),
        ProjectProposalMember(kommune_id=reuse.id, rolle="nachnutzung"),
    ]
    db.session.add(proposal)
    db.session.commit()

    login(outsider)
    assert client.get(f"/projekte/vorschlaege/{proposal.id}").status_code == 404
    client.post("/konto/abmelden")
    login(officer)
    page = client.get(f"/projekte/vorschlaege/{proposal.id}").text
    assert "Zur Nachnutzung (Ergebnis vorhanden)" in page and "Fertighausen" in page
    svg = _svg(page)
    assert "km-group-map__marker--federfuehrung" in svg and ">Führstadt</text>" in svg
    assert "km-group-map__marker--nachnutzung" in svg
    cards = client.get("/projekte/vorschlaege").text
    assert f"/projekte/vorschlaege/{proposal.id}" in cards  # the card links the group's page
    assert 'href="/kommunen/' + reuse.ags + '"' in cards  # the reuse source, linked


def test_the_partner_map_marks_the_kommune_and_its_suggested_partners(app, client, login):
    own = KommuneFactory(name="Eigenheim", lat=50.80, lon=6.50)
    partner = KommuneFactory(name="Partnerstadt", lat=50.90, lon=6.40)
    officer = MembershipFactory(kommune=own).user
    db.session.commit()
    seed_suggestions(own, [{"partner": partner, "teaches_me": ["hundesteuer-digital"], "distance_km": 12.0}])
    login(officer)
    page = client.get("/vorschlaege/karte").text
    svg = _svg(page)
    assert "km-group-map__marker--selbst" in svg and ">Eigenheim</text>" in svg
    assert "km-group-map__marker--partner" in svg and ">Partnerstadt</text>" in svg
    assert "12 km" in page  # the table, the map's text alternative
    other = KommuneFactory(name="Nicht meins")
    db.session.commit()
    assert client.get(f"/vorschlaege/karte?kommune={other.id}").status_code == 403
