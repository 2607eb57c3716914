"""Accounts in Chromium: a new officer registers, confirms by the mailed link, asks to speak for
Kreuzau, an administrator approves, and the officer sees it. Every accounts page passes axe-core
(WCAG 2.1 A/AA), logged out, logged in and in error states."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from plattform.extensions import db
from tests.a11y import assert_accessible
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from tests.plattform.accounts.mailbox import link_path, messages_to, parse

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Kreuzau-digital-2026"


@pytest.fixture
def app_config(app_config):
    """Rate limits on, as in production (the 429 page is checked too)."""
    return {**app_config, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"}


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    """The limiter's memory storage outlives an app; start every test with empty counters."""
    from plattform.extensions import limiter

    limiter.reset()


def log_in(page, email, password=PASSWORD):
    page.goto("/konto/anmelden")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort", exact=True).fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Anmelden").click()


def test_register_confirm_request_membership_and_admin_approves(
    browser, live_server, page, demo_region, smtp_server, tmp_path
):
    admin = UserFactory(email="admin@kommunalmatch-betrieb.de", name="Ada Admin", is_admin=True)
    db.session.commit()

    # Register, first with mistakes: errors next to the fields.
    page.goto("/")
    page.get_by_role("link", name="Anmelden").click()
    page.get_by_role("link", name="Noch kein Konto? Jetzt registrieren").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Registrieren")
    assert_accessible(page)
    page.get_by_label("Vor- und Nachname").fill("Karla Kreuzer")
    page.get_by_label("Dienstliche E-Mail-Adresse").fill("karla.kreuzer@kreuzau.de")
    page.get_by_label("Passwort", exact=True).fill("zu-kurz")
    page.get_by_role("button", name="Konto anlegen").click()
    expect(page.get_by_text("mindestens 12 Zeichen").first).to_be_visible()
    expect(page.get_by_text("Bitte stimmen Sie den Datenschutzhinweisen zu.").first).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Funktion").fill("Digitalisierungsbeauftragte")
    page.get_by_label("Passwort", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Passwort wiederholen").fill(NEW_PASSWORD)
    page.get_by_label("Ich habe die Datenschutzhinweise gelesen").check()
    page.get_by_role("button", name="Konto anlegen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bitte bestätigen Sie Ihre E-Mail-Adresse")
    assert_accessible(page)

    # Logging in before confirming explains why not and offers a new link.
    log_in(page, "karla.kreuzer@kreuzau.de", NEW_PASSWORD)
    expect(page.get_by_text("Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse")).to_be_visible()
    expect(page.get_by_role("button", name="Link erneut senden")).to_be_visible()
    assert_accessible(page)

    # The link from the real SMTP server confirms the address.
    (mail,) = messages_to(smtp_server, "karla.kreuzer@kreuzau.de")
    page.goto(link_path(mail, "/konto/bestaetigen/"))
    expect(page.get_by_text("Ihre E-Mail-Adresse ist bestätigt.")).to_be_visible()
    assert_accessible(page)
    log_in(page, "karla.kreuzer@kreuzau.de", NEW_PASSWORD)

    # Ask to speak for Kreuzau.
    page.get_by_role("button", name="Karla Kreuzer").click()  # the account menu of the header
    page.get_by_role("link", name="Mein Konto").click()
    expect(page.get_by_text("Solange keine Mitgliedschaft bestätigt ist")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Für eine Kommune sprechen").click()
    page.get_by_label("Name oder Gemeindeschlüssel (AGS)").fill("Kreuzau")
    page.get_by_role("button", name="Suchen").click()
    expect(page.get_by_role("link", name="Auswählen: Kreuzau (05358028)")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Auswählen: Kreuzau (05358028)").click()
    expect(page.get_by_role("heading", level=2)).to_have_text("Anfrage für Kreuzau")
    assert_accessible(page)
    page.get_by_label("Nachricht an die Freigabe").fill(
        "Ich bin die Digitalisierungsbeauftragte von Kreuzau."
    )
    page.get_by_role("button", name="Anfrage senden").click()
    expect(page.get_by_text("Ihre Anfrage für Kreuzau ist eingegangen")).to_be_visible()
    row = page.get_by_role("row", name="Kreuzau")
    expect(row).to_contain_text("beantragt – wartet auf Freigabe")
    assert_accessible(page)

    # The administrator approves in another browser.
    (notice,) = messages_to(smtp_server, admin.email)
    admin_context = browser.new_context(locale="de-DE", base_url=live_server)
    admin_page = admin_context.new_page()
    log_in(admin_page, admin.email)
    admin_page.goto(link_path(notice, "/freigaben/"))
    assert "Ich bin die Digitalisierungsbeauftragte von Kreuzau." in admin_page.content()
    assert_accessible(admin_page)
    admin_page.get_by_role("button", name="Bestätigen: Karla Kreuzer für Kreuzau").click()
    expect(admin_page.get_by_text("Karla Kreuzer spricht jetzt für Kreuzau.")).to_be_visible()
    assert_accessible(admin_page)
    admin_page.get_by_role("link", name="Administration").click()
    expect(admin_page.get_by_role("heading", level=1)).to_have_text("Administration")
    assert_accessible(admin_page)
    admin_page.get_by_role("link", name="Protokoll sensibler Aktionen").click()
    expect(admin_page.locator("table")).to_contain_text("Mitgliedschaft bestätigt")
    assert_accessible(admin_page)
    admin_context.close()

    # The officer is told by e-mail and sees the approved membership.
    decision = messages_to(smtp_server, "karla.kreuzer@kreuzau.de")[-1]
    assert "wurde bestätigt" in parse(decision)["Subject"]
    page.goto("/konto/")
    row = page.get_by_role("row", name="Kreuzau")
    expect(row).to_contain_text("bestätigt")
    expect(row).not_to_contain_text("beantragt")
    page.screenshot(path=str(tmp_path / "konto-bestaetigt.png"), full_page=True)


@pytest.mark.parametrize(
    "path",
    [
        "/konto/anmelden",
        "/konto/registrieren",
        "/konto/registriert",
        "/konto/passwort-vergessen",
        "/konto/bestaetigen/kaputt",
        "/konto/passwort-neu/kaputt",
        "/konto/email-bestaetigen/kaputt",
        "/datenschutz",
        "/konto/anmelden?lang=en",
    ],
)
def test_logged_out_account_pages_have_no_wcag_violations(page, path):
    page.goto(path)
    assert_accessible(page)


@pytest.mark.parametrize(
    "path",
    [
        "/konto/",
        "/konto/passwort",
        "/konto/email",
        "/konto/loeschen",
        "/konto/erneut-anmelden",
        "/konto/kommune-beantragen",
        "/konto/kommune-beantragen?q=Kreuzau",
        "/konto/kommune-beantragen?q=gibtsnicht",
        "/konto/kommune-beantragen?ags=05358",
        "/konto/kommune-beantragen?ags=05358028",
        "/freigaben/",
        "/verwaltung/",
        "/verwaltung/protokoll",
        "/datenschutz",
        "/konto/?lang=en",
    ],
)
def test_logged_in_account_pages_have_no_wcag_violations(page, demo_region, path):
    from plattform.kommunen.services import get_by_ags

    admin = UserFactory(email="admin@kommunalmatch-betrieb.de", is_admin=True)
    MembershipFactory(user=admin, kommune=get_by_ags("05358028"))
    MembershipFactory(kommune=get_by_ags("05358004"), status="beantragt", message="Bitte freigeben.")
    db.session.commit()
    log_in(page, admin.email)
    page.goto(path)
    assert urlsplit(page.url).path == urlsplit(path).path  # no detour to a login page
    assert_accessible(page)


def test_error_states_have_no_wcag_violations(page, demo_region):
    user = UserFactory(email="fehler@kreuzau.de")
    db.session.commit()
    log_in(page, user.email, "falsches-passwort")
    expect(page.get_by_text("E-Mail-Adresse oder Passwort ist falsch.")).to_be_visible()
    assert_accessible(page)
    log_in(page, user.email)

    page.goto("/konto/passwort")
    page.get_by_label("Bisheriges Passwort").fill("falsch")
    page.get_by_label("Neues Passwort").fill("kurz")
    page.get_by_role("button", name="Passwort ändern").click()
    expect(page.get_by_text("Das Passwort muss mindestens 12 Zeichen lang sein.").first).to_be_visible()
    assert_accessible(page)

    page.goto("/konto/email")
    page.get_by_label("Neue E-Mail-Adresse").fill("keine-adresse")
    page.get_by_role("button", name="Bestätigungslink senden").click()
    expect(page.get_by_text("gültige E-Mail-Adresse").first).to_be_visible()
    assert_accessible(page)

    page.goto("/konto/loeschen")
    page.get_by_label("Passwort", exact=True).fill("falsch")
    page.get_by_role("button", name="Konto endgültig löschen").click()
    expect(page.get_by_text("dass Sie das Konto löschen möchten.").first).to_be_visible()
    assert_accessible(page)

    page.goto("/konto/passwort-vergessen")
    page.get_by_label("E-Mail-Adresse").fill("kaputt")
    page.get_by_role("button", name="Link anfordern").click()
    expect(page.get_by_text("Bitte geben Sie eine gültige E-Mail-Adresse ein.").first).to_be_visible()
    assert_accessible(page)


def test_rate_limit_page_has_no_wcag_violations(page):
    for _ in range(6):
        page.goto("/konto/passwort-vergessen")
        page.get_by_label("E-Mail-Adresse").fill("jemand@kreuzau.de")
        page.get_by_role("button", name="Link anfordern").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Zu viele Versuche")
    assert_accessible(page)


def test_account_pages_fit_a_phone_screen(browser, live_server, demo_region):
    user = UserFactory(email="handy@kreuzau.de")
    MembershipFactory(user=user)
    db.session.commit()
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="de-DE", base_url=live_server
    )
    phone = context.new_page()
    overflow = {}
    for path in ("/konto/registrieren", "/konto/anmelden"):
        phone.goto(path)
        overflow[path] = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    log_in(phone, user.email)
    for path in ("/konto/", "/konto/kommune-beantragen?q=Kreuzau"):
        phone.goto(path)
        overflow[path] = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    context.close()
    assert all(v <= 0 for v in overflow.values()), overflow


def test_stale_form_page_has_no_wcag_violations(browser, live_server, app):
    app.config["WTF_CSRF_ENABLED"] = True
    context = browser.new_context(locale="de-DE", base_url=live_server)
    page = context.new_page()
    page.goto("/konto/passwort-vergessen")
    context.clear_cookies()  # the session with the form's token is gone
    # …and the token itself is stale: a cookie set again by a late response (seen under load) must not
    # let the old form through.
    page.locator('input[name="csrf_token"]').evaluate("input => { input.value = 'abgelaufen'; }")
    page.get_by_label("E-Mail-Adresse").fill("jemand@kreuzau.de")
    page.get_by_role("button", name="Link anfordern").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Das Formular ist abgelaufen")
    assert_accessible(page)
    context.close()
