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

from plattform.core.demo import seed_demo
from plattform.extensions import db
from plattform.netzwerke.demo import COORDINATOR_EMAIL, COORDINATOR_PASSWORD, KDVZ_NAME
from plattform.projekte.models import SharedProject
from tests.a11y import assert_accessible

pytestmark = pytest.mark.browser

SHOTS = Path(
    os.environ.get("SCREENSHOT_DIR") or Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
)


@pytest.fixture
def demo(app):
    """The full demo data set, as `flask demo seed` builds it (digest subscribers included)."""
    for _line in seed_demo():
        pass
    db.session.commit()
    lead = db.session.scalar(sa.select(SharedProject).order_by(SharedProject.id).limit(1))
    return lead


def _login(page, email: str, password: str) -> None:
    page.goto("/konto/anmelden")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort", exact=True).fill(password)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(re.compile(r".*/$"))


def test_coordinator_funnel_brief_and_digest_preview_are_accessible(page, demo):
    SHOTS.mkdir(parents=True, exist_ok=True)
    _login(page, COORDINATOR_EMAIL, COORDINATOR_PASSWORD)

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

    page.goto(f"/projekte/{demo.id}")
    page.get_by_role("link", name="Kooperationssteckbrief für Verwaltungsvorstand und Rat").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(demo.titel)
    expect(page.get_by_role("table", name="Beteiligte Kommunen")).to_contain_text(demo.lead.name)
    assert_accessible(page)
    page.screenshot(path=str(SHOTS / "steckbrief.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Als PDF herunterladen").click()
    assert download.value.suggested_filename == f"kooperationssteckbrief-projekt-{demo.id}.pdf"
    page.get_by_role("link", name="English version").click()
    expect(page.get_by_role("heading", name="Who takes part")).to_be_visible()
    assert_accessible(page)
    page.goto("/digest/vorschau?lang=de")

    expect(page.get_by_role("heading", name="Gemeinsame Projekte")).to_be_visible()
    expect(page.get_by_role("heading", name="Netzwerke", exact=True)).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=str(SHOTS / "wochen-email-vorschau.png"), full_page=True)
