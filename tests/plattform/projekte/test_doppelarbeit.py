"""/projekte/doppelarbeit: duplication per Kreis and Land as sortable tables (issue 15 item 2)."""

from __future__ import annotations

import re

from plattform.extensions import db
from plattform.projekte.models import ProjectDuplication
from plattform.projekte.proposals import recompute
from tests.factories import KommuneFactory, MembershipFactory, UserFactory
from tests.plattform.projekte.scenarios import HUND, ring_scenario


def _rows(html: str) -> list[str]:
    table = html.split('class="kern-table kern-table--striped km-duplication"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<th scope="row" class="kern-table__cell">([^<]+)</th>', table)


def _kreis_scenario():
    kreis, ring, experienced, _far = ring_scenario()
    # A second topic worked on separately by two ring Kommunen, for the sorting.
    from matching.profiles import ProfileData
    from plattform.profile.services import save_profile

    for k in ring[:2]:
        data = ProfileData(ags=k.ags, bedarfe={HUND: 2, "e-akte": 2}, reichweite_km=40)
        save_profile(k, data, notify=False)
    db.session.commit()
    recompute()
    return kreis, ring, experienced


def test_a_kreis_coordinator_reads_the_kreis_table_with_who_is_experienced(app, client, login):
    kreis, _ring, _experienced = _kreis_scenario()
    coordinator = MembershipFactory(kommune=kreis, role="koordination").user
    db.session.commit()
    login(coordinator)

    response = client.get("/projekte/doppelarbeit")
    assert response.status_code == 200
    html = response.text
    assert "Themen mit Doppelarbeit: Kreis Düren" in html
    assert _rows(html) == ["Hundesteuer digital", "DMS/E-Akte"]  # most Kommunen first
    row = html.split("Hundesteuer digital</th>", 1)[1].split("</tr>", 1)[0]
    assert ">8<" in row  # the whole ring: the experienced Kommune runs its own project
    assert "Ringgemeinde 0" in row and "Ringgemeinde 3" in row  # Kommunen, and who is experienced
    assert f"/projekte/neu?thema={HUND}" in row
    assert 'aria-sort="descending"' in html
    assert "Stand: " in html

    by_topic = client.get("/projekte/doppelarbeit?sort=thema&richtung=auf").text
    assert _rows(by_topic) == ["DMS/E-Akte", "Hundesteuer digital"]
    assert 'aria-sort="ascending"' in by_topic


def test_members_and_other_kreise_are_refused(app, client, login):
    kreis, ring, _ = _kreis_scenario()
    member = MembershipFactory(kommune=ring[0]).user
    other_kreis = KommuneFactory(ags="05999", ebene="kreis", kind="kreis", name="Anders")
    coordinator = MembershipFactory(kommune=other_kreis, role="koordination").user
    db.session.commit()

    login(member)
    assert client.get("/projekte/doppelarbeit").status_code == 403
    client.post("/konto/abmelden")
    login(coordinator)
    assert client.get(f"/projekte/doppelarbeit?gebiet={kreis.ags}").status_code == 403
    land = ring[0].land_schluessel
    assert client.get(f"/projekte/doppelarbeit?ebene=land&gebiet={land}").status_code == 403
    own = client.get("/projekte/doppelarbeit")
    assert own.status_code == 200 and "Ringgemeinde" not in own.text


def test_an_administrator_chooses_a_kreis_or_a_land(app, client, login):
    kreis, _ring, _ = _kreis_scenario()
    admin = UserFactory(is_admin=True)
    db.session.commit()
    login(admin)
    land = db.session.query(ProjectDuplication).filter_by(ebene="land").first()
    assert land is not None  # the Land level is computed …
    page = client.get(f"/projekte/doppelarbeit?ebene=land&gebiet={land.group_key}")
    assert page.status_code == 200  # … and shown
    assert f"Themen mit Doppelarbeit: {land.group_name}" in page.text
    assert "Hundesteuer digital" in _rows(page.text)
    kreis_page = client.get(f"/projekte/doppelarbeit?ebene=kreis&gebiet={kreis.ags}")
    assert "Kreis Düren" in kreis_page.text and _rows(kreis_page.text)
    assert client.get("/projekte/doppelarbeit?ebene=kreis&gebiet=01234").status_code == 404
    assert client.get("/projekte/doppelarbeit?ebene=gemeinde").status_code == 404
