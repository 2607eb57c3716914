"""Sign-in through the Kommune's identity provider in Chromium, against the real test provider.

A new officer signs in with "Mit Test-Anbieter anmelden", logs in on the provider's own page, comes
back, accepts the privacy notice, asks to speak for Kreuzau; an administrator approves; the officer
logs out and also ends the provider's session. An officer with an existing account links it with
her password. Every page of the flow, the failure page and the English login page pass axe-core.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from plattform.extensions import db
from tests.a11y import assert_accessible
from tests.browser.guard import allow_only
from tests.factories import PASSWORD, UserFactory
from tests.oidc import oidc_provider, provider_settings  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(app_config, oidc_provider):  # noqa: F811
    settings = provider_settings(oidc_provider.issuer, domains=("kreuzau.de", "kreis-dueren.de"))
    return {**app_config, "OIDC_PROVIDERS": (settings,)}


@pytest.fixture
def idp(oidc_provider, live_server, app):  # noqa: F811
    """The provider knows the platform under the live server's address; links use that address."""
    app.config["BASE_URL"] = live_server
    oidc_provider.put_client(
        "kommunalmatch",
        [f"{live_server}/konto/oidc/test/rueckkehr"],
        [f"{live_server}/konto/oidc/test/abgemeldet"],
    )
    oidc_provider.put_user(
        "karla", "karla-kennwort", sub="sub-karla", email="karla.kreuzer@kreuzau.de", name="Karla Kreuzer"
    )
    oidc_provider.put_user(
        "paul", "paul-kennwort", sub="sub-paul", email="paul@kreuzau.de", email_verified=False, name="Paul"
    )
    return oidc_provider


def new_page(browser, live_server, idp):
    """A page (own cookies) that may talk to the platform and the provider, nothing else."""
    context = browser.new_context(locale="de-DE", base_url=live_server)
    foreign = allow_only(context, live_server, idp.issuer)
    page = context.new_page()
    page.foreign_requests = foreign
    return context, page


def provider_login(page, username, password):
    expect(page.get_by_role("heading", level=1)).to_have_text("Test-Anbieter: Anmeldung")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Kennwort").fill(password)
    page.get_by_role("button", name="Beim Test-Anbieter anmelden").click()


def test_sign_in_create_account_approval_and_logout_through_the_provider(
    browser, live_server, idp, demo_region, tmp_path
):
    admin = UserFactory(email="admin@kommunalmatch-betrieb.de", name="Ada Admin", is_admin=True)
    db.session.commit()
    context, page = new_page(browser, live_server, idp)

    page.goto("/")
    page.get_by_role("link", name="Anmelden").click()
    assert_accessible(page)
    page.get_by_role("link", name="Mit Test-Anbieter anmelden").click()
    provider_login(page, "karla", "karla-kennwort")

    # Back at the platform: create the account (no password, the privacy notice first).
    expect(page.get_by_role("heading", level=1)).to_have_text("Konto anlegen")
    expect(page.get_by_text("karla.kreuzer@kreuzau.de")).to_be_visible()
    expect(page.get_by_label("Vor- und Nachname")).to_have_value("Karla Kreuzer")
    assert_accessible(page)
    page.get_by_role("button", name="Konto anlegen").click()
    expect(page.get_by_text("Bitte stimmen Sie den Datenschutzhinweisen zu.").first).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Ich habe die Datenschutzhinweise gelesen").check()
    page.get_by_role("button", name="Konto anlegen").click()
    expect(page.get_by_text("Willkommen bei Kommunalmatch! Ihr Konto ist angelegt.")).to_be_visible()
    assert_accessible(page)

    # Ask to speak for Kreuzau; the administrator approves in another browser.
    page.get_by_role("link", name="Für eine Kommune sprechen").click()
    page.get_by_label("Name oder Gemeindeschlüssel (AGS)").fill("Kreuzau")
    page.get_by_role("button", name="Suchen").click()
    page.get_by_role("link", name="Auswählen: Kreuzau (05358028)").click()
    page.get_by_role("button", name="Anfrage senden").click()
    expect(page.get_by_role("row", name="Kreuzau")).to_contain_text("beantragt – wartet auf Freigabe")

    admin_context, admin_page = new_page(browser, live_server, idp)
    admin_page.goto("/konto/anmelden")
    admin_page.get_by_label("E-Mail-Adresse").fill(admin.email)
    admin_page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    admin_page.get_by_role("button", name="Anmelden", exact=True).click()
    admin_page.goto("/freigaben/")
    admin_page.get_by_role("button", name="Bestätigen: Karla Kreuzer für Kreuzau").click()
    expect(admin_page.get_by_text("Karla Kreuzer spricht jetzt für Kreuzau.")).to_be_visible()
    admin_page.goto("/verwaltung/protokoll")
    expect(admin_page.locator("table")).to_contain_text("Anmeldung über Identitätsanbieter")
    assert_accessible(admin_page)
    admin_context.close()

    page.goto("/konto/")
    expect(page.get_by_role("row", name="Kreuzau")).to_contain_text("bestätigt")

    # Logout: the local session ends, the provider's end-session endpoint is offered.
    page.get_by_role("button", name="Karla Kreuzer").click()  # the account menu of the header
    page.get_by_role("button", name="Abmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sie sind bei Kommunalmatch abgemeldet")
    assert_accessible(page)
    page.screenshot(path=str(tmp_path / "oidc-abmeldung.png"), full_page=True)
    page.get_by_role("link", name="Auch bei Test-Anbieter abmelden").click()
    expect(page.get_by_text("Sie sind jetzt auch bei Test-Anbieter abgemeldet.")).to_be_visible()
    expect(page.get_by_role("link", name="Anmelden")).to_be_visible()

    # Signing in again needs the provider's password again (its session ended), then no form here.
    page.goto("/konto/anmelden")
    page.get_by_role("link", name="Mit Test-Anbieter anmelden").click()
    provider_login(page, "karla", "karla-kennwort")
    expect(page.get_by_role("button", name="Karla Kreuzer")).to_be_visible()  # signed in: the account menu
    page.goto("/konto/")
    expect(page.get_by_role("row", name="Kreuzau")).to_contain_text("bestätigt")
    assert page.foreign_requests == []
    context.close()


def test_an_existing_account_is_linked_with_its_password(browser, live_server, idp):
    UserFactory(email="karla.kreuzer@kreuzau.de", name="Karla Kreuzer")
    db.session.commit()
    context, page = new_page(browser, live_server, idp)
    page.goto("/konto/anmelden")
    page.get_by_role("link", name="Mit Test-Anbieter anmelden").click()
    provider_login(page, "karla", "karla-kennwort")
    expect(page.get_by_role("heading", level=1)).to_have_text("Konto verknüpfen")
    assert_accessible(page)
    page.get_by_label("Passwort Ihres Kommunalmatch-Kontos").fill("falsch-falsch-falsch")
    page.get_by_role("button", name="Verknüpfen und anmelden").click()
    expect(page.get_by_text("Das Passwort stimmt nicht.").first).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Passwort Ihres Kommunalmatch-Kontos").fill(PASSWORD)
    page.get_by_role("button", name="Verknüpfen und anmelden").click()
    expect(page.get_by_text("Ihr Konto ist jetzt mit Test-Anbieter verknüpft.")).to_be_visible()
    expect(page.get_by_role("button", name="Karla Kreuzer")).to_be_visible()  # signed in: the account menu
    assert page.foreign_requests == []
    context.close()


def test_a_refused_sign_in_shows_the_german_page(browser, live_server, idp):
    context, page = new_page(browser, live_server, idp)
    page.goto("/konto/anmelden")
    page.get_by_role("link", name="Mit Test-Anbieter anmelden").click()
    provider_login(page, "paul", "paul-kennwort")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Die Anmeldung über Test-Anbieter ist fehlgeschlagen:")
    expect(alert).to_contain_text("nicht bestätigt")
    assert_accessible(page)
    expect(page.get_by_role("link", name="Anmelden", exact=True)).to_be_visible()  # nobody signed in
    context.close()


def test_the_login_page_in_english_offers_the_provider(browser, live_server, idp):
    context, page = new_page(browser, live_server, idp)
    page.goto("/konto/anmelden?lang=en")
    expect(page.get_by_role("link", name="Sign in with Test-Anbieter")).to_be_visible()
    expect(page.get_by_text("For addresses @kreuzau.de, @kreis-dueren.de")).to_be_visible()
    assert_accessible(page)
    context.close()
