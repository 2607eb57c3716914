"""The Kreis Düren coordinator in Chromium (demo data): graph, coverage matrix, a proposal with its lead;
every page of projects and networks passes axe, forms with errors included."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from plattform.extensions import db
from plattform.kommunen.services import get_by_ags
from plattform.netzwerke.demo import COORDINATOR_EMAIL, COORDINATOR_PASSWORD, KDVZ_NAME
from plattform.projekte.models import ProjectProposal, SharedProject
from tests.a11y import assert_accessible
from tests.factories import MembershipFactory

pytestmark = pytest.mark.browser


def test_kreis_dueren_coordinator_sees_graph_coverage_and_a_proposal_with_lead(page, demo, tmp_path, sign_in):
    sign_in(page, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    page.get_by_role("link", name="Netzwerke").first.click()
    assert_accessible(page)
    page.get_by_role("link", name=KDVZ_NAME).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(KDVZ_NAME)
    assert_accessible(page)

    page.get_by_role("link", name="Netzwerkgraph").click()
    graph = page.locator("#netzwerk-graph")
    # The script reveals the drawing and marks how many members it drew.
    graph.wait_for(state="visible")
    assert graph.get_attribute("data-gezeichnet") == "15"
    assert graph.locator("canvas").count() > 0
    members_table = page.get_by_role(
        "table", name="Mitglieder des Netzwerks mit Verbindungen, Gruppe und Vermittlerrolle"
    )
    assert members_table.locator("tbody tr").count() == 15
    assert (
        page.get_by_role("table", name="Alle Verbindungen zwischen Mitgliedern").locator("tbody tr").count()
        >= 8
    )
    graph.screenshot(path=str(tmp_path / "kdvz-graph.png"))
    assert_accessible(page)

    page.get_by_role("link", name="Themen und Vorschläge").click()
    page.get_by_text(re.compile("Alle Themen als Tabelle anzeigen")).click()  # the matrix is folded
    coverage = page.get_by_role("table", name="Themenabdeckung: Stärken und Bedarfe der Mitglieder je Thema")
    assert coverage.locator("tbody tr").count() > 3
    # Several Hundesteuer groups are proposed in the demo region; the kdvz story is the one Kreuzau leads.
    cards = page.locator("article", has=page.get_by_role("heading", name="Hundesteuer digital")).filter(
        has_text="Federführung: Kreuzau"
    )
    assert cards.count() == 1
    card = cards.first
    assert_accessible(page)

    card.get_by_role("button", name=re.compile("Als gemeinsames Projekt anlegen")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hundesteuer digital gemeinsam")
    expect(page.get_by_role("table", name="Beteiligte und eingeladene Kommunen")).to_contain_text("Kreuzau")
    assert_accessible(page)


def test_coordinator_forms_with_errors_are_accessible(page, demo, sign_in):
    sign_in(page, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    page.goto(f"/netzwerke/{demo.id}")
    page.get_by_label("Gemeindeschlüssel (AGS)").fill("09999999")
    page.get_by_role("button", name="Einladen").click()
    expect(page.get_by_role("alert").filter(has_text="nicht im Gemeindeverzeichnis")).to_be_visible()
    assert_accessible(page)
    page.set_input_files(
        "#import-datei",
        files=[{"name": "profile.json", "mimeType": "application/json", "buffer": b'[{"ags": "08212000"}]'}],
    )
    page.get_by_role("button", name="Importieren").click()
    expect(page.get_by_role("alert").filter(has_text="nicht Mitglied dieses Netzwerks")).to_be_visible()
    assert_accessible(page)


def test_officer_pages_of_shared_projects_are_accessible(page, demo, sign_in, kreuzau_officer):
    sign_in(page, kreuzau_officer.email)

    page.goto("/projekte/vorschlaege")
    expect(page.get_by_role("heading", level=1)).to_have_text("Gemeinsame Projekte in Ihrer Nähe")
    expect(page.get_by_role("heading", name="Hundesteuer digital")).to_be_visible()
    assert_accessible(page)

    page.goto("/projekte/neu")
    page.get_by_role("button", name="Projekt anlegen").click()
    expect(page.get_by_role("alert").filter(has_text="Bitte geben Sie einen Titel an.")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Titel").fill("Digitallotsen für alle")
    page.get_by_role("button", name="Projekt anlegen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Digitallotsen für alle")
    assert_accessible(page)

    page.get_by_role("link", name="Federführung übergeben").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Federführung übergeben")
    assert_accessible(page)
    page.go_back()
    page.get_by_role("link", name="Projekt mit Ergebnis abschließen").click()
    page.get_by_role("button", name="Abschließen").click()
    expect(page.get_by_role("alert").filter(has_text="Bitte beschreiben Sie das Ergebnis.")).to_be_visible()
    assert_accessible(page)
    page.goto("/projekte/")
    expect(page.get_by_role("link", name="E-Akte im Verbund")).to_be_visible()
    assert_accessible(page)
    page.goto("/kommunen/05358028")
    expect(page.get_by_role("heading", name="Netzwerke")).to_be_visible()
    expect(page.get_by_role("heading", name="Gemeinsame Projekte")).to_be_visible()
    assert_accessible(page)


def test_graph_page_fits_a_phone_screen(browser, live_server, demo, sign_in):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="de-DE", base_url=live_server
    )
    page = context.new_page()
    sign_in(page, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)
    for path in (f"/netzwerke/{demo.id}/graph", f"/netzwerke/{demo.id}/themen", f"/netzwerke/{demo.id}"):
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, path
    context.close()


def test_a_proposal_to_join_an_existing_project_is_accessible_and_joins(page, demo, sign_in):
    # The demo's open projects (E-Akte im Verbund, Open-Data-Portal) have Kommunen nearby that need
    # the topic: they are proposed to join instead of forming a second group.
    proposal = db.session.scalars(
        sa.select(ProjectProposal).where(ProjectProposal.shared_project_id.is_not(None))
    ).first()
    assert proposal is not None
    project_id, title = proposal.shared_project_id, proposal.shared_project.titel
    kommune = proposal.member_kommunen[0]
    officer = MembershipFactory(kommune=kommune).user
    db.session.commit()
    sign_in(page, officer.email)

    page.goto("/projekte/vorschlaege")
    card = page.locator("article").filter(has=page.get_by_role("link", name=title))
    expect(card).to_contain_text("Zu diesem Thema gibt es schon ein gemeinsames Projekt in Ihrer Nähe")
    assert_accessible(page)
    card.get_by_role("button", name=re.compile(f"Dem Projekt beitreten.*{re.escape(title)}")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_text("Ihre Kommune ist dem Projekt beigetreten.")).to_be_visible()
    db.session.expire_all()
    assert db.session.get(SharedProject, project_id).has_joined(kommune.id)


def test_a_member_officer_reads_the_network_and_sorts_the_duplication_table(
    page, demo, sign_in, kreuzau_officer
):
    assert any(m.kommune_id == get_by_ags("05358028").id for m in demo.mitglieder)
    sign_in(page, kreuzau_officer.email)

    page.goto("/netzwerke/")
    page.get_by_role("link", name=KDVZ_NAME).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(KDVZ_NAME)
    expect(page.get_by_role("link", name=re.compile("^Entfernen"))).to_have_count(0)
    expect(page.get_by_role("button", name="Einladen")).to_have_count(0)
    assert_accessible(page)

    page.get_by_role("link", name="Netzwerkgraph").click()
    expect(page.locator("#netzwerk-graph")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Themen und Vorschläge").click()
    table = page.locator("table.km-duplication")
    expect(table).to_be_visible()
    expect(table.locator('th[aria-sort="descending"]')).to_contain_text("Anzahl Kommunen")
    table.get_by_role("link", name=re.compile("^Thema")).click()
    table = page.locator("table.km-duplication")
    expect(table.locator('th[aria-sort="ascending"]')).to_contain_text("Thema")
    labels = table.locator("tbody th").all_inner_texts()
    assert len(labels) >= 2 and labels == sorted(labels, key=str.lower)
    assert_accessible(page)
