"""Sign-in through a Kommune's identity provider (OpenID Connect authorization code flow).

Authlib's Flask client does the protocol: discovery from the issuer's
`/.well-known/openid-configuration`, PKCE (S256), `state` and `nonce` kept in the session, the code
exchanged at the token endpoint, the ID token's signature checked against the provider's JWKS and
its claims (`iss`, `aud`, `exp`, `iat`, `nonce`, `azp`, `at_hash`) validated. This module adds what
the platform decides on top: the e-mail address must be verified and in a domain the provider
answers for; a known (issuer, subject) signs its account in; an unknown one either links to the
account of its address (after the password, or a link mailed to that address) or creates an account
(after the privacy notice); an authoritative provider's claim grants memberships.

Services flush but never commit, like the other account services: the view commits the action with
its audit event. Failures raise `OidcFailure`, whose message is German and safe to show.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import requests
import sqlalchemy as sa
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import FlaskIntegration, FlaskOAuth2App
from flask import current_app, session, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    InvalidKeyIdError,
    JoseError,
)

from plattform.accounts.models import KommuneMembership, User
from plattform.accounts.oidc_models import OidcIdentity, OidcMembershipGrant
from plattform.accounts.passwords import NO_PASSWORD, verify_password
from plattform.accounts.services import create_user, get_user_by_email, membership_of, normalise_email
from plattform.config import OidcProvider
from plattform.core import audit
from plattform.core.clock import utcnow
from plattform.extensions import db
from plattform.i18n import N_

# Clock skew tolerated on `exp`/`iat` (seconds). Authlib's default is 120.
LEEWAY = 60
# A re-authentication (prompt=login) must be this fresh (seconds since `auth_time`).
REAUTH_MAX_AGE = 5 * 60
# How long a sign-in waits for the person to link or create the account (seconds).
PENDING_MAX_AGE = 15 * 60
# Discovery documents are fetched again after a day (keys rotate through the JWKS on their own).
METADATA_MAX_AGE = 24 * 3600
# Keep the ID token for the logout hint only while it fits comfortably into the session cookie.
MAX_ID_TOKEN_IN_SESSION = 2000
LINK_TOKEN_MAX_AGE = 3600
PENDING_KEY = "oidc_pending"
SESSION_KEY = "oidc"
LOGOUT_OFFER_KEY = "oidc_logout_offer"

audit.register_action("oidc.login", N_("Anmeldung über Identitätsanbieter"))
audit.register_action("oidc.failed", N_("Anmeldung über Identitätsanbieter fehlgeschlagen"))
audit.register_action("oidc.linked", N_("Konto mit Identitätsanbieter verknüpft"))
audit.register_action("oidc.membership_granted", N_("Mitgliedschaft vom Identitätsanbieter bestätigt"))
audit.register_action("oidc.membership_revoked", N_("Mitgliedschaft vom Identitätsanbieter beendet"))


class OidcFailure(Exception):
    """A sign-in that must not go through: `code` for the audit log, `message` German for the page."""

    def __init__(self, code: str, message: str, status: int = 400, detail: str = "", claims=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.detail = detail
        self.claims = claims or {}


@dataclass
class VerifiedSignIn:
    """What the provider vouched for, after every check."""

    provider: OidcProvider
    issuer: str
    subject: str
    email: str
    name: str
    ags: list[str]
    auth_time: int | None
    id_token: str
    extras: dict = field(default_factory=dict)


# --- providers and their clients -------------------------------------------------------------------


def providers() -> tuple[OidcProvider, ...]:
    """The configured identity providers, in the configured order."""
    return tuple(current_app.config.get("OIDC_PROVIDERS", ()))


def get_provider(slug: str) -> OidcProvider | None:
    """The provider of this URL name, or None."""
    return next((p for p in providers() if p.slug == slug), None)


def provider_by_key(key: str) -> OidcProvider | None:
    """The provider of this configured key, or None (e.g. removed from the configuration)."""
    return next((p for p in providers() if p.key == key), None)


def email_domain(email: str) -> str:
    """The part after the last @, lower-cased."""
    return normalise_email(email).rpartition("@")[2]


def providers_for_email(email: str) -> list[OidcProvider]:
    """Providers that answer for this address's domain."""
    domain = email_domain(email)
    return [p for p in providers() if domain in p.domains]


def password_login_blocked(email: str | None) -> list[OidcProvider]:
    """Providers through which this address must sign in because its domain has passwords off."""
    if not email or "@" not in email:
        return []
    domain = email_domain(email)
    return [p for p in providers() if domain in p.password_off_domains]


def linked_providers(user: User) -> list[OidcProvider]:
    """The configured providers this account is linked to."""
    keys = {identity.provider for identity in user.oidc_identities}
    return [p for p in providers() if p.key in keys]


def client(provider: OidcProvider) -> FlaskOAuth2App:
    """This app's Authlib client for the provider (metadata and keys are cached in it)."""
    # Keyed by the whole (frozen) settings: a changed client id or secret gets a client of its own.
    clients = current_app.extensions.setdefault("kommunalmatch_oidc", {})
    app_client = clients.get(provider)
    if app_client is None:
        name = f"oidc_{provider.slug}"
        app_client = FlaskOAuth2App(
            FlaskIntegration(name),
            name=name,
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            server_metadata_url=provider.issuer.rstrip("/") + "/.well-known/openid-configuration",
            client_kwargs={
                "scope": provider.scopes,
                "code_challenge_method": "S256",
                "default_timeout": provider.timeout,
            },
        )
        clients[provider] = app_client
    return app_client


def _unreachable(provider: OidcProvider, exc: Exception) -> OidcFailure:
    return OidcFailure(
        "unreachable",
        _(
            "%(name)s ist gerade nicht erreichbar. Bitte versuchen Sie es in einigen Minuten noch "
            "einmal oder melden Sie sich mit E-Mail-Adresse und Passwort an.",
            name=provider.name,
        ),
        status=502,
        detail=f"{exc.__class__.__name__}: {exc}"[:300],
    )


def metadata(provider: OidcProvider) -> dict:
    """The provider's discovery document, checked to be the configured issuer's."""
    app_client = client(provider)
    loaded_at = app_client.server_metadata.get("_loaded_at")
    if loaded_at and time.time() - loaded_at > METADATA_MAX_AGE:
        app_client.server_metadata.clear()
    try:
        data = app_client.load_server_metadata()
    except (requests.RequestException, ValueError) as exc:
        app_client.server_metadata.clear()
        raise _unreachable(provider, exc) from exc
    # OpenID Connect Discovery 1.0, 4.3: the issuer in the document must be the one asked for.
    if str(data.get("issuer", "")).rstrip("/") != provider.issuer.rstrip("/"):
        reported = data.get("issuer")
        app_client.server_metadata.clear()
        raise OidcFailure(
            "issuer",
            _(
                "%(name)s meldet sich mit einer anderen Kennung (issuer) als eingestellt. Bitte "
                "wenden Sie sich an die Administration von Kommunalmatch.",
                name=provider.name,
            ),
            detail=f"configured {provider.issuer!r}, discovery says {reported!r}",
        )
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not data.get(key):
            app_client.server_metadata.clear()
            raise _unreachable(provider, ValueError(f"discovery document without {key}"))
    return data


# --- the authorization code flow -------------------------------------------------------------------


def callback_url(provider: OidcProvider) -> str:
    """The redirect URI registered at the provider: BASE_URL + /konto/oidc/<slug>/rueckkehr."""
    return external(url_for("accounts.oidc_callback", provider=provider.slug))


def external(path: str) -> str:
    """An absolute URL on this platform from BASE_URL (never from the request's Host header)."""
    return current_app.config["BASE_URL"].rstrip("/") + path


def authorization_url(
    provider: OidcProvider, *, next_url: str | None, reauth_user: User | None, locale: str
) -> str:
    """Start the flow: remember state, nonce and PKCE verifier in the session; the provider's URL."""
    metadata(provider)
    app_client = client(provider)
    params: dict = {"ui_locales": locale}
    if reauth_user is not None:
        # OpenID Connect Core 1.0, 3.1.2.1: ask for a fresh authentication, whatever session exists.
        params.update(prompt="login", max_age=0)
    try:
        rv = app_client.create_authorization_url(callback_url(provider), **params)
    except (requests.RequestException, ValueError) as exc:
        raise _unreachable(provider, exc) from exc
    data = {
        "redirect_uri": callback_url(provider),
        "code_verifier": rv["code_verifier"],
        "nonce": rv["nonce"],
        "next": next_url,
        "reauth_user_id": reauth_user.id if reauth_user is not None else None,
    }
    app_client.framework.set_state_data(session, rv["state"], data)
    return rv["url"]


def _claim_failure(provider: OidcProvider, exc: ClaimError) -> OidcFailure:
    claim = getattr(exc, "claim", "")
    if isinstance(exc, ExpiredTokenError) or claim == "exp":
        return OidcFailure(
            "expired",
            _(
                "Das ID-Token von %(name)s ist abgelaufen. Bitte starten Sie die Anmeldung noch "
                "einmal; misslingt sie wieder, geht vermutlich die Uhr des Anbieters oder dieses "
                "Servers falsch.",
                name=provider.name,
            ),
            detail=str(exc),
        )
    if claim in ("aud", "azp"):
        return OidcFailure(
            "audience",
            _(
                "Das ID-Token ist nicht für Kommunalmatch ausgestellt (die Zielgruppe „aud“ nennt "
                "eine andere Anwendung)."
            ),
            detail=str(exc),
        )
    if claim == "iss":
        return OidcFailure(
            "issuer",
            _(
                "Das ID-Token stammt nicht von %(name)s (der Aussteller „iss“ stimmt nicht).",
                name=provider.name,
            ),
            detail=str(exc),
        )
    if claim == "nonce":
        return OidcFailure(
            "nonce",
            _(
                "Das ID-Token gehört nicht zu dieser Anmeldung (der Einmalwert „nonce“ stimmt nicht). "
                "Bitte starten Sie die Anmeldung noch einmal."
            ),
            detail=str(exc),
        )
    return OidcFailure(
        "token",
        _("Das ID-Token von %(name)s ist ungültig (Angabe „%(claim)s“).", name=provider.name, claim=claim),
        detail=str(exc),
    )


def _fetch_token(provider: OidcProvider) -> dict:
    from flask import request

    app_client = client(provider)
    metadata(provider)
    error = request.args.get("error")
    if error:
        if error in ("access_denied", "login_required", "interaction_required"):
            message = _(
                "Die Anmeldung wurde bei %(name)s abgebrochen oder abgelehnt. Sie können es noch "
                "einmal versuchen oder sich mit E-Mail-Adresse und Passwort anmelden.",
                name=provider.name,
            )
        else:
            message = _(
                "%(name)s meldet einen Fehler (%(error)s). Bitte versuchen Sie es noch einmal.",
                name=provider.name,
                error=error[:60],
            )
        raise OidcFailure(
            "provider_error", message, detail=f"{error}: {request.args.get('error_description', '')}"[:300]
        )
    state = request.args.get("state") or ""
    state_data = app_client.framework.get_state_data(session, state) if state else None
    try:
        token = app_client.authorize_access_token(
            leeway=LEEWAY,
            claims_options={
                "iss": {"essential": True, "value": app_client.server_metadata["issuer"]},
                "aud": {"essential": True, "value": provider.client_id},
                "sub": {"essential": True},
            },
        )
    except MismatchingStateError as exc:
        raise OidcFailure(
            "state",
            _(
                "Die Antwort des Anbieters gehört zu keiner Anmeldung, die in diesem Browser begonnen "
                "wurde (der Sicherheitswert „state“ fehlt, ist falsch oder schon verbraucht). Bitte "
                "starten Sie die Anmeldung noch einmal."
            ),
            detail=str(exc),
        ) from exc
    except OAuthError as exc:
        raise OidcFailure(
            "code",
            _(
                "%(name)s hat den Anmeldecode nicht angenommen: Er wurde schon benutzt oder ist "
                "abgelaufen. Bitte starten Sie die Anmeldung noch einmal.",
                name=provider.name,
            ),
            detail=f"{exc.error}: {exc.description}"[:300],
        ) from exc
    except (BadSignatureError, InvalidKeyIdError) as exc:
        raise OidcFailure(
            "signature",
            _(
                "Die Signatur des ID-Tokens ist ungültig: Es stammt nicht nachweislich von %(name)s.",
                name=provider.name,
            ),
            detail=str(exc),
        ) from exc
    except ClaimError as exc:
        raise _claim_failure(provider, exc) from exc
    except JoseError as exc:
        raise OidcFailure(
            "token", _("Das ID-Token von %(name)s ist ungültig.", name=provider.name), detail=str(exc)
        ) from exc
    except (requests.RequestException, ValueError) as exc:
        raise _unreachable(provider, exc) from exc
    if "userinfo" not in token:
        raise OidcFailure(
            "token",
            _("%(name)s hat kein ID-Token geschickt (Scope „openid“).", name=provider.name),
            detail="token response without id_token",
        )
    token["_state_data"] = state_data or {}
    return token


def _is_true(value) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _ags_values(value) -> list[str]:
    if isinstance(value, str):
        value = value.replace(";", ",").split(",")
    if not isinstance(value, list):
        return []
    return sorted({str(v).strip() for v in value if isinstance(v, str | int) and str(v).strip()})


def finish(provider: OidcProvider) -> VerifiedSignIn:
    """Complete the flow at the callback: every protocol check, then the platform's own."""
    token = _fetch_token(provider)
    claims = dict(token["userinfo"])
    seen = {"sub": claims.get("sub"), "email": claims.get("email")}
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise OidcFailure(
            "email_missing",
            _(
                "%(name)s hat keine E-Mail-Adresse übermittelt. Bitte bitten Sie die Administration "
                "des Anbieters, für Kommunalmatch den Scope „email“ freizugeben.",
                name=provider.name,
            ),
            status=403,
            claims=seen,
        )
    email = normalise_email(email)
    if not _is_true(claims.get("email_verified")):
        raise OidcFailure(
            "email_unverified",
            _(
                "%(name)s meldet Ihre E-Mail-Adresse %(email)s als nicht bestätigt (email_verified). "
                "Bitte bestätigen Sie die Adresse beim Anbieter oder wenden Sie sich an dessen "
                "Administration.",
                name=provider.name,
                email=email,
            ),
            status=403,
            claims=seen,
        )
    domain = email_domain(email)
    if domain not in provider.domains:
        raise OidcFailure(
            "domain",
            _(
                "%(name)s ist für Adressen der Domain %(domain)s nicht zuständig. Bitte melden Sie "
                "sich über den Anbieter Ihrer Verwaltung oder mit E-Mail-Adresse und Passwort an.",
                name=provider.name,
                domain=domain,
            ),
            status=403,
            claims=seen,
        )
    name = claims.get("name") or " ".join(
        part for part in (claims.get("given_name"), claims.get("family_name")) if isinstance(part, str)
    )
    if not isinstance(name, str) or not name.strip():
        name = email.partition("@")[0]
    auth_time = claims.get("auth_time")
    return VerifiedSignIn(
        provider=provider,
        issuer=str(claims["iss"]),
        subject=str(claims["sub"]),
        email=email,
        name=name.strip()[:120],
        ags=_ags_values(claims.get(provider.ags_claim)),
        auth_time=int(auth_time) if isinstance(auth_time, int | float) else None,
        id_token=token.get("id_token", ""),
        extras=token["_state_data"],
    )


def record_failure(provider: OidcProvider | None, failure: OidcFailure, slug: str | None = None) -> None:
    """Write a failed sign-in to the audit log in its own transaction (nobody is signed in)."""
    db.session.rollback()
    details = {"anbieter": provider.key if provider else slug, "grund": failure.code}
    if failure.detail:
        details["detail"] = failure.detail
    details.update({k: v for k, v in failure.claims.items() if v})
    audit.record("oidc.failed", target=None, details=details, actor=None)
    db.session.commit()


# --- accounts: find, link, create ------------------------------------------------------------------


def find_identity(issuer: str, subject: str) -> OidcIdentity | None:
    """The linked identity of this issuer and subject."""
    return db.session.scalar(
        sa.select(OidcIdentity).where(OidcIdentity.issuer == issuer, OidcIdentity.subject == subject)
    )


def check_reauth(signin: VerifiedSignIn, user: User | None, expected_user_id: int) -> None:
    """A re-authentication must come back to the session that asked for it, be that account's
    identity, and the provider must have authenticated the person anew (`auth_time`)."""
    identity = find_identity(signin.issuer, signin.subject)
    fresh = signin.auth_time is not None and time.time() - signin.auth_time <= REAUTH_MAX_AGE + LEEWAY
    if (
        user is None
        or user.id != expected_user_id
        or identity is None
        or identity.user_id != user.id
        or not fresh
    ):
        raise OidcFailure(
            "reauth",
            _(
                "Die erneute Anmeldung über %(name)s gehört nicht zu Ihrem Konto oder war nicht frisch. "
                "Bitte bestätigen Sie noch einmal.",
                name=signin.provider.name,
            ),
            status=403,
            detail=f"identity={getattr(identity, 'user_id', None)} user={getattr(user, 'id', None)} "
            f"expected={expected_user_id} auth_time={signin.auth_time}",
            claims={"sub": signin.subject, "email": signin.email},
        )


def _inactive(signin: VerifiedSignIn) -> OidcFailure:
    return OidcFailure(
        "inactive",
        _("Ihr Konto bei Kommunalmatch ist gesperrt. Bitte wenden Sie sich an die Administration."),
        status=403,
        claims={"sub": signin.subject, "email": signin.email},
    )


def check_linkable(signin: VerifiedSignIn, existing: User | None) -> None:
    """An unknown identity may link to the account of its address only if that account is active."""
    if existing is not None and not existing.active:
        raise _inactive(signin)


def sign_in_identity(identity: OidcIdentity, signin: VerifiedSignIn) -> User:
    """A known identity: note the sign-in and apply an authoritative provider's memberships."""
    user = identity.user
    if not user.active:
        raise _inactive(signin)
    identity.email = signin.email
    identity.last_login_at = utcnow()
    if user.email_confirmed_at is None and user.email == signin.email:
        user.email_confirmed_at = utcnow()  # the provider vouched for this very address
    _signed_in(user, signin.provider, signin.ags)
    return user


def _signed_in(user: User, provider: OidcProvider, claimed: list[str]) -> None:
    user.last_login_at = utcnow()
    ignored = apply_authoritative_memberships(user, provider, claimed)
    details: dict = {"anbieter": provider.key}
    if ignored:
        details["ags_ignoriert"] = ignored
    audit.record("oidc.login", target=user, actor=user, details=details)


def pending_from(signin: VerifiedSignIn) -> dict:
    """The sign-in waiting for the person to link or create the account (kept in the session)."""
    return {
        "p": signin.provider.key,
        "iss": signin.issuer,
        "sub": signin.subject,
        "email": signin.email,
        "name": signin.name,
        "ags": signin.ags,
        "next": signin.extras.get("next"),
        "exp": int(time.time()) + PENDING_MAX_AGE,
        "t": signin.id_token if len(signin.id_token) <= MAX_ID_TOKEN_IN_SESSION else None,
    }


def read_pending(data) -> tuple[dict, OidcProvider] | None:
    """A pending sign-in that is complete, not expired and of a still configured provider."""
    if not isinstance(data, dict) or not isinstance(data.get("exp"), int) or data["exp"] < time.time():
        return None
    provider = provider_by_key(data.get("p", ""))
    if provider is None or not all(isinstance(data.get(k), str) for k in ("iss", "sub", "email")):
        return None
    return data, provider


def _link(
    user: User, provider: OidcProvider, issuer: str, subject: str, email: str, how: str
) -> OidcIdentity:
    if find_identity(issuer, subject) is not None:
        raise OidcFailure(
            "linked",
            _("Diese Anmeldung bei %(name)s ist schon mit einem Konto verknüpft.", name=provider.name),
        )
    identity = OidcIdentity(
        user=user, provider=provider.key, issuer=issuer, subject=subject, email=email, last_login_at=utcnow()
    )
    db.session.add(identity)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    db.session.flush()
    audit.record(
        "oidc.linked", target=user, actor=user, details={"anbieter": provider.key, "bestaetigt": how}
    )
    return identity


def link_with_password(pending: dict, provider: OidcProvider, password: str) -> User | None:
    """Link the pending identity to the account of its address if the password is that account's."""
    user = get_user_by_email(pending["email"])
    if user is None or not user.active or not verify_password(user.password_hash, password):
        return None
    _link(user, provider, pending["iss"], pending["sub"], pending["email"], "passwort")
    sign_in_after_link(user, provider, pending)
    return user


def sign_in_after_link(user: User, provider: OidcProvider, pending: dict) -> None:
    """The first sign-in of a freshly linked identity."""
    _signed_in(user, provider, [a for a in pending.get("ags") or [] if isinstance(a, str)])


def create_account(
    pending: dict, provider: OidcProvider, name: str, funktion: str | None, locale: str
) -> User:
    """A new account for the pending identity: address confirmed by the provider, no password."""
    user = create_user(pending["email"], "unused", name, confirmed=True)
    user.password_hash = NO_PASSWORD
    user.funktion = (funktion or "").strip() or None
    user.locale = locale if locale in ("de", "en") else "de"
    user.privacy_accepted_at = utcnow()
    audit.record("account.registered", target=user, actor=user, details={"anbieter": provider.key})
    _link(user, provider, pending["iss"], pending["sub"], pending["email"], "neues-konto")
    sign_in_after_link(user, provider, pending)
    return user


# --- authoritative providers: memberships from a claim ---------------------------------------------


def apply_authoritative_memberships(user: User, provider: OidcProvider, claimed: list[str]) -> list[str]:
    """For every Kommune the provider is authoritative for: the claim makes the user a member
    ("mitglied", never "koordination"); a membership this provider granted ends when the claim no
    longer names the Kommune. Returns the claimed AGS outside the provider's list (ignored)."""
    if not provider.authoritative_ags:
        return []
    from plattform.kommunen.services import get_by_ags

    authoritative = set(provider.authoritative_ags)
    claimed_set = set(claimed)
    ignored = sorted(claimed_set - authoritative)
    for ags in sorted(authoritative):
        kommune = get_by_ags(ags)
        if kommune is None:
            continue
        membership = membership_of(user.id, kommune.id)
        details = {"anbieter": provider.key, "ags": ags, "kommune": kommune.name, "claim": provider.ags_claim}
        if ags in claimed_set and kommune.active:
            if membership is not None and membership.status == "bestaetigt":
                continue
            if membership is None:
                membership = KommuneMembership(user_id=user.id, kommune_id=kommune.id, role="mitglied")
                db.session.add(membership)
            membership.status = "bestaetigt"
            membership.role = "mitglied"
            membership.decided_at = utcnow()
            membership.decided_by_id = None
            db.session.flush()
            if membership.oidc_grant is None:
                db.session.add(OidcMembershipGrant(membership_id=membership.id, provider=provider.key))
            audit.record("oidc.membership_granted", target=user, actor=user, details=details)
        elif (
            membership is not None
            and membership.status == "bestaetigt"
            and membership.oidc_grant is not None
            and membership.oidc_grant.provider == provider.key
        ):
            membership.status = "abgelehnt"
            membership.decided_at = utcnow()
            db.session.delete(membership.oidc_grant)
            audit.record("oidc.membership_revoked", target=user, actor=user, details=details)
    db.session.flush()
    return ignored


# --- the link mailed to the account's address -------------------------------------------------------


def _link_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="kommunalmatch-oidc-link")


def make_link_token(user: User, provider_key: str, issuer: str, subject: str) -> str:
    """A link that ties this identity to the account, valid LINK_TOKEN_MAX_AGE seconds."""
    return _link_serializer().dumps(
        {"u": user.id, "e": user.email, "p": provider_key, "iss": issuer, "sub": subject}
    )


class LinkTokenError(ValueError):
    """The link is forged, expired or no longer fits the account."""

    def __init__(self, expired: bool = False):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def link_from_token(token: str) -> tuple[User, OidcProvider]:
    """Link the identity the mailed link names (once: a second use finds it linked)."""
    try:
        data = _link_serializer().loads(token, max_age=LINK_TOKEN_MAX_AGE)
    except SignatureExpired:
        raise LinkTokenError(expired=True) from None
    except BadSignature:
        raise LinkTokenError() from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise LinkTokenError()
    user = db.session.get(User, data["u"])
    provider = provider_by_key(data.get("p", ""))
    if user is None or not user.active or provider is None or data.get("e") != user.email:
        raise LinkTokenError()
    if find_identity(data["iss"], data["sub"]) is not None:
        raise LinkTokenError()
    _link(user, provider, data["iss"], data["sub"], user.email, "mail")
    return user, provider


# --- logout ----------------------------------------------------------------------------------------


def remember_for_logout(signin_provider: OidcProvider, id_token: str) -> None:
    """Note in the session which provider signed the person in (and its ID token as logout hint)."""
    session[SESSION_KEY] = {
        "p": signin_provider.key,
        "t": id_token if len(id_token) <= MAX_ID_TOKEN_IN_SESSION else None,
    }


def take_logout_offer() -> dict | None:
    """Before the local session ends: which provider to offer the end-session link of, if any."""
    data = session.pop(SESSION_KEY, None)
    if not isinstance(data, dict) or provider_by_key(data.get("p", "")) is None:
        return None
    return data


def after_logout(offer: dict | None) -> str | None:
    """Called by the logout view once the local session has ended: where the person is offered the
    provider's end-session endpoint (None when they did not sign in through a provider)."""
    if offer is None:
        return None
    session[LOGOUT_OFFER_KEY] = offer
    return url_for("accounts.oidc_logout_offer")


def password_off_message(email: str | None) -> str | None:
    """The German refusal for a password sign-in (or a new password) at a domain with passwords off."""
    blocked = password_login_blocked(email)
    if not blocked:
        return None
    return _(
        "Für Adressen der Domain %(domain)s ist die Anmeldung mit Passwort abgeschaltet. Bitte melden "
        "Sie sich mit „Mit %(name)s anmelden“ an.",
        domain=email_domain(email),
        name=blocked[0].name,
    )


def end_session_url(offer: dict) -> tuple[OidcProvider, str | None]:
    """The provider and its end-session URL (RP-Initiated Logout 1.0), or None if it has none."""
    provider = provider_by_key(offer["p"])
    try:
        data = metadata(provider)
    except OidcFailure:
        return provider, None
    if not data.get("end_session_endpoint"):
        return provider, None
    result = client(provider).create_logout_url(
        post_logout_redirect_uri=external(url_for("accounts.oidc_logged_out", provider=provider.slug)),
        id_token_hint=offer.get("t"),
        client_id=provider.client_id,
    )
    client(provider).framework.set_state_data(session, result["state"], {"logout": True})
    return provider, result["url"]


def logout_returned(provider: OidcProvider, state: str | None) -> bool:
    """Whether the provider came back from an end-session request this browser made."""
    if not state:
        return False
    framework = client(provider).framework
    data = framework.get_state_data(session, state)
    framework.clear_state_data(session, state)
    return bool(data and data.get("logout"))


def export_identities(user: User) -> list[dict]:
    """The identity providers the account is linked to (personal data export)."""
    return [
        {
            "anbieter": identity.provider,
            "issuer": identity.issuer,
            "subject": identity.subject,
            "email": identity.email,
            "created_at": identity.created_at.isoformat() if identity.created_at else None,
            "last_login_at": identity.last_login_at.isoformat() if identity.last_login_at else None,
        }
        for identity in user.oidc_identities
    ]
