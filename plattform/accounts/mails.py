"""The account e-mails: built in the recipient's language, with a plain-text and an HTML part.

Links are built from BASE_URL, never from the request's Host header, so a forged Host cannot
redirect a reset link to another site (OWASP: host header poisoning).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from plattform.accounts import tokens
from plattform.accounts.models import KommuneMembership, User
from plattform.core.mail import build_message, send_message
from plattform.extensions import db

KINDS = (
    "confirm",
    "already_registered",
    "reset",
    "email_change",
    "email_changed_notice",
    "password_changed",
    "membership_requested",
    "membership_decided",
    "oidc_link",
)


class _Gone(Exception):
    """What the mail is about no longer exists (e.g. the request was withdrawn)."""


def external_url(endpoint: str, **values) -> str:
    """An absolute link on this platform, built from BASE_URL (works inside a worker too)."""
    adapter = current_app.url_map.bind("localhost")
    return current_app.config["BASE_URL"].rstrip("/") + adapter.build(endpoint, values)


def _subject_and_context(kind: str, user: User, params: dict) -> tuple[str, str, dict]:
    """Subject, recipient and template context of one kind of mail."""
    context: dict = {"user": user}
    to = user.email
    if kind == "confirm":
        subject = _("Bitte bestätigen Sie Ihre E-Mail-Adresse")
        context["link"] = external_url("accounts.confirm", token=tokens.make_confirm_token(user))
        context["hours"] = tokens.max_age(tokens.CONFIRM) // 3600
    elif kind == "already_registered":
        subject = _("Ihr Konto bei Kommunalmatch")
        context["login_link"] = external_url("accounts.login")
        context["reset_link"] = external_url("accounts.reset_request")
    elif kind == "reset":
        subject = _("Passwort zurücksetzen")
        context["link"] = external_url("accounts.reset", token=tokens.make_reset_token(user))
        context["minutes"] = tokens.max_age(tokens.RESET) // 60
    elif kind == "email_change":
        to = params["new_email"]
        subject = _("Bitte bestätigen Sie Ihre neue E-Mail-Adresse")
        token = tokens.make_email_change_token(user, params["new_email"])
        context["link"] = external_url("accounts.email_confirm", token=token)
        context["new_email"] = params["new_email"]
        context["hours"] = tokens.max_age(tokens.EMAIL_CHANGE) // 3600
    elif kind == "email_changed_notice":
        to = params["old_email"]
        subject = _("Ihre E-Mail-Adresse wurde geändert")
        context["new_email"] = user.email
        context["reset_link"] = external_url("accounts.reset_request")
    elif kind == "password_changed":
        subject = _("Ihr Passwort wurde geändert")
        context["reset_link"] = external_url("accounts.reset_request")
    elif kind in ("membership_requested", "membership_decided"):
        membership = db.session.get(KommuneMembership, params["membership_id"])
        if membership is None:
            raise _Gone()
        context["membership"] = membership
        if kind == "membership_requested":
            subject = _(
                "Neue Anfrage: %(name)s möchte für %(kommune)s sprechen",
                name=membership.user.name,
                kommune=membership.kommune.name,
            )
            context["link"] = external_url("verwaltung.freigaben")
        else:
            subject = (
                _("Ihre Anfrage für %(kommune)s wurde bestätigt", kommune=membership.kommune.name)
                if membership.status == "bestaetigt"
                else _("Ihre Anfrage für %(kommune)s wurde abgelehnt", kommune=membership.kommune.name)
            )
            context["link"] = external_url("accounts.konto")
    elif kind == "oidc_link":
        from plattform.accounts import oidc

        provider = oidc.provider_by_key(params["provider"])
        if provider is None:
            raise _Gone()
        subject = _("Konto mit %(name)s verknüpfen", name=provider.name)
        token = oidc.make_link_token(user, provider.key, params["issuer"], params["subject"])
        context["link"] = external_url("accounts.oidc_link_confirm", token=token)
        context["provider_name"] = provider.name
        context["minutes"] = oidc.LINK_TOKEN_MAX_AGE // 60
    else:
        raise ValueError(f"unknown mail kind {kind!r}")
    return subject, to, context


def send_account_mail(kind: str, user_id: int, **params) -> bool:
    """Build and send one account e-mail; False when the user or the subject no longer exists."""
    user = db.session.get(User, user_id)
    if user is None:
        return False
    with force_locale(user.locale or "de"):
        try:
            subject, to, context = _subject_and_context(kind, user, params)
        except _Gone:
            return False
        text = render_template(f"accounts/mail/{kind}.txt", **context)
        html = render_template(f"accounts/mail/{kind}.html", subject=subject, **context)
    send_message(build_message(to, subject, text, html))
    return True


def approvers_of(membership: KommuneMembership) -> list[User]:
    """Who should hear of a new request: the Kreis coordinators, or the administrators if none."""
    from plattform.accounts.permissions import may_decide

    kommune = membership.kommune
    kreis_ids = [kommune.id] if kommune.ebene == "kreis" else [k for k in [kommune.kreis_id] if k]
    candidates: list[User] = []
    if kreis_ids and membership.role != "koordination":
        candidates = list(
            db.session.scalars(
                sa.select(User)
                .join(KommuneMembership, KommuneMembership.user_id == User.id)
                .where(
                    KommuneMembership.kommune_id.in_(kreis_ids),
                    KommuneMembership.role == "koordination",
                    KommuneMembership.status == "bestaetigt",
                    User.active.is_(True),
                )
            )
        )
    if not candidates:
        candidates = list(db.session.scalars(sa.select(User).where(User.is_admin.is_(True), User.active)))
    return [u for u in candidates if may_decide(u, membership)]
