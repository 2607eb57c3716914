"""A newcomer in Chromium: logs in, takes the type test, fills the profile (with a mistake on the way)
and sees it on the Kommune page; every page passes axe. The type test also works by keyboard alone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from plattform.extensions import db
from plattform.kommunen.services import get_by_ags
from plattform.profile.services import apply_type_test
from tests.a11y import assert_accessible
from tests.browser.layout import clipped, overlaps, page_height, page_overflows, set_width
from tests.factories import MembershipFactory

pytestmark = pytest.mark.browser

KREUZAU = "05358028"


def test_newcomer_takes_the_type_test_and_fills_the_profile(page, demo_region, tmp_path, sign_in):
    user = MembershipFactory(kommune=get_by_ags(KREUZAU)).user
    db.session.commit()
    sign_in(page, user.email)

    page.get_by_role("link", name="Typtest").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Typtest"))
    assert_accessible(page)
    page.get_by_label("Wichtigstes Ziel", exact=True).select_option(
        label="Bürgernahe und offene Verwaltung stärken"
    )
    page.get_by_label("Zweitwichtigstes Ziel").select_option(label="Attraktivität der Kommune stärken")
    page.get_by_label("Drittwichtigstes Ziel").select_option(
        label="Effizienz und Effektivität der Verwaltung erhöhen"
    )
    assert page.get_by_label("Ergebnis speichern für").input_value() == ""  # never preselected
    page.get_by_label("Ergebnis speichern für").select_option(KREUZAU)
    page.get_by_role("button", name="Ergebnis anzeigen").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Die Serviceorientierten")
    expect(page.get_by_text("Wir l(i)eben und gestalten Service!").first).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Profil von Kreuzau ausfüllen").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Profil bearbeiten: Kreuzau")
    assert page.locator(".km-estimated").count() > 0  # the estimate is marked until saved
    assert_accessible(page)
    mitarbeitende = page.locator("details.km-topic-group", has_text="Mitarbeitende")
    if mitarbeitende.get_attribute("open") is None:
        mitarbeitende.locator("summary").click()
    page.get_by_label("Digitallotsen: Kreuzau möchte lernen").select_option(label="hoch")
    page.get_by_label("Verwaltungshandeln").check()
    page.get_by_label("Reichweite in km").fill("dreißig")
    page.get_by_role("group", name="Projekt 1").get_by_label("Thema").select_option(label="Digitallotsen")
    page.get_by_role("group", name="Projekt 1").get_by_label("Titel").fill("Team von Digitallotsen aufbauen")
    page.get_by_role("button", name="Profil speichern").click()

    error = page.locator("#reichweite_km-fehler")
    expect(error).to_contain_text("keine Zahl")
    assert page.get_by_label("Reichweite in km").get_attribute("aria-invalid") == "true"
    assert_accessible(page)
    page.get_by_label("Reichweite in km").fill("30")
    page.get_by_role("button", name="Profil speichern").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Kreuzau")
    profile = page.locator("section.km-profile")
    expect(profile).to_contain_text("Digitallotsen")
    expect(profile.locator("tr", has_text="Digitallotsen")).to_contain_text("hoch")
    expect(profile).not_to_contain_text("Priorität")
    expect(profile).to_contain_text("Team von Digitallotsen aufbauen")
    expect(profile).not_to_contain_text("geschätzt")
    expect(profile).to_contain_text("30 km")
    assert_accessible(page)
    page.screenshot(path=str(tmp_path / "kreuzau-profil.png"), full_page=True)


def test_type_test_by_keyboard_alone(page, demo_region):
    page.goto("/profil/typtest")
    page.locator("#ziel_1").focus()
    page.keyboard.press("K")  # type-ahead: "Kommunale Daseinsvorsorge weiterentwickeln"
    assert page.locator("#ziel_1").input_value() == "daseinsvorsorge"
    page.keyboard.press("Tab")
    page.keyboard.press("W")
    assert page.locator("#ziel_2").input_value() == "wirtschaft"
    page.keyboard.press("Tab")
    page.keyboard.press("I")
    assert page.locator("#ziel_3").input_value() == "innovation"
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type") == "submit":
            break
    page.keyboard.press("Enter")
    page.wait_for_url("**/typtest/ergebnis**")
    expect(page.get_by_role("heading", level=1)).to_have_text("Die Community Manager")


def test_type_test_errors_in_the_browser_are_accessible(page, demo_region):
    page.goto("/profil/typtest")
    page.get_by_label("Wichtigstes Ziel", exact=True).select_option("effizienz")
    page.get_by_label("Zweitwichtigstes Ziel").select_option("effizienz")
    page.get_by_role("button", name="Ergebnis anzeigen").click()
    expect(page.locator("#ziel_2-fehler")).to_contain_text("mehrfach ausgewählt")
    assert_accessible(page)
    page.get_by_label("Zweitwichtigstes Ziel").select_option("")
    page.get_by_label("Wichtigstes Ziel", exact=True).select_option("")
    page.get_by_role("button", name="Ergebnis anzeigen").click()
    expect(page.locator("#ziele-fehler")).to_contain_text("mindestens ein")
    assert_accessible(page)


def test_profile_pages_fit_a_phone_screen(browser, live_server, demo_region):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="de-DE")
    page = context.new_page()
    overflow = {}
    for path in ("/profil/typtest", "/profil/typtest/ergebnis?ziel=effizienz&ziel=daseinsvorsorge"):
        page.goto(f"{live_server}{path}")
        overflow[path] = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    context.close()
    assert all(v <= 0 for v in overflow.values()), overflow


def test_coordinator_uploads_a_spreadsheet_sees_every_error_then_what_changed(page, demo_region, sign_in):
    from tests.factories import MembershipFactory as Membership

    coordinator = Membership(kommune=get_by_ags("05358"), role="koordination").user
    db.session.commit()
    sign_in(page, coordinator.email)
    page.get_by_role("button", name="Koordination").click()  # the header's coordination menu
    page.get_by_role("link", name="Profile importieren").click()
    assert_accessible(page)

    bad = b"AGS;Ziel 1;staerke:fim\n05358028;effizienz;4\n05358004;frieden;2\n"
    page.get_by_label("Datei mit Profilen").set_input_files(
        files=[{"name": "mitglieder.csv", "mimeType": "text/csv", "buffer": bad}]
    )
    page.get_by_role("button", name="Importieren").click()
    errors = page.locator("#import-fehler")
    assert "mitglieder.csv: 2 Fehler, nichts wurde importiert" in errors.inner_text()
    assert errors.locator("li").count() == 2
    assert "Zeile 3, Spalte B (Ziel 1)" in errors.inner_text()
    assert_accessible(page)

    good = b"AGS;Ziel 1;staerke:fim\n05358028;effizienz;3\n05358004;buergernaehe;2\n"
    page.get_by_label("Datei mit Profilen").set_input_files(
        files=[{"name": "mitglieder.csv", "mimeType": "text/csv", "buffer": good}]
    )
    page.get_by_role("button", name="Importieren").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Import von mitglieder.csv"
    assert (
        "Import abgeschlossen: 2 neu, 0 geändert, 0 unverändert." in page.get_by_role("status").inner_text()
    )
    assert page.get_by_text("Neu angelegt (2)").is_visible()
    assert_accessible(page)


# The editor before issue 14 (a fieldset per topic, 97 stacked fields) for the same Kreuzau with its
# type-test estimate: 6,803 px high at 1280 px, 12,463 px at 390 px (and wider than the phone).
HEIGHT_BEFORE = {1280: 6803, 390: 12463}

# A select whose word does not fit its box is cut off ("kein Bed…"): compare the text, in the select's
# own font, with the room inside the select: every option of a level select (any may be chosen), the
# chosen option of the others.
_SELECTS_TOO_NARROW_JS = """() => {
  const ctx = document.createElement('canvas').getContext('2d');
  return [...document.querySelectorAll('main select')].filter(el => el.offsetParent !== null
      && !el.closest('details:not([open])')).filter(el => {
    const style = getComputedStyle(el);
    ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const options = el.closest('.km-level') ? [...el.options] : [el.options[el.selectedIndex]];
    const widest = Math.max(...options.map(o => ctx.measureText(o.text).width));
    const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return widest > room + 1;
  }).map(el => el.id);
}"""


def _open_all_groups(page) -> None:
    page.evaluate(
        "() => document.querySelectorAll('details.km-topic-group').forEach(d => { d.open = true; })"
    )


def test_profile_editor_is_one_compact_row_per_topic_at_every_width(page, demo_region, sign_in):
    kreuzau = get_by_ags(KREUZAU)
    user = MembershipFactory(kommune=kreuzau).user
    apply_type_test(kreuzau, ["buergernaehe", "attraktivitaet", "effizienz"])
    db.session.commit()
    sign_in(page, user.email)
    page.goto(f"/profil/{KREUZAU}/bearbeiten")
    expect(page.get_by_role("heading", level=1)).to_have_text("Profil bearbeiten: Kreuzau")

    # The Kommune speaks, levels are words, and what is filled is summed up.
    summary = page.locator("#ausgefuellt")
    expect(summary).to_have_text(
        re.compile(r"^Ausgefüllt: \d+ Stärken?, \d+ Bedarfe?, 0 Handlungsfelder, 0 Projekte$")
    )
    assert "ich" not in page.locator("section[aria-labelledby=themen]").inner_text().split()
    row = page.locator("tr.km-topic-row", has_text="OZG und EfA-Nachnutzung")
    assert row.locator("select").nth(0).inner_text().split("\n")[:4] == [
        "keine",
        "Grundlagen",
        "Erfahrung",
        "Expertise",
    ]
    expect(page.get_by_label("OZG und EfA-Nachnutzung: Kreuzau kann anderen zeigen")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Stärke: Kreuzau kann anderen zeigen").first).to_be_visible()
    # Groups with values are open, the others folded.
    groups = page.locator("details.km-topic-group")
    opened = [groups.nth(i).get_attribute("open") is not None for i in range(groups.count())]
    assert any(opened) and not all(opened)
    assert page.locator("details.km-topic-group:not([open])", has_text="noch nichts eingetragen").count() > 0

    heights = {}
    for width in (1280, 390, 320):
        set_width(page, width)
        heights[width] = page_height(page)
        _open_all_groups(page)
        assert not page_overflows(page), width
        assert overlaps(page, "main legend, main summary, main tbody th", "main label") == [], width
        assert overlaps(page, "main label", "main select, main input") == [], width
        assert clipped(page, "main .kern-btn, main select, main input") == [], width
        assert page.evaluate(_SELECTS_TOO_NARROW_JS) == [], width
        page.reload()
    assert_accessible(page)
    print(f"Höhe des Profileditors: {heights} px (vorher {HEIGHT_BEFORE})")
    assert heights[1280] < HEIGHT_BEFORE[1280] and heights[390] < HEIGHT_BEFORE[390], heights


def test_type_test_asks_before_replacing_the_kommunes_type(page, demo_region, sign_in):
    kreuzau = get_by_ags(KREUZAU)
    user = MembershipFactory(kommune=kreuzau).user
    apply_type_test(kreuzau, ["effizienz", "leistungsangebot"])
    db.session.commit()
    sign_in(page, user.email)
    page.goto(f"/profil/typtest?ags={KREUZAU}")
    assert page.get_by_label("Ergebnis speichern für").input_value() == ""
    page.get_by_label("Wichtigstes Ziel", exact=True).select_option("buergernaehe")
    page.get_by_label("Zweitwichtigstes Ziel").select_option("attraktivitaet")
    page.get_by_label("Drittwichtigstes Ziel").select_option("")
    page.get_by_label("Ergebnis speichern für").select_option(KREUZAU)
    page.get_by_role("button", name="Ergebnis anzeigen").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Typ ersetzen?")
    expect(page.locator("main")).to_contain_text("Die Optimierer")
    expect(page.locator("main")).to_contain_text("Die Serviceorientierten")
    assert_accessible(page)
    page.get_by_role("button", name="Typ ersetzen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Die Serviceorientierten")
    db.session.expire_all()
    from plattform.profile.services import get_profile

    assert get_profile(kreuzau.id).typ == "serviceorientierte"
