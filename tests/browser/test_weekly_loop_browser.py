"""The weekly loop in Chromium (demo data): the Kreis Düren coordinator opens the funnel and the
Kooperationssteckbrief of a shared project, and previews the weekly e-mail; every page passes axe.
Screenshots for docs/ go to test-artifacts/screenshots/ (ignored; copy them to docs/img/)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from plattform.extensions import db
from plattform.netzwerke.demo import COORDINATOR_EMAIL, COORDINATOR_PASSWORD, KDVZ_NAME
from plattform.projekte.models import SharedProject
from tests.a11y import assert_accessible

pytestmark = pytest.mark.browser

SHOTS = Path(
    os.environ.get("SCREENSHOT_DIR") or Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
)


@pytest.fixture
def project(demo):
    """The first shared project of the demo data set (digest subscribers included)."""
    return db.session.scalar(sa.select(SharedProject).order_by(SharedProject.id).limit(1))


def test_coordinator_funnel_brief_and_digest_preview_are_accessible(page, project, sign_in):
    SHOTS.mkdir(parents=True, exist_ok=True)
    sign_in(page, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)

    page.get_by_role("button", name="Koordination").click()  # the header's coordination menu
    page.get_by_role("link", name="Auswertung").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Auswertung: Wirkt die Plattform?")
    assert_accessible(page)
    page.get_by_role("link", name=f"Trichter für {KDVZ_NAME}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vom Vorschlag zum gemeinsamen Projekt")
    expect(page.get_by_role("img", name=re.compile("Trichter je Kalenderwoche"))).to_be_visible()
    table = page.get_by_role("table", name="Trichter je Kalenderwoche")
    assert table.locator("tbody tr").count() == 13  # twelve weeks and the total
    assert_accessible(page)
    page.screenshot(path=str(SHOTS / "trichter.png"), full_page=True)
    page.get_by_label("Zeitraum in Wochen (1 bis 104)").fill("4")
    page.get_by_role("button", name="Anzeigen").click()
    expect(table.locator("tbody tr")).to_have_count(5)

    page.goto(f"/projekte/{project.id}")
    page.get_by_role("link", name="Kooperationssteckbrief für Verwaltungsvorstand und Rat").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(project.titel)
    expect(page.get_by_role("table", name="Beteiligte Kommunen")).to_contain_text(project.lead.name)
    assert_accessible(page)
    page.screenshot(path=str(SHOTS / "steckbrief.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Als PDF herunterladen").click()
    assert download.value.suggested_filename == f"kooperationssteckbrief-projekt-{project.id}.pdf"
    page.get_by_role("link", name="English version").click()
    expect(page.get_by_role("heading", name="Who takes part")).to_be_visible()
    assert_accessible(page)
    page.goto("/digest/vorschau?lang=de")

    expect(page.get_by_role("heading", name="Gemeinsame Projekte")).to_be_visible()
    expect(page.get_by_role("heading", name="Netzwerke", exact=True)).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=str(SHOTS / "wochen-email-vorschau.png"), full_page=True)
