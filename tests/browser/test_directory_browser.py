"""A newcomer in Chromium: finds Kreuzau via search and sees its Kreis; every page passes axe."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.a11y import assert_accessible
from tests.browser.layout import WIDTHS, clipped, overlaps, page_overflows, set_width

pytestmark = pytest.mark.browser


def test_newcomer_finds_kreuzau_and_its_kreis(page, demo_region, tmp_path):
    page.goto("/")
    page.get_by_label("Name, Gemeindeschlüssel (AGS) oder Postleitzahl").fill("Kreuzau")
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Kreuzau").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kreuzau")
    page.get_by_role("link", name="Düren").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kreis Düren")
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
        "/kommunen/08212",
        "/suche/?q=düren",
        "/suche/?ebene=kreis",
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


def test_search_finds_kreuzau_by_name_and_tells_kreise_from_gemeinden(page, demo_region):
    """The README tour: under "Suche", type Kreuzau; Kreise and Gemeinden apart; fits 1280 and 390 px."""
    page.goto("/suche/")  # the header's "Suche" (its menus are another change's)
    page.get_by_label("Name, Gemeindeschlüssel (AGS) oder Postleitzahl").fill("Kreuzau")
    page.get_by_role("button", name="Suchen").click()
    expect(page.get_by_role("status").first).to_have_text("1 Kommune gefunden")
    row = page.get_by_role("row", name="Kreuzau")
    expect(row).to_contain_text("Gemeinde")
    expect(row).to_contain_text("Kreis Düren")

    page.get_by_label("Name, Gemeindeschlüssel (AGS) oder Postleitzahl").fill("Düren")
    page.get_by_label("Ebene").select_option(label="nur Kreise")
    page.get_by_role("button", name="Suchen").click()
    expect(page.get_by_role("status").first).to_have_text("1 Kommune gefunden")
    expect(page.get_by_role("row", name="Kreis Düren")).to_contain_text("Kreis")
    for width in WIDTHS:
        set_width(page, width)
        assert not page_overflows(page), width
        assert overlaps(page, "main label", "main input, main select") == [], width
        assert clipped(page, "main .kern-btn") == [], width
    assert_accessible(page)
