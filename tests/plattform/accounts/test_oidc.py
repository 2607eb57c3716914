"""Sign-in through an identity provider, over HTTP against the real test provider process.

The platform is the Flask test client; the person's browser at the provider is a `requests`
session (its own cookies), so every request between the two is a real HTTP round trip: discovery,
JWKS, the login form, the code, the token endpoint. The bad inputs each end on the German failure
page, are in the audit log and sign nobody in.
"""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest
import requests
import sqlalchemy as sa

from plattform.accounts.models import KommuneMembership, User
from plattform.accounts.oidc_models import OidcIdentity, OidcMembershipGrant
from plattform.accounts.passwords import NO_PASSWORD
from plattform.core.models import AuditEvent
from plattform.extensions import db
from tests import services
from tests.factories import PASSWORD, KommuneFactory, MembershipFactory, UserFactory
from tests.oidc import oidc_provider, provider_settings, query  # noqa: F401
from tests.plattform.accounts.mailbox import link_path, messages_to, parse

BASE = "http://localhost"
CALLBACK = f"{BASE}/konto/oidc/test/rueckkehr"
LOGGED_OUT = f"{BASE}/konto/oidc/test/abgemeldet"
FAILED = "Die Anmeldung über Test-Anbieter ist fehlgeschlagen"


@pytest.fixture
def idp(oidc_provider):  # noqa: F811
    """The provider with this test module's clients and people."""
    oidc_provider.put_client("kommunalmatch", [CALLBACK], [LOGGED_OUT])
    for behaviour in ("expired", "foreign_audience", "forged_signature"):
        oidc_provider.put_client(f"km-{behaviour}", [CALLBACK], behaviour=behaviour)
    oidc_provider.put_user(
        "erika",
        "erika-kennwort",
        sub="sub-erika-1",
        email="Erika.Muster@Kreis-Muster.de",
        name="Erika Muster",
    )
    oidc_provider.put_user(
        "ulla",
        "ulla-kennwort",
        sub="sub-ulla",
        email="ulla@kreis-muster.de",
        email_verified=False,
        name="Ulla",
    )
    oidc_provider.put_user("fremd", "fremd-kennwort", sub="sub-fremd", email="fremd@anderswo.de", name="F")
    return oidc_provider


@pytest.fixture
def app_config(app_config, oidc_provider):  # noqa: F811
    return {**app_config, "OIDC_PROVIDERS": (provider_settings(oidc_provider.issuer),)}


class Browser:
    """The person's browser at the provider (own cookie jar), handing codes to the test client."""

    def __init__(self, client):
        self.client = client
        self.idp = requests.Session()

    def start(self, path: str = "/konto/oidc/test/anmelden") -> str:
        response = self.client.get(path)
        assert response.status_code == 302, response.text
        return response.headers["Location"]

    def provider_login(self, authorize_url: str, username: str, password: str, aktion="anmelden") -> str:
        """Open the provider's page; log in on its form if it asks; return the redirect back."""
        page = self.idp.get(authorize_url, allow_redirects=False, timeout=5)
        if page.status_code == 302:
            return page.headers["Location"]
        assert "Test-Anbieter: Anmeldung" in page.text, page.text
        action = re.search(r'action="([^"]+)"', page.text).group(1).replace("&amp;", "&")
        issuer = authorize_url.split("/authorize")[0]
        answer = self.idp.post(
            issuer + action,
            data={"username": username, "password": password, "aktion": aktion},
            allow_redirects=False,
            timeout=5,
        )
        assert answer.status_code == 302, answer.text
        return answer.headers["Location"]

    def back(self, redirect_url: str):
        """Follow the provider's redirect to the platform's callback."""
        assert redirect_url.startswith(CALLBACK), redirect_url
        parts = urlsplit(redirect_url)
        return self.client.get(f"{parts.path}?{parts.query}")

    def sign_in(self, username="erika", password="erika-kennwort", path="/konto/oidc/test/anmelden"):
        return self.back(self.provider_login(self.start(path), username, password))


@pytest.fixture
def person(client, idp):
    """Erika's person: the platform's test client and her cookies at the provider."""
    return Browser(client)


def signed_in(client) -> bool:
    return client.get("/konto/").status_code == 200


def audit_actions() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)))


def failures() -> list[dict]:
    db.session.expire_all()
    rows = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "oidc.failed"))
    return [row.details for row in rows]


def create_account(person, response):
    assert response.headers["Location"] == "/konto/oidc/konto-anlegen"
    return person.client.post("/konto/oidc/konto-anlegen", data={"name": "Erika Muster", "privacy": "y"})


# --- the happy paths -------------------------------------------------------------------------------


def test_the_authorization_request_uses_pkce_state_nonce_and_the_registered_redirect_uri(person, idp):
    url = person.start()
    assert url.startswith(f"{idp.issuer}/authorize?")
    params = query(url)
    assert params["response_type"] == "code"
    assert params["client_id"] == "kommunalmatch"
    assert params["redirect_uri"] == CALLBACK
    assert set(params["scope"].split()) == {"openid", "email", "profile"}
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43  # base64url of a SHA-256 digest
    assert len(params["state"]) >= 20 and len(params["nonce"]) >= 20
    assert person.start() != url  # a fresh state and nonce each time


def test_first_sign_in_creates_an_account_after_the_privacy_notice(person, client, idp):
    response = person.sign_in()
    assert response.status_code == 302 and response.headers["Location"] == "/konto/oidc/konto-anlegen"
    assert not signed_in(client)
    page = client.get("/konto/oidc/konto-anlegen")
    assert "erika.muster@kreis-muster.de" in page.text and 'value="Erika Muster"' in page.text
    refused = client.post("/konto/oidc/konto-anlegen", data={"name": "Erika Muster"})
    assert refused.status_code == 422 and "Bitte stimmen Sie den Datenschutzhinweisen zu." in refused.text
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0

    done = client.post("/konto/oidc/konto-anlegen", data={"name": "Erika Muster", "privacy": "y"})
    assert done.status_code == 302 and done.headers["Location"] == "/konto/"
    assert signed_in(client)
    user = db.session.scalar(sa.select(User))
    assert user.email == "erika.muster@kreis-muster.de"
    assert user.email_confirmed and user.privacy_accepted_at is not None
    assert user.password_hash == NO_PASSWORD and user.memberships == []
    (identity,) = user.oidc_identities
    assert (identity.issuer, identity.subject, identity.provider) == (idp.issuer, "sub-erika-1", "TEST")
    assert audit_actions() == ["account.registered", "oidc.linked", "oidc.login"]
    # Nobody can log in to it with a password, not even an empty one.
    client.post("/konto/abmelden")
    assert (
        client.post("/konto/anmelden", data={"email": user.email, "password": NO_PASSWORD}).status_code == 422
    )


def test_a_known_identity_signs_in_directly_and_keeps_its_account(person, client, app):
    create_account(person, person.sign_in())
    client.post("/konto/abmelden")
    assert not signed_in(client)
    # Second sign-in: the provider still knows the person (single sign-on), no form at either side.
    response = person.sign_in()
    assert response.status_code == 302 and response.headers["Location"] == "/uebersicht/"
    assert signed_in(client)
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1
    assert audit_actions().count("oidc.login") == 2


def test_next_is_kept_through_the_provider(person, client):
    create_account(person, person.sign_in())
    client.post("/konto/abmelden")
    response = person.sign_in(path="/konto/oidc/test/anmelden?next=/konto/passwort")
    assert response.headers["Location"] == "/konto/passwort"
    client.post("/konto/abmelden")
    foreign = person.sign_in(path="/konto/oidc/test/anmelden?next=https://boese.example/")
    assert foreign.headers["Location"] == "/uebersicht/"


def test_linking_an_existing_account_needs_its_password(person, client):
    existing = UserFactory(email="erika.muster@kreis-muster.de", name="Erika M.")
    db.session.commit()
    response = person.sign_in()
    assert response.headers["Location"] == "/konto/oidc/verknuepfen"
    assert not signed_in(client)
    page = client.get("/konto/oidc/verknuepfen")
    assert "Passwort Ihres Kommunalmatch-Kontos" in page.text and "Link per E-Mail senden" in page.text

    wrong = client.post("/konto/oidc/verknuepfen", data={"password": "falsch-falsch-falsch"})
    assert wrong.status_code == 422 and "Das Passwort stimmt nicht." in wrong.text
    assert db.session.scalar(sa.select(sa.func.count(OidcIdentity.id))) == 0 and not signed_in(client)

    right = client.post("/konto/oidc/verknuepfen", data={"password": PASSWORD})
    assert right.status_code == 302 and signed_in(client)
    db.session.expire_all()
    (identity,) = db.session.get(User, existing.id).oidc_identities
    assert identity.subject == "sub-erika-1"
    linked = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "oidc.linked"))
    assert linked.details == {"anbieter": "TEST", "bestaetigt": "passwort"}
    # From now on the provider signs this account in directly.
    client.post("/konto/abmelden")
    assert person.sign_in().headers["Location"] == "/uebersicht/" and signed_in(client)


def test_linking_by_the_mailed_link_works_once(person, client, smtp_server):
    existing = UserFactory(email="erika.muster@kreis-muster.de", name="Erika M.")
    db.session.commit()
    person.sign_in()
    sent = client.post("/konto/oidc/verknuepfen/mail")
    assert sent.status_code == 200 and "Bitte öffnen Sie den Link in der E-Mail" in sent.text
    assert not signed_in(client)
    (mail,) = messages_to(smtp_server, existing.email)
    assert parse(mail)["Subject"] == "Konto mit Test-Anbieter verknüpfen"
    path = link_path(mail, "/konto/oidc/verknuepfen/")

    other_browser = Browser(client.application.test_client())
    opened = other_browser.client.get(path)
    assert opened.status_code == 302 and opened.headers["Location"] == "/konto/anmelden"
    assert not signed_in(other_browser.client)  # the link links; it does not sign in
    db.session.expire_all()
    assert [i.subject for i in db.session.get(User, existing.id).oidc_identities] == ["sub-erika-1"]
    assert other_browser.client.get(path).status_code == 400  # only once
    assert person.sign_in().headers["Location"] == "/uebersicht/" and signed_in(client)


def test_an_account_without_password_is_offered_only_the_mail(person, client, app):
    UserFactory(email="erika.muster@kreis-muster.de", password_hash=NO_PASSWORD)
    db.session.commit()
    person.sign_in()
    page = client.get("/konto/oidc/verknuepfen")
    assert "Link per E-Mail senden" in page.text and 'type="password"' not in page.text
    refused = client.post("/konto/oidc/verknuepfen", data={"password": NO_PASSWORD})
    assert refused.status_code == 422 and db.session.scalar(sa.select(sa.func.count(OidcIdentity.id))) == 0


def test_a_pending_sign_in_expires_and_can_be_cancelled(person, client):
    person.sign_in()
    with client.session_transaction() as sess:
        sess["oidc_pending"] = {**sess["oidc_pending"], "exp": int(time.time()) - 1}
    response = client.get("/konto/oidc/konto-anlegen")
    assert response.status_code == 302 and response.headers["Location"] == "/konto/anmelden"
    person.sign_in()
    assert client.get("/konto/oidc/abbrechen").headers["Location"] == "/konto/anmelden"
    assert client.get("/konto/oidc/konto-anlegen").headers["Location"] == "/konto/anmelden"
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_logout_ends_the_local_session_and_offers_the_providers_end_session(person, client, idp):
    create_account(person, person.sign_in())
    assert person.idp.get(f"{idp.issuer}/_test/session", timeout=5).json()["username"] == "erika"
    out = client.post("/konto/abmelden")
    assert out.headers["Location"] == "/konto/oidc/abmeldung"
    assert not signed_in(client)
    offer = client.get("/konto/oidc/abmeldung")
    assert offer.status_code == 200 and "Auch bei Test-Anbieter abmelden" in offer.text
    end_session = re.search(r'href="([^"]*/logout\?[^"]+)"', offer.text).group(1).replace("&amp;", "&")
    params = query(end_session)
    assert params["post_logout_redirect_uri"] == LOGGED_OUT and params["client_id"] == "kommunalmatch"
    assert params["id_token_hint"].count(".") == 2
    back = person.idp.get(end_session, allow_redirects=False, timeout=5)
    assert back.status_code == 302 and back.headers["Location"].startswith(LOGGED_OUT)
    assert person.idp.get(f"{idp.issuer}/_test/session", timeout=5).json()["username"] is None
    landing = client.get(
        urlsplit(back.headers["Location"]).path + "?" + urlsplit(back.headers["Location"]).query
    )
    assert landing.headers["Location"] == "/"
    assert "Sie sind jetzt auch bei Test-Anbieter abgemeldet." in client.get("/").text
    # The offer is shown once; a password login's logout offers nothing.
    assert client.get("/konto/oidc/abmeldung").headers["Location"] == "/"


def test_a_sensitive_action_is_confirmed_again_at_the_provider(person, client, idp):
    create_account(person, person.sign_in())
    with client.session_transaction() as sess:
        sess["_fresh_at"] = int(time.time()) - 3600
    asked = client.get("/konto/daten.json")
    assert asked.status_code == 302 and asked.headers["Location"].startswith("/konto/erneut-anmelden")
    page = client.get(asked.headers["Location"])
    assert "Mit Test-Anbieter bestätigen" in page.text and 'type="password"' not in page.text
    start = re.search(r'href="(/konto/oidc/test/anmelden\?[^"]+)"', page.text).group(1).replace("&amp;", "&")
    authorize = person.start(start)
    assert query(authorize)["prompt"] == "login" and query(authorize)["max_age"] == "0"
    # The provider asks for the password although its session is still open (prompt=login).
    back = person.provider_login(authorize, "erika", "erika-kennwort")
    response = person.back(back)
    assert response.headers["Location"] == "/konto/daten.json"
    assert client.get("/konto/daten.json").status_code == 200


def test_re_authentication_as_someone_else_is_refused(person, client, idp):
    create_account(person, person.sign_in())
    idp.put_user("erika2", "kennwort-2", sub="sub-erika-2", email="erika2@kreis-muster.de")
    with client.session_transaction() as sess:
        sess["_fresh_at"] = int(time.time()) - 3600
    authorize = person.start("/konto/oidc/test/anmelden?erneut=1&next=/konto/daten.json")
    response = person.back(person.provider_login(authorize, "erika2", "kennwort-2"))
    assert response.status_code == 403 and FAILED in response.text
    assert client.get("/konto/daten.json").status_code == 302  # still not fresh
    assert failures()[-1]["grund"] == "reauth"


def test_an_account_without_password_can_be_deleted_after_a_fresh_sign_in(person, client):
    create_account(person, person.sign_in())
    page = client.get("/konto/loeschen")
    assert page.status_code == 200 and 'type="password"' not in page.text
    assert client.post("/konto/loeschen", data={}).status_code == 422
    assert client.post("/konto/loeschen", data={"confirm": "y"}).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(OidcIdentity.id))) == 0


def test_the_data_export_lists_the_linked_provider(person, client):
    create_account(person, person.sign_in())
    data = client.get("/konto/daten.json").get_json()
    (entry,) = data["identitaetsanbieter"]
    assert entry["anbieter"] == "TEST" and entry["subject"] == "sub-erika-1"


# --- memberships -----------------------------------------------------------------------------------


@pytest.fixture
def musterdorf(app):
    kreis = KommuneFactory(ags="05999", ebene="kreis", kind="kreis", name="Kreis Muster", population=None)
    gemeinde = KommuneFactory(ags="05999001", name="Musterdorf", kreis=kreis)
    other = KommuneFactory(ags="05999002", name="Nachbarort", kreis=kreis)
    db.session.commit()
    return gemeinde, other


def _memberships(email: str) -> dict[str, str]:
    db.session.expire_all()
    user = db.session.scalar(sa.select(User).where(User.email == email))
    return {m.kommune.ags: m.status for m in user.memberships}


def test_without_authority_the_membership_still_needs_approval(person, client, idp, musterdorf):
    idp.put_user(
        "erika", "erika-kennwort", sub="sub-erika-1", email="erika@kreis-muster.de",
        claims={"kommunalmatch_ags": ["05999001"]},
    )  # fmt: skip
    create_account(person, person.sign_in())
    assert _memberships("erika@kreis-muster.de") == {}


def test_an_authoritative_provider_grants_and_ends_memberships_by_its_claim(
    person, client, idp, app, musterdorf
):
    _gemeinde, other = musterdorf
    app.config["OIDC_PROVIDERS"] = (
        provider_settings(idp.issuer, authoritative_ags=("05999001", "05999002")),
    )
    idp.put_user(
        "erika", "erika-kennwort", sub="sub-erika-1", email="erika@kreis-muster.de",
        claims={"kommunalmatch_ags": ["05999001", "09162000"]},
    )  # fmt: skip
    create_account(person, person.sign_in())
    assert _memberships("erika@kreis-muster.de") == {"05999001": "bestaetigt"}
    user = db.session.scalar(sa.select(User))
    (membership,) = user.memberships
    assert membership.role == "mitglied" and membership.oidc_grant.provider == "TEST"
    granted = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "oidc.membership_granted"))
    assert granted.details["ags"] == "05999001" and granted.details["claim"] == "kommunalmatch_ags"
    login = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "oidc.login")).all()[-1]
    assert login.details["ags_ignoriert"] == ["09162000"]  # not a Kommune this provider speaks for
    assert client.get("/vorschlaege/").status_code == 200  # a member's page, no approval needed

    # A coordinator approved Nachbarort by hand: the provider's claim does not take that away.
    MembershipFactory(user=user, kommune=other, status="bestaetigt")
    db.session.commit()
    client.post("/konto/abmelden")
    idp.put_user("erika", "erika-kennwort", sub="sub-erika-1", email="erika@kreis-muster.de", claims={})
    person.sign_in()
    assert _memberships("erika@kreis-muster.de") == {"05999001": "abgelehnt", "05999002": "bestaetigt"}
    assert db.session.scalar(sa.select(sa.func.count(OidcMembershipGrant.id))) == 0
    assert "oidc.membership_revoked" in audit_actions()


# --- password sign-in switched off per domain ------------------------------------------------------


def test_password_sign_in_can_be_switched_off_per_domain(client, app, idp):
    app.config["OIDC_PROVIDERS"] = (provider_settings(idp.issuer, password_off_domains=("kreis-muster.de",)),)
    blocked = UserFactory(email="erika@kreis-muster.de")
    allowed = UserFactory(email="max@musterdorf.de")
    db.session.commit()
    response = client.post("/konto/anmelden", data={"email": blocked.email, "password": PASSWORD})
    assert response.status_code == 422
    assert (
        "Für Adressen der Domain kreis-muster.de ist die Anmeldung mit Passwort abgeschaltet" in response.text
    )
    assert "Mit Test-Anbieter anmelden" in response.text and not signed_in(client)
    registered = client.post(
        "/konto/registrieren", data={"email": "neu@kreis-muster.de", "password": "x" * 20}
    )
    assert registered.status_code == 422 and "abgeschaltet" in registered.text
    reset = client.post("/konto/passwort-vergessen", data={"email": blocked.email})
    assert reset.status_code == 422 and "abgeschaltet" in reset.text
    # The provider's other domain keeps its passwords.
    assert (
        client.post("/konto/anmelden", data={"email": allowed.email, "password": PASSWORD}).status_code == 302
    )


def test_the_login_page_shows_a_button_per_provider_in_german_and_english(client, app, idp):
    app.config["OIDC_PROVIDERS"] = (
        provider_settings(idp.issuer),
        provider_settings(idp.issuer, key="ZWEI", name="Zweckverband Zwei", domains=("zwei.de",)),
    )
    page = client.get("/konto/anmelden?next=/konto/passwort").text
    assert "Mit Test-Anbieter anmelden" in page and "Mit Zweckverband Zwei anmelden" in page
    assert 'href="/konto/oidc/test/anmelden?next=/konto/passwort"' in page
    assert 'href="/konto/oidc/zwei/anmelden' in page and "Für Adressen @zwei.de" in page
    english = client.get("/konto/anmelden?lang=en").text
    assert "Sign in with Test-Anbieter" in english and "Sign in with Zweckverband Zwei" in english


def test_without_providers_the_login_page_has_no_buttons(client, app):
    app.config["OIDC_PROVIDERS"] = ()
    page = client.get("/konto/anmelden").text
    assert "anmelden</span></a>" not in page and "/konto/oidc/" not in page
    assert client.get("/konto/oidc/test/anmelden").status_code == 404


# --- bad input: each ends on the German page, is audited, signs nobody in --------------------------


def assert_failed(client, response, grund: str, status: int = 400, text: str = "") -> dict:
    assert response.status_code == status, response.text
    assert FAILED in response.text
    assert text in response.text
    assert not signed_in(client)
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0
    entry = failures()[-1]
    assert entry["grund"] == grund and entry["anbieter"] == "TEST"
    return entry


def test_a_wrong_state_is_refused(person, client):
    redirect_url = person.provider_login(person.start(), "erika", "erika-kennwort")
    tampered = redirect_url.replace("state=", "state=falsch")
    response = person.back(tampered)
    assert_failed(client, response, "state", text="„state“")
    # The genuine answer still works: the refused one consumed nothing.
    assert person.back(redirect_url).headers["Location"] == "/konto/oidc/konto-anlegen"


def test_a_state_from_another_browser_is_refused(person, client, app):
    redirect_url = person.provider_login(person.start(), "erika", "erika-kennwort")
    thief = Browser(app.test_client())
    response = thief.back(redirect_url)
    assert_failed(thief.client, response, "state")


def test_a_replayed_code_is_refused(person, client):
    first = person.provider_login(person.start(), "erika", "erika-kennwort")
    create_account(person, person.back(first))
    client.post("/konto/abmelden")
    db.session.execute(sa.delete(OidcIdentity))
    db.session.execute(sa.delete(User))
    db.session.commit()
    # A fresh flow in the same person (valid state), answered with the old, already redeemed code.
    second = person.provider_login(person.start(), "erika", "erika-kennwort")
    replay = f"{CALLBACK}?code={query(first)['code']}&state={query(second)['state']}"
    entry = assert_failed(client, person.back(replay), "code", text="schon benutzt")
    assert "invalid_grant" in entry["detail"]


def test_an_expired_id_token_is_refused(person, client, app, idp):
    app.config["OIDC_PROVIDERS"] = (provider_settings(idp.issuer, client_id="km-expired"),)
    assert_failed(client, person.sign_in(), "expired", text="abgelaufen")


def test_an_id_token_for_another_audience_is_refused(person, client, app, idp):
    app.config["OIDC_PROVIDERS"] = (provider_settings(idp.issuer, client_id="km-foreign_audience"),)
    assert_failed(client, person.sign_in(), "audience", text="„aud“")


def test_an_id_token_with_a_forged_signature_is_refused(person, client, app, idp):
    app.config["OIDC_PROVIDERS"] = (provider_settings(idp.issuer, client_id="km-forged_signature"),)
    assert_failed(client, person.sign_in(), "signature", text="Signatur")


def test_an_unverified_email_is_refused(person, client):
    entry = assert_failed(
        client, person.sign_in("ulla", "ulla-kennwort"), "email_unverified", 403, "nicht bestätigt"
    )
    assert entry["email"] == "ulla@kreis-muster.de" and entry["sub"] == "sub-ulla"


def test_a_domain_the_provider_does_not_answer_for_is_refused(person, client):
    response = person.sign_in("fremd", "fremd-kennwort")
    assert_failed(client, response, "domain", 403, "für Adressen der Domain anderswo.de nicht zuständig")


def test_an_unreachable_provider_is_refused(client, app):
    dead = f"http://127.0.0.1:{services.free_port()}"
    app.config["OIDC_PROVIDERS"] = (provider_settings(dead),)
    response = client.get("/konto/oidc/test/anmelden")
    entry = assert_failed(client, response, "unreachable", 502, "nicht erreichbar")
    assert "ConnectionError" in entry["detail"]
    callback = client.get("/konto/oidc/test/rueckkehr?code=abc&state=def")
    assert_failed(client, callback, "unreachable", 502)


def test_a_cancelled_sign_in_is_refused(person, client):
    response = person.back(person.provider_login(person.start(), "erika", "", aktion="abbrechen"))
    assert_failed(client, response, "provider_error", text="abgebrochen")


def test_a_deactivated_account_is_not_signed_in(person, client):
    create_account(person, person.sign_in())
    client.post("/konto/abmelden")
    db.session.execute(sa.update(User).values(active=False))
    db.session.commit()
    response = person.sign_in()
    assert response.status_code == 403 and FAILED in response.text and "gesperrt" in response.text
    assert not signed_in(client) and failures()[-1]["grund"] == "inactive"


def test_an_unknown_provider_is_not_found(client):
    assert client.get("/konto/oidc/unbekannt/anmelden").status_code == 404
    assert client.get("/konto/oidc/unbekannt/rueckkehr?code=a&state=b").status_code == 404


def test_memberships_of_a_refused_sign_in_are_not_touched(person, client, idp, app, musterdorf):
    app.config["OIDC_PROVIDERS"] = (
        provider_settings(idp.issuer, authoritative_ags=("05999001",), client_id="km-expired"),
    )
    idp.put_user(
        "erika", "erika-kennwort", sub="sub-erika-1", email="erika@kreis-muster.de",
        claims={"kommunalmatch_ags": ["05999001"]},
    )  # fmt: skip
    person.sign_in()
    assert db.session.scalar(sa.select(sa.func.count(KommuneMembership.id))) == 0
