"""Token pages and the API documentation in Chromium: create a token, see it once, use it, revoke it;
every page passes axe-core (WCAG 2.1 A/AA) and loads nothing from elsewhere."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

from plattform.extensions import db
from tests.a11y import assert_accessible
from tests.factories import PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.browser


def api_get(live_server: str, path: str, secret: str) -> tuple[int, dict]:
    """A real HTTP request to the live server with the token."""
    request = urllib.request.Request(live_server + path, headers={"Authorization": f"Bearer {secret}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_create_use_and_revoke_a_token_in_the_browser(page, live_server, demo_region):
    from plattform.kommunen.services import get_by_ags

    user = UserFactory(email="anna.kreuzer@kreuzau.de", name="Anna Kreuzer")
    MembershipFactory(user=user, kommune=get_by_ags("05358028"))
    db.session.commit()

    page.goto("/konto/anmelden")
    page.get_by_label("E-Mail-Adresse").fill(user.email)
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Anmelden").click()

    page.goto("/konto/api-tokens/")
    expect(page.get_by_role("heading", level=1)).to_have_text("API-Tokens")
    expect(page.get_by_text("Sie haben noch kein API-Token.")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Neues Token erstellen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Neues API-Token")
    assert_accessible(page)
    page.get_by_role("button", name="Token erstellen").click()
    expect(page.get_by_role("alert")).to_contain_text("Bitte geben Sie dem Token einen Namen.")
    assert_accessible(page)  # the error state

    page.get_by_label("Name des Tokens").fill("Fachverfahren Hundesteuer")
    page.get_by_label("Umfang").select_option("lesen")
    page.get_by_label("Gültig für").select_option("30")
    page.get_by_role("button", name="Token erstellen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API-Token erstellt")
    secret = page.get_by_label("Ihr Token").input_value()
    assert re.fullmatch(r"km_[A-Za-z0-9_-]{43}", secret)
    expect(page.locator("pre code")).to_contain_text(f"Authorization: Bearer {secret}")
    assert_accessible(page)

    status, body = api_get(live_server, "/api/v1/kommunen?q=Kreuzau", secret)
    assert status == 200 and body["items"][0]["name"] == "Kreuzau"

    page.goto("/konto/api-tokens/")
    row = page.locator("tr.km-token")
    expect(row).to_have_count(1)
    expect(row.get_by_role("rowheader")).to_have_text("Fachverfahren Hundesteuer")
    expect(row.locator(".km-token__last-used")).not_to_have_text("noch nie")
    expect(row.locator(".km-token__status")).to_have_text("gültig")
    assert secret not in page.content()
    assert_accessible(page)

    row.get_by_role("button", name=re.compile(r"^Widerrufen\s?: Fachverfahren Hundesteuer$")).click()
    expect(page.get_by_role("status").first).to_contain_text("ist widerrufen")
    expect(page.locator("tr.km-token .km-token__status")).to_have_text("widerrufen")
    assert_accessible(page)
    status, body = api_get(live_server, "/api/v1/ich", secret)
    assert status == 401 and body["title"] == "Anmeldung erforderlich"


def test_api_documentation_page_is_accessible_and_self_contained(page):
    page.goto("/api/v1/docs")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kommunalmatch API")
    expect(page.get_by_role("link", name="Maschinenlesbare Beschreibung (OpenAPI 3.1, JSON)")).to_be_visible()
    expect(page.locator("#op-searchKommunen")).to_contain_text("GET /api/v1/kommunen")
    assert_accessible(page)
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1
