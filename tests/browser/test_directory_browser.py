"""A newcomer in Chromium: finds Kreuzau via search and sees its Kreis; every page passes axe."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.a11y import assert_accessible

pytestmark = pytest.mark.browser


def test_newcomer_finds_kreuzau_and_its_kreis(page, demo_region, tmp_path):
    page.goto("/")
    page.get_by_label("Name, Gemeindeschlüssel (AGS) oder Postleitzahl").fill("Kreuzau")
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Kreuzau").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kreuzau")
    page.get_by_role("link", name="Düren").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Düren")
    expect(page.get_by_role("link", name="Kreuzau")).to_be_visible()
    page.screenshot(path=str(tmp_path / "kreis-dueren.png"), full_page=True)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/kommunen/",
        "/kommunen/?q=Kreuzau",
        "/kommunen/?q=gibtsnicht",
        "/kommunen/05358028",
        "/kommunen/05358",
        "/datenschutz",
        "/impressum",
        "/kommunen/00000000",
        "/?lang=en",
    ],
)
def test_public_pages_have_no_wcag_violations(page, demo_region, path):
    page.goto(path)
    assert_accessible(page)


def test_directory_works_on_a_phone_screen(browser, live_server, demo_region):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="de-DE")
    page = context.new_page()
    page.goto(f"{live_server}/kommunen/?q=Kreuzau")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    context.close()
    assert overflow <= 0
