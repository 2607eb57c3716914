"""Two officers in Chromium become learning partners: suggestion → request → acceptance → contacts.

Kreuzau's officer and Aldenhoven's officer each use their own browser context (own cookies). The
suggestions come from the real recompute service over the two profiles. Every page passes axe, and
the screenshots for the README are written to test-artifacts/screenshots/ (`make screenshots` copies
them to docs/img/).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from matching.profiles import ProfileData
from plattform.extensions import db
from plattform.profile.services import save_profile
from plattform.vorschlaege.services import current_suggestions, recompute_full
from tests.a11y import assert_accessible
from tests.browser.guard import allow_only
from tests.browser.layout import WIDTHS, box, clipped, page_overflows
from tests.plattform.kontakte.helpers import ALDENHOVEN, KREUZAU, make_world

pytestmark = pytest.mark.browser

# Screenshots go to an ignored folder (the test run leaves the git tree clean); `make screenshots`
# runs these tests and copies them to docs/img/ for the README.
IMG = Path(
    os.environ.get("SCREENSHOT_DIR") or Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
)


@pytest.fixture
def contexts(browser, live_server):
    """New browser contexts that may only talk to the live server; closed and checked afterwards."""
    made = []

    def new(**kwargs):
        context = browser.new_context(locale="de-DE", base_url=live_server, **kwargs)
        made.append((context, allow_only(context, live_server)))
        return context.new_page()

    yield new
    for context, _foreign in made:
        context.close()
    foreign = [url for _context, urls in made for url in urls]
    assert not foreign, f"Anfragen an fremde Hosts: {foreign}"


@pytest.fixture
def partners(demo_region):
    """Kreuzau wants Digitallotsen and is good at E-Akte; Aldenhoven the other way round."""
    world = make_world()
    save_profile(
        world.a,
        ProfileData(
            ags=KREUZAU,
            ziele=("effizienz", "rechtliche-vorgaben", "foerdermittel"),
            staerken={"e-akte": 3, "e-rechnung": 2},
            bedarfe={"digitallotsen": 3, "online-beteiligung": 2},
            offen_fuer=("lernpartnerschaft",),
        ),
        notify=False,
    )
    save_profile(
        world.b,
        ProfileData(
            ags=ALDENHOVEN,
            ziele=("buergernaehe", "zivilgesellschaft", "attraktivitaet"),
            staerken={"digitallotsen": 3, "online-beteiligung": 2},
            bedarfe={"e-akte": 3},
            offen_fuer=("lernpartnerschaft",),
        ),
        notify=False,
    )
    db.session.commit()
    recompute_full()
    assert ALDENHOVEN in {s.partner.ags for s in current_suggestions(world.a.id)}
    return world


def test_two_officers_become_learning_partners(contexts, partners, sign_in):
    IMG.mkdir(parents=True, exist_ok=True)
    kreuzau = contexts()
    sign_in(kreuzau, partners.officer_a)

    # 1. Kreuzau sees Aldenhoven among its suggestions, with the reason.
    kreuzau.get_by_role("link", name="Partnervorschläge", exact=True).click()
    expect(kreuzau.get_by_role("heading", level=1)).to_have_text("Vorschläge für Kreuzau")
    card = kreuzau.locator("li.km-suggestion", has=kreuzau.get_by_role("heading", name="Aldenhoven"))
    reason = card.locator(".km-reason")
    expect(reason).to_contain_text("Kreuzau kann von Aldenhoven in den Themen „Digitallotsen“ und")
    expect(reason).to_contain_text("im Gegenzug kann Aldenhoven von Kreuzau im Thema „DMS/E-Akte“ lernen")
    expect(card.locator(".km-fit")).to_have_text("Passt sehr gut")
    expect(card.get_by_text("Kreuzau lernt von Aldenhoven")).to_be_hidden()  # the details wait until asked
    card.get_by_text("Alle Gründe").click()
    expect(card.get_by_text("Kreuzau lernt von Aldenhoven")).to_be_visible()
    assert_accessible(kreuzau)
    kreuzau.screenshot(path=str(IMG / "dashboard.png"), full_page=True)

    # 2. The request form: first sent empty (error state), then with a message.
    card.get_by_role("link", name="Kontakt anfragen").click()
    expect(kreuzau.get_by_role("heading", level=1)).to_have_text("Kontakt aufnehmen")
    assert_accessible(kreuzau)
    kreuzau.get_by_role("button", name="Anfrage senden").click()
    expect(kreuzau.get_by_role("alert").first).to_have_text("Bitte schreiben Sie eine kurze Nachricht.")
    assert_accessible(kreuzau)
    kreuzau.get_by_label("Ihre Nachricht").fill(
        "Guten Tag, wir möchten Digitallotsen ausbilden und würden gern von Ihren Erfahrungen lernen. "
        "Im Gegenzug zeigen wir Ihnen gern unsere E-Akte."
    )
    kreuzau.screenshot(path=str(IMG / "anfrage.png"), full_page=True)
    kreuzau.get_by_role("button", name="Anfrage senden").click()
    expect(kreuzau.get_by_text("Ihre Anfrage an Aldenhoven wurde gesendet.")).to_be_visible()
    assert "bernd.aldenhoff@aldenhoven.de" not in kreuzau.content()
    assert_accessible(kreuzau)

    # 3. Aldenhoven's officer, in a second browser, sees the request and accepts it.
    aldenhoven = contexts()
    sign_in(aldenhoven, partners.officer_b)
    aldenhoven.get_by_role("link", name="Anfragen", exact=True).click()
    row = aldenhoven.get_by_role("row", name="Kreuzau")
    expect(row).to_contain_text("Digitallotsen")
    assert "anna.kreuzer@kreuzau.de" not in aldenhoven.content()
    assert_accessible(aldenhoven)
    aldenhoven.screenshot(path=str(IMG / "anfragen.png"), full_page=True)
    # The request page tells Aldenhoven why Kreuzau fits, from Aldenhoven's side, and links Kreuzau.
    row.get_by_role("link", name="Ansehen").click()
    fit = aldenhoven.locator(
        "section", has=aldenhoven.get_by_role("heading", name="Warum Kreuzau zu Aldenhoven passt")
    )
    expect(fit.locator(".km-reason")).to_contain_text(
        "Aldenhoven kann von Kreuzau im Thema „DMS/E-Akte“ lernen"
    )
    expect(aldenhoven.get_by_role("link", name="Kreuzau", exact=True)).to_have_attribute(
        "href", f"/kommunen/{KREUZAU}"
    )
    assert_accessible(aldenhoven)
    aldenhoven.go_back()
    row.get_by_role("button", name="Annehmen").click()
    expect(aldenhoven.get_by_text("Sie sind jetzt Lernpartner von Kreuzau.")).to_be_visible()
    expect(aldenhoven.get_by_role("link", name="anna.kreuzer@kreuzau.de")).to_be_visible()
    expect(aldenhoven.get_by_text("02422 507-100")).to_be_visible()
    assert_accessible(aldenhoven)
    aldenhoven.screenshot(path=str(IMG / "partnerschaft.png"), full_page=True)

    # 4. Kreuzau now sees Aldenhoven's contacts, and the partnership on both Kommune pages.
    kreuzau.get_by_role("link", name="Anfragen", exact=True).click()
    expect(kreuzau.get_by_role("link", name="bernd.aldenhoff@aldenhoven.de")).to_be_visible()
    assert "paul.wartend@aldenhoven.de" not in kreuzau.content()
    assert_accessible(kreuzau)
    kreuzau.goto(f"/kommunen/{KREUZAU}")
    section = kreuzau.locator("section", has=kreuzau.get_by_role("heading", name="Lernpartnerschaften"))
    expect(section.get_by_role("link", name="Aldenhoven")).to_be_visible()
    assert_accessible(kreuzau)
    kreuzau.goto(f"/kommunen/{ALDENHOVEN}")
    section = kreuzau.locator("section", has=kreuzau.get_by_role("heading", name="Lernpartnerschaften"))
    expect(section.get_by_role("link", name="Kreuzau")).to_be_visible()
    expect(section.get_by_role("link", name="bernd.aldenhoff@aldenhoven.de")).to_be_visible()
    assert_accessible(kreuzau)

    # 5. The accepted partner is no longer suggested.
    kreuzau.get_by_role("link", name="Partnervorschläge", exact=True).click()
    assert (
        kreuzau.locator("li.km-suggestion", has=kreuzau.get_by_role("heading", name="Aldenhoven")).count()
        == 0
    )
    assert_accessible(kreuzau)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_first_cards_actions_are_above_the_fold(contexts, partners, width, sign_in):
    """The partner's name, the fit, one reason and "Kontakt anfragen" of the first card fit the first
    screen of an office display (1280×900); on a phone nothing is clipped or wider than the screen."""
    page = contexts(viewport={"width": width, "height": 900})
    sign_in(page, partners.officer_a)
    page.goto("/vorschlaege/")
    first = "li.km-suggestion:first-child"
    button = box(page, f"{first} .km-actions .kern-btn--primary")
    heading = box(page, f"{first} h2")
    if width == 1280:
        assert button["y"] + button["height"] <= 900, button
    assert heading["y"] < box(page, f"{first} .km-reason")["y"] < button["y"]
    assert clipped(page, ".km-suggestion .kern-btn, .km-suggestion h2, .km-fit .kern-badge") == []
    assert not page_overflows(page)
    assert_accessible(page)


def test_empty_dashboard_explains_what_to_do(contexts, demo_region, sign_in):
    world = make_world()  # no recompute yet
    page = contexts()
    sign_in(page, world.officer_c)
    page.get_by_role("link", name="Partnervorschläge", exact=True).click()
    expect(page.get_by_role("heading", name="Noch keine Vorschläge")).to_be_visible()
    expect(page.get_by_text("jede Nacht neu berechnet")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Anfragen", exact=True).click()
    expect(page.get_by_text("Noch keine Anfragen an Ihre Kommune.")).to_be_visible()
    assert_accessible(page)


def test_search_with_and_without_results(contexts, partners, sign_in):
    IMG.mkdir(parents=True, exist_ok=True)
    page = contexts()
    sign_in(page, partners.officer_c)
    page.get_by_role("link", name="Suche", exact=True).click()
    page.get_by_label("Thema", exact=True).select_option("digitallotsen")
    page.get_by_label("Thema als").select_option("staerke")
    page.get_by_label("Höchstens so viele km entfernt").fill("40")
    page.get_by_role("button", name="Suchen").click()
    expect(page.get_by_text("1 Kommune gefunden")).to_be_visible()
    expect(page.get_by_role("row", name="Aldenhoven")).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=str(IMG / "suche.png"), full_page=True)

    page.get_by_label("Land").select_option(label="Baden-Württemberg")
    page.get_by_role("button", name="Suchen").click()
    expect(page.get_by_text("0 Kommunen gefunden")).to_be_visible()
    assert_accessible(page)

    page.goto("/suche/?max_km=0")
    expect(page.get_by_role("alert").first).to_be_visible()
    assert_accessible(page)


def test_dashboard_and_search_fit_a_phone_screen(contexts, partners, sign_in):
    page = contexts(viewport={"width": 360, "height": 740})
    sign_in(page, partners.officer_a)
    for path in ("/vorschlaege/", "/suche/", "/kontakte/", f"/kontakte/anfrage/neu/{ALDENHOVEN}"):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0, path


def test_after_a_profile_edit_the_dashboard_says_it_is_being_recomputed(
    contexts, partners, app, monkeypatch, sign_in
):
    """With the worker stopped, the dashboard says "wird neu berechnet" and shows no reason that
    names the removed need; once the worker has answered, the reasons are back."""
    from plattform.vorschlaege.services import recompute_kommunen

    monkeypatch.setattr(app.extensions["celery"].conf, "task_always_eager", False)
    save_profile(
        partners.a,
        ProfileData(ags=KREUZAU, staerken={"e-akte": 3, "e-rechnung": 2}, bedarfe={"online-beteiligung": 2}),
    )
    db.session.commit()
    page = contexts()
    sign_in(page, partners.officer_a)
    page.goto("/vorschlaege/")
    expect(page.locator(".km-stand")).to_contain_text("wird neu berechnet")
    expect(page.locator(".km-pending")).to_be_visible()
    card = page.locator("li.km-suggestion", has=page.get_by_role("heading", name="Aldenhoven"))
    expect(card).not_to_contain_text("Digitallotsen")
    expect(card.locator(".km-stale")).to_be_visible()
    assert_accessible(page)

    recompute_kommunen([partners.a.id])  # the worker answers
    page.reload()
    expect(page.locator(".km-stand")).not_to_contain_text("wird neu berechnet")
    expect(page.locator(".km-pending")).to_have_count(0)
    card = page.locator("li.km-suggestion", has=page.get_by_role("heading", name="Aldenhoven"))
    expect(card.locator(".km-reason")).to_contain_text("im Thema „Online-Beteiligung")
    assert_accessible(page)
