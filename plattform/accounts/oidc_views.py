"""Sign in through a Kommune's identity provider: start, return, link or create the account, re-
authenticate, and the offer to end the provider's session after logging out.

Every failed sign-in ends on one German page ("Die Anmeldung über … ist fehlgeschlagen: …"), is
written to the audit log and signs nobody in. People are logged in only through
`views.start_session`, the one place every sign-in goes through.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import confirm_login, current_user

from plattform.accounts import bp, oidc
from plattform.accounts.export import register_personal_data_exporter
from plattform.accounts.oidc import LOGOUT_OFFER_KEY, PENDING_KEY, LinkTokenError, OidcFailure
from plattform.accounts.oidc_forms import OidcCreateAccountForm, OidcLinkMailForm, OidcLinkPasswordForm
from plattform.accounts.passwords import has_password
from plattform.accounts.permissions import mark_login_fresh
from plattform.accounts.services import get_user_by_email
from plattform.accounts.sessions import end_session
from plattform.accounts.tasks import queue_account_mail
from plattform.accounts.views import LOGIN_LIMIT, MAIL_LIMIT, safe_next, start_session
from plattform.extensions import db, limiter

register_personal_data_exporter("identitaetsanbieter", oidc.export_identities)


def _provider_or_404(slug: str):
    provider = oidc.get_provider(slug)
    if provider is None:
        abort(404)
    return provider


def _failed(provider, failure: OidcFailure):
    """The one page for a failed sign-in; the failure is in the audit log, nobody is signed in."""
    oidc.record_failure(provider, failure)
    session.pop(PENDING_KEY, None)
    return render_template("accounts/oidc_fehler.html", provider=provider, failure=failure), failure.status


def _locale() -> str:
    return str(get_locale() or "de")


@bp.get("/oidc/<provider>/anmelden")
@limiter.limit(LOGIN_LIMIT)
def oidc_start(provider: str):
    """Send the browser to the provider (authorization request with state, nonce and PKCE).

    With `erneut=1` a logged-in person confirms their identity again (prompt=login) before a
    sensitive action, instead of typing a password.
    """
    p = _provider_or_404(provider)
    reauth = request.args.get("erneut") == "1"
    if reauth and not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    if current_user.is_authenticated and not reauth:
        return redirect(url_for("core.index"))
    try:
        url = oidc.authorization_url(
            p,
            next_url=safe_next(request.args.get("next")),
            reauth_user=current_user._get_current_object() if reauth else None,
            locale=_locale(),
        )
    except OidcFailure as failure:
        return _failed(p, failure)
    return redirect(url)


@bp.get("/oidc/<provider>/rueckkehr")
@limiter.limit(LOGIN_LIMIT)
def oidc_callback(provider: str):
    """The redirect URI: check everything, then sign in, or ask to link or create the account."""
    p = _provider_or_404(provider)
    try:
        signin = oidc.finish(p)
        reauth_user_id = signin.extras.get("reauth_user_id")
        if reauth_user_id is not None:
            user = current_user._get_current_object() if current_user.is_authenticated else None
            oidc.check_reauth(signin, user, reauth_user_id)
            confirm_login()
            mark_login_fresh()
            return redirect(signin.extras.get("next") or url_for("accounts.konto"))
        if current_user.is_authenticated:
            end_session(current_user._get_current_object())
        identity = oidc.find_identity(signin.issuer, signin.subject)
        if identity is not None:
            user = oidc.sign_in_identity(identity, signin)
            db.session.commit()
            start_session(user)
            oidc.remember_for_logout(p, signin.id_token)
            return redirect(signin.extras.get("next") or url_for("uebersicht.index"))
        existing = get_user_by_email(signin.email)
        oidc.check_linkable(signin, existing)
    except OidcFailure as failure:
        return _failed(p, failure)
    session[PENDING_KEY] = oidc.pending_from(signin)
    if existing is not None:
        return redirect(url_for("accounts.oidc_link"))
    return redirect(url_for("accounts.oidc_create"))


def _pending_or_restart():
    """The pending sign-in, or a redirect to the login page when there is none (or it expired)."""
    found = oidc.read_pending(session.get(PENDING_KEY))
    if found is None:
        session.pop(PENDING_KEY, None)
        flash(
            _("Die Anmeldung über den Identitätsanbieter ist abgelaufen. Bitte beginnen Sie noch einmal."),
            "info",
        )
        return None, None, redirect(url_for("accounts.login"))
    pending, provider = found
    return pending, provider, None


def _finish_pending(user, provider, pending, message: str):
    db.session.commit()
    session.pop(PENDING_KEY, None)
    start_session(user)
    oidc.remember_for_logout(provider, pending.get("t") or "")
    flash(message, "success")


@bp.route("/oidc/verknuepfen", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
def oidc_link():
    """First sign-in for an address that already has an account: confirm with its password (or ask
    for a link by e-mail), then the provider's identity is linked and signs that account in."""
    pending, provider, restart = _pending_or_restart()
    if restart:
        return restart
    user = get_user_by_email(pending["email"])
    if user is None:
        return redirect(url_for("accounts.oidc_create"))
    form = OidcLinkPasswordForm()
    if has_password(user) and form.validate_on_submit():
        try:
            linked = oidc.link_with_password(pending, provider, form.password.data)
        except OidcFailure as failure:
            return _failed(provider, failure)
        if linked is not None:
            _finish_pending(
                linked,
                provider,
                pending,
                _(
                    "Ihr Konto ist jetzt mit %(name)s verknüpft. Künftig melden Sie sich mit „Mit "
                    "%(name)s anmelden“ an.",
                    name=provider.name,
                ),
            )
            return redirect(safe_next(pending.get("next")) or url_for("uebersicht.index"))
        db.session.rollback()
        form.password.errors.append(_("Das Passwort stimmt nicht."))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "accounts/oidc_verknuepfen.html",
        form=form,
        mail_form=OidcLinkMailForm(formdata=None),
        provider=provider,
        email=pending["email"],
        with_password=has_password(user),
    ), status


@bp.post("/oidc/verknuepfen/mail")
@limiter.limit(MAIL_LIMIT)
def oidc_link_mail():
    """Send the link that ties the pending identity to the account, to the account's own address."""
    pending, provider, restart = _pending_or_restart()
    if restart:
        return restart
    form = OidcLinkMailForm()
    user = get_user_by_email(pending["email"])
    if not form.validate_on_submit() or user is None:
        return redirect(url_for("accounts.oidc_link"))
    queue_account_mail(
        "oidc_link", user.id, provider=provider.key, issuer=pending["iss"], subject=pending["sub"]
    )
    session.pop(PENDING_KEY, None)
    return render_template("accounts/oidc_link_gesendet.html", provider=provider, email=user.email)


@bp.get("/oidc/verknuepfen/<token>")
def oidc_link_confirm(token: str):
    """The mailed link: link the identity; then the person signs in through the provider."""
    try:
        _user, provider = oidc.link_from_token(token)
    except LinkTokenError as exc:
        db.session.rollback()
        return render_template("accounts/token_invalid.html", kind="oidc", expired=exc.expired), 400
    db.session.commit()
    flash(
        _(
            "Ihr Konto ist jetzt mit %(name)s verknüpft. Bitte melden Sie sich mit „Mit %(name)s "
            "anmelden“ an.",
            name=provider.name,
        ),
        "success",
    )
    if current_user.is_authenticated:
        return redirect(url_for("accounts.konto"))
    return redirect(url_for("accounts.login"))


@bp.route("/oidc/konto-anlegen", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
def oidc_create():
    """First sign-in without an account: create it after the privacy notice (address confirmed by
    the provider, no password); memberships still need approval unless the provider is authoritative."""
    pending, provider, restart = _pending_or_restart()
    if restart:
        return restart
    if get_user_by_email(pending["email"]) is not None:
        return redirect(url_for("accounts.oidc_link"))
    form = OidcCreateAccountForm(data={"name": pending.get("name")} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            user = oidc.create_account(pending, provider, form.name.data, form.funktion.data, _locale())
        except OidcFailure as failure:
            return _failed(provider, failure)
        approved = bool(user.approved_memberships())
        _finish_pending(
            user,
            provider,
            pending,
            _("Willkommen bei Kommunalmatch! Ihr Konto ist angelegt.")
            + " "
            + (
                _("%(name)s hat bestätigt, für welche Kommune Sie sprechen.", name=provider.name)
                if approved
                else _("Beantragen Sie jetzt unter „Mein Konto“, für Ihre Kommune zu sprechen.")
            ),
        )
        return redirect(url_for("accounts.konto"))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "accounts/oidc_konto_anlegen.html", form=form, provider=provider, email=pending["email"]
    ), status


@bp.get("/oidc/abbrechen")
def oidc_cancel():
    """Drop a pending sign-in (link or create) and return to the login page."""
    session.pop(PENDING_KEY, None)
    return redirect(url_for("accounts.login"))


@bp.get("/oidc/abmeldung")
def oidc_logout_offer():
    """After logging out of Kommunalmatch: offer to end the session at the provider too."""
    offer = session.pop(LOGOUT_OFFER_KEY, None)
    if not isinstance(offer, dict) or oidc.provider_by_key(offer.get("p", "")) is None:
        return redirect(url_for("core.index"))
    provider, url = oidc.end_session_url(offer)
    return render_template("accounts/oidc_abmeldung.html", provider=provider, end_session_url=url)


@bp.get("/oidc/<provider>/abgemeldet")
def oidc_logged_out(provider: str):
    """The provider's way back after ending its session (post_logout_redirect_uri)."""
    p = _provider_or_404(provider)
    if oidc.logout_returned(p, request.args.get("state")):
        flash(_("Sie sind jetzt auch bei %(name)s abgemeldet.", name=p.name), "success")
    return redirect(url_for("core.index"))


@bp.app_context_processor
def _oidc_template_helpers() -> dict:
    """The login page's provider buttons and, for re-authentication, the providers of an account."""

    def password_usable(user) -> bool:
        return has_password(user) and not oidc.password_login_blocked(user.email)

    return {
        "oidc_providers": oidc.providers,
        "oidc_linked": oidc.linked_providers,
        "oidc_password_usable": password_usable,
        "oidc_domains": lambda provider: ", ".join(f"@{domain}" for domain in provider.domains),
    }
