"""The page shell in Chromium: the compact header (one row at 1280 px, menus, menu button at 390 px)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.a11y import assert_accessible
from tests.browser.layout import page_overflows, set_width
from tests.plattform.kontakte.helpers import make_world

pytestmark = pytest.mark.browser

# Every visible box of the header's row: the brand, each link or menu button, the account button.
_ROW_JS = """() => [...document.querySelectorAll(['.km-brand', '.km-nav__list > li > a',
    '.km-nav__list > li > .km-menu__toggle', '.km-menu--konto > .km-menu__toggle', '.km-user > a'].join(','))]
  .filter(el => el.offsetParent !== null)
  .map(el => { const r = el.getBoundingClientRect();
               return {text: el.innerText.trim(), mid: (r.top + r.bottom) / 2}; })"""


UEBERSICHT = r".*/uebersicht/$"  # where a login lands


@pytest.fixture
def world(demo_region):
    return make_world()


def _assert_one_row(page) -> None:
    boxes = page.evaluate(_ROW_JS)
    assert len(boxes) >= 5, boxes
    mids = [b["mid"] for b in boxes]
    assert max(mids) - min(mids) < 12, boxes  # all on one line, not wrapped
    header = page.locator(".km-header").bounding_box()
    assert header["height"] < 90, header  # one row of text plus padding


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_header_is_one_row_at_1280_with_menus(page, world, role, sign_in):
    user = getattr(world, role)
    set_width(page, 1280)
    sign_in(page, user.email, lands_on=UEBERSICHT)
    for path in ("/uebersicht/", "/kommunen/", "/projekte/", "/konto/"):
        page.goto(path)
        _assert_one_row(page)
    # The coordination links sit in a menu that opens and closes by keyboard.
    toggle = page.get_by_role("button", name="Koordination")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    approvals = page.get_by_role("link", name="Freigaben")
    expect(approvals).to_be_hidden()
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(approvals).to_be_visible()
    assert_accessible(page)
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(approvals).to_be_hidden()
    expect(toggle).to_be_focused()
    # The account menu carries the name; "Mein Konto" and logging out are inside.
    account = page.get_by_role("button", name=user.name)
    account.click()
    expect(account).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()
    page.get_by_role("link", name="Mein Konto").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mein Konto")


def test_officer_main_links_stay_in_the_row_at_1280(page, world, sign_in):
    set_width(page, 1280)
    sign_in(page, world.officer_a.email, lands_on=UEBERSICHT)
    _assert_one_row(page)
    for name in ("Übersicht", "Partnervorschläge", "Anfragen", "Typtest", "Suche", "Netzwerke"):
        expect(page.locator(".km-nav").get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Koordination")).to_have_count(0)


def test_menu_button_at_390_shows_the_navigation(page, world, sign_in):
    set_width(page, 390)
    sign_in(page, world.coordinator.email, lands_on=UEBERSICHT)
    menu = page.get_by_role("button", name="Menü")
    expect(menu).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "false")
    partner_link = page.locator(".km-nav").get_by_role("link", name="Partnervorschläge")
    expect(partner_link).to_be_hidden()
    assert not page_overflows(page)
    assert_accessible(page)
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(partner_link).to_be_visible()
    page.get_by_role("button", name="Koordination").click()
    expect(page.get_by_role("link", name="Profile importieren")).to_be_visible()
    assert not page_overflows(page)
    assert_accessible(page)
    partner_link.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Menü")).to_have_attribute("aria-expanded", "false")


def test_anonymous_header_at_390_and_1280(page, world):
    set_width(page, 390)
    page.goto("/")
    page.get_by_role("button", name="Menü").click()
    expect(page.get_by_role("link", name="Anmelden")).to_be_visible()
    assert_accessible(page)
    set_width(page, 1280)
    page.goto("/")
    expect(page.get_by_role("button", name="Menü")).to_be_hidden()
    expect(page.get_by_role("link", name="Anmelden")).to_be_visible()
    _assert_one_row(page)


def test_form_errors_move_the_focus_to_the_summary(page, world):
    set_width(page, 1280)
    page.goto("/konto/registrieren")
    page.get_by_label("Passwort", exact=True).fill("zu-kurz")
    page.get_by_role("button", name="Konto anlegen").click()
    summary = page.get_by_role("region", name="Bitte prüfen Sie Ihre Angaben")
    expect(summary).to_be_focused()
    assert page.title().startswith("Fehler: Registrieren")
    assert_accessible(page)
    # A link of the summary takes the focus to its field.
    summary.get_by_role("link", name="Bitte stimmen Sie den Datenschutzhinweisen zu.").click()
    expect(page.get_by_label("Ich habe die Datenschutzhinweise gelesen")).to_be_focused()
    set_width(page, 390)
    page.get_by_role("button", name="Konto anlegen").click()
    expect(page.get_by_role("region", name="Bitte prüfen Sie Ihre Angaben")).to_be_focused()
    assert not page_overflows(page)


def test_language_link_on_a_page_rendered_for_a_post(page, world):
    page.goto("/konto/anmelden")
    page.get_by_role("button", name="Anmelden").click()  # empty fields: the page comes back from the POST
    expect(page.get_by_role("region", name="Bitte prüfen Sie Ihre Angaben")).to_be_focused()
    with page.expect_navigation():
        page.get_by_role("link", name="English").click()
    assert page.url.endswith("/konto/anmelden")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    assert_accessible(page)
    page.goto("/gibt-es-nicht")
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(page.get_by_role("banner")).to_be_visible()
    assert_accessible(page)
