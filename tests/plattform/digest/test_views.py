"""Digest pages with CSRF protection on: double opt-in, one-click unsubscribe, forged tokens, preview."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeSerializer

from plattform.digest.consent import CURRENT_CONSENT_VERSION
from plattform.digest.models import DigestDelivery, DigestSubscription
from plattform.digest.services import UNSUBSCRIBE_SALT, get_subscription, unsubscribe_token
from plattform.extensions import db
from tests.factories import PASSWORD, KommuneFactory
from tests.plattform.digest.conftest import contact_request, officer, parsed


@pytest.fixture
def app_config(app_config):
    """These tests run with CSRF protection, as in production."""
    return {**app_config, "WTF_CSRF_ENABLED": True}


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def login(client, user):
    token = csrf_token(client.get("/konto/anmelden").text)
    response = client.post(
        "/konto/anmelden", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def status_of(user) -> str | None:
    db.session.expire_all()
    subscription = get_subscription(user.id)
    return subscription.status if subscription else None


def test_double_opt_in_stores_time_and_consent_version(app, client, smtp_server, kreuzau):
    user = officer(kreuzau, status=None)
    db.session.commit()
    login(client, user)
    page = client.get("/digest/einstellungen")
    assert "Sie erhalten die wöchentliche E-Mail nicht." in page.text
    assert f"Fassung {CURRENT_CONSENT_VERSION}" in page.text

    refused = client.post(
        "/digest/einstellungen", data={"aktion": "bestellen", "csrf_token": csrf_token(page.text)}
    )
    assert refused.status_code == 422
    assert "Bitte bestätigen Sie die Einwilligung." in refused.text
    assert status_of(user) is None and smtp_server.messages == []

    ordered = client.post(
        "/digest/einstellungen",
        data={"aktion": "bestellen", "einwilligung": "y", "csrf_token": csrf_token(page.text)},
    )
    assert ordered.status_code == 302
    assert status_of(user) == "pending"

    (mail,) = smtp_server.messages
    body = parsed(mail).get_body(("plain",)).get_content()
    link = re.search(r"http://localhost(/digest/bestaetigen/\S+)", body).group(1)
    shown = client.get(link)  # a mail scanner following the link confirms nothing
    assert shown.status_code == 200 and "Ja, E-Mail bestellen" in shown.text
    assert status_of(user) == "pending"
    assert client.post(link).status_code == 400  # without the CSRF token of the page
    assert status_of(user) == "pending"

    confirmed = client.post(link, data={"csrf_token": csrf_token(shown.text)})
    assert confirmed.status_code == 200 and "Ihre Bestellung ist bestätigt" in confirmed.text
    subscription = get_subscription(user.id)
    assert subscription.status == "active"
    assert subscription.consent_text_version == CURRENT_CONSENT_VERSION
    assert subscription.confirmed_at is not None and subscription.requested_at is not None


def test_confirmation_link_with_a_forged_signature_is_refused(app, client, kreuzau):
    officer(kreuzau, status="pending")
    db.session.commit()
    response = client.get("/digest/bestaetigen/eyJ1IjoxLCJyIjoxfQ.Zf0rGeD.c2lnbmF0dXJl")
    assert response.status_code == 400
    assert "ungültig oder abgelaufen" in response.text


def test_get_of_the_unsubscribe_link_only_asks_and_one_click_post_unsubscribes(app, client, kreuzau):
    user = officer(kreuzau)
    db.session.commit()
    url = f"/digest/abmelden/{unsubscribe_token(user.id)}"

    page = client.get(url)
    assert page.status_code == 200 and "Ja, abbestellen" in page.text
    assert status_of(user) == "active"

    # RFC 8058: the mail client POSTs this body, without cookies or CSRF token.
    done = client.post(
        url,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert done.status_code == 200 and "Sie sind abgemeldet" in done.text
    assert status_of(user) == "unsubscribed"
    assert get_subscription(user.id).unsubscribed_at is not None
    again = client.post(
        url, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert again.status_code == 200


@pytest.mark.parametrize(
    "forge",
    [
        lambda user_id: unsubscribe_token(user_id)[:-4] + "AAAA",
        lambda user_id: URLSafeSerializer("ein-anderer-schluessel", salt=UNSUBSCRIBE_SALT).dumps(user_id),
        lambda user_id: URLSafeSerializer("test-secret", salt="digest-bestaetigen").dumps(user_id),
        lambda user_id: "kein-token",
    ],
    ids=["changed-signature", "other-secret", "other-purpose", "garbage"],
)
def test_forged_unsubscribe_token_is_refused(app, client, kreuzau, forge):
    user = officer(kreuzau)
    db.session.commit()
    token = forge(user.id)
    response = client.post(f"/digest/abmelden/{token}", data="List-Unsubscribe=One-Click")
    assert response.status_code == 400
    assert "Abmeldelink ist ungültig" in response.text
    assert status_of(user) == "active"


def test_the_unsubscribe_token_of_one_user_does_not_unsubscribe_another(app, client, kreuzau, noervenich):
    first, second = officer(kreuzau), officer(noervenich, name="Zweite Person")
    db.session.commit()
    client.post(f"/digest/abmelden/{unsubscribe_token(first.id)}", data="List-Unsubscribe=One-Click")
    assert (status_of(first), status_of(second)) == ("unsubscribed", "active")


def test_settings_page_cancels_with_csrf_and_requires_login(app, client, kreuzau):
    assert client.get("/digest/einstellungen").status_code == 302
    user = officer(kreuzau)
    db.session.commit()
    login(client, user)
    page = client.get("/digest/einstellungen")
    assert "Sie erhalten die wöchentliche E-Mail an" in page.text
    assert client.post("/digest/einstellungen", data={"aktion": "abbestellen"}).status_code == 400
    assert status_of(user) == "active"
    response = client.post(
        "/digest/einstellungen", data={"aktion": "abbestellen", "csrf_token": csrf_token(page.text)}
    )
    assert response.status_code == 302
    assert status_of(user) == "unsubscribed"


def test_preview_shows_only_the_users_own_digest_and_records_nothing(app, client, kreuzau, noervenich):
    other = KommuneFactory(name="Vettweiß", ags="05358056")
    user = officer(kreuzau)
    contact_request(noervenich, kreuzau)
    contact_request(kreuzau, other)  # addressed to Vettweiß: not this user's business
    db.session.commit()
    assert client.get("/digest/vorschau").status_code == 302
    login(client, user)

    page = client.get("/digest/vorschau")

    assert page.status_code == 200
    assert "Kommunalmatch: 1 neue Kontaktanfrage für Kreuzau" in page.text
    assert "Nörvenich möchte mit Kreuzau" in page.text
    assert "möchte mit Vettweiß" not in page.text
    assert db.session.scalar(sa.select(sa.func.count(DigestDelivery.id))) == 0


def test_preview_says_when_nothing_would_be_sent(app, client, kreuzau):
    user = officer(kreuzau, status=None)
    db.session.commit()
    login(client, user)
    page = client.get("/digest/vorschau")
    assert "Es würde keine E-Mail versandt." in page.text
    assert "Sie haben die wöchentliche E-Mail nicht bestellt" in page.text
    assert db.session.scalar(sa.select(sa.func.count(DigestSubscription.id))) == 0
