"""Chromium: an officer orders the digest with double opt-in; every digest page and the mail pass axe."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from plattform.digest.services import build_digest, render_digest, unsubscribe_token
from plattform.extensions import db
from tests.a11y import assert_accessible
from tests.factories import PASSWORD
from tests.plattform.digest.conftest import contact_request, officer, parsed

pytestmark = pytest.mark.browser


def log_in(page, user):
    page.goto("/konto/anmelden")
    page.get_by_label("E-Mail-Adresse").fill(user.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(re.compile(r"/$"))


def test_officer_orders_the_digest_with_double_opt_in(page, smtp_server, kreuzau, noervenich):
    user = officer(kreuzau, status=None)
    contact_request(noervenich, kreuzau)
    db.session.commit()
    log_in(page, user)

    page.get_by_role("button", name=user.name).click()  # the account menu of the header
    page.get_by_role("link", name="Wochen-E-Mail").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wöchentliche E-Mail")
    assert_accessible(page)
    page.get_by_role("button", name="Wöchentliche E-Mail bestellen").click()
    expect(page.get_by_role("alert").first).to_have_text("Bitte bestätigen Sie die Einwilligung.")
    assert_accessible(page)
    page.get_by_label("Ich willige ein").check()
    page.get_by_role("button", name="Wöchentliche E-Mail bestellen").click()
    assert "Bestätigung ausstehend" in page.content()
    assert_accessible(page)

    body = parsed(smtp_server.messages[0]).get_body(("plain",)).get_content()
    path = re.search(r"http://localhost(/digest/bestaetigen/\S+)", body).group(1)
    page.goto(path)
    assert_accessible(page)
    page.get_by_role("button", name="Ja, E-Mail bestellen").click()
    assert "Ihre Bestellung ist bestätigt" in page.content()
    assert_accessible(page)

    page.goto("/digest/vorschau")
    assert "Nörvenich möchte mit Kreuzau" in page.content()
    assert_accessible(page)


def test_unsubscribe_pages_pass_axe_and_the_button_unsubscribes(page, kreuzau):
    user = officer(kreuzau)
    db.session.commit()
    page.goto(f"/digest/abmelden/{unsubscribe_token(user.id)}")
    assert_accessible(page)
    page.get_by_role("button", name="Ja, abbestellen").click()
    assert "Sie sind abgemeldet" in page.content()
    assert_accessible(page)
    page.goto("/digest/abmelden/gefaelscht")
    assert_accessible(page)


def test_the_html_mail_passes_axe_and_fits_a_phone(page, app, kreuzau, noervenich):
    user = officer(kreuzau)
    contact_request(noervenich, kreuzau)
    db.session.commit()
    _text, html = render_digest(build_digest(user, "2026-W48"))
    page.set_viewport_size({"width": 360, "height": 740})
    page.set_content(html)
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
