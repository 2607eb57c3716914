"""Log in and out, register, confirm the address, reset a forgotten password, re-authenticate."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import confirm_login, current_user, login_required

from plattform.accounts import bp, oidc
from plattform.accounts.forms import EmailOnlyForm, LoginForm, ReauthForm, RegisterForm, ResetPasswordForm
from plattform.accounts.passwords import verify_password
from plattform.accounts.permissions import mark_login_fresh
from plattform.accounts.services import (
    AccountError,
    authenticate,
    confirm_email,
    get_user_by_email,
    register_user,
    set_password,
)
from plattform.accounts.sessions import end_session, start_session
from plattform.accounts.tasks import queue_account_mail
from plattform.accounts.tokens import TokenError, read_confirm_token, read_reset_token
from plattform.extensions import db, limiter

# Per client address. Generous enough for a town hall behind one NAT address, tight enough to stop
# password guessing and mail bombing.
LOGIN_LIMIT = "10 per minute; 50 per hour"
REGISTER_LIMIT = "10 per hour"
MAIL_LIMIT = "5 per 15 minutes; 20 per day"
REAUTH_LIMIT = "10 per minute"


def safe_next(target: str | None) -> str | None:
    """Only follow `next` to a path on this site (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def _status(form) -> int:
    return 422 if request.method == "POST" and form.errors else 200


@bp.route("/anmelden", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, methods=["POST"])
def login():
    """Log in; failure says only that address or password is wrong. Unconfirmed addresses are
    told so (only after the right password) and offered a new link."""
    if current_user.is_authenticated:
        return redirect(url_for("uebersicht.index"))
    form = LoginForm()
    if form.validate_on_submit():
        refusal = oidc.password_off_message(form.email.data)
        if refusal:
            flash(refusal, "error")
            return render_template("accounts/login.html", form=form), 422
        user = authenticate(form.email.data, form.password.data)
        if user is not None and not user.email_confirmed:
            db.session.rollback()
            resend_form = EmailOnlyForm(formdata=None, email=user.email)
            return render_template(
                "accounts/login.html", form=form, unconfirmed=True, resend_form=resend_form
            ), 403
        if user is not None:
            db.session.commit()
            start_session(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")) or url_for("uebersicht.index"))
        db.session.rollback()
        flash(_("E-Mail-Adresse oder Passwort ist falsch."), "error")
        return render_template("accounts/login.html", form=form), 422
    return render_template("accounts/login.html", form=form), _status(form)


@bp.post("/abmelden")
@login_required
def logout():
    """Log out (POST with CSRF token, so a link elsewhere cannot log anyone out); after a sign-in
    through an identity provider, offer to end the provider's session too."""
    offer = oidc.take_logout_offer()
    end_session(current_user._get_current_object())
    flash(_("Sie sind abgemeldet."), "success")
    return redirect(oidc.after_logout(offer) or url_for("core.index"))


@bp.route("/registrieren", methods=["GET", "POST"])
@limiter.limit(REGISTER_LIMIT, methods=["POST"])
def register():
    """Create an account; the answer is the same whether or not the address already has one."""
    if current_user.is_authenticated:
        return redirect(url_for("accounts.konto"))
    form = RegisterForm()
    refusal = oidc.password_off_message(form.email.data) if form.is_submitted() else None
    if refusal:
        form.email.errors = [refusal]
    elif form.validate_on_submit():
        from flask_babel import get_locale

        try:
            user, created = register_user(
                form.email.data,
                form.password.data,
                form.name.data,
                form.funktion.data,
                locale=str(get_locale() or "de"),
            )
        except AccountError as exc:
            form.password.errors.append(str(exc))
        else:
            db.session.commit()
            if created or not user.email_confirmed:
                queue_account_mail("confirm", user.id)
            else:
                queue_account_mail("already_registered", user.id)
            return redirect(url_for("accounts.register_done"))
    return render_template("accounts/register.html", form=form), _status(form)


@bp.get("/registriert")
def register_done():
    """Tell the person to open the link we mailed, and offer to send it again."""
    return render_template("accounts/register_done.html", form=EmailOnlyForm())


@bp.post("/bestaetigung-senden")
@limiter.limit(MAIL_LIMIT)
def resend_confirmation():
    """Send the confirmation link again (same answer whether or not the address is known)."""
    form = EmailOnlyForm()
    if not form.validate_on_submit():
        return render_template("accounts/register_done.html", form=form), 422
    user = get_user_by_email(form.email.data)
    if user is not None and not user.email_confirmed:
        queue_account_mail("confirm", user.id)
    flash(
        _(
            "Wenn zu dieser Adresse ein noch nicht bestätigtes Konto besteht, haben wir den Link "
            "erneut geschickt. Bitte sehen Sie auch im Spam-Ordner nach."
        ),
        "success",
    )
    return redirect(url_for("accounts.login"))


@bp.get("/bestaetigen/<token>")
def confirm(token: str):
    """Confirm the address from the mailed link; then the person may log in."""
    try:
        user = read_confirm_token(token)
    except TokenError as exc:
        return render_template(
            "accounts/token_invalid.html", kind="confirm", expired=exc.expired, form=EmailOnlyForm()
        ), 400
    confirm_email(user)
    db.session.commit()
    flash(_("Ihre E-Mail-Adresse ist bestätigt. Sie können sich jetzt anmelden."), "success")
    if current_user.is_authenticated:
        return redirect(url_for("accounts.konto"))
    return redirect(url_for("accounts.login"))


@bp.route("/passwort-vergessen", methods=["GET", "POST"])
@limiter.limit(MAIL_LIMIT, methods=["POST"])
def reset_request():
    """Ask for a reset link; the answer never says whether the address has an account."""
    form = EmailOnlyForm()
    refusal = oidc.password_off_message(form.email.data) if form.is_submitted() else None
    if refusal:
        form.email.errors = [refusal]
    elif form.validate_on_submit():
        user = get_user_by_email(form.email.data)
        if user is not None and user.active:
            queue_account_mail("reset", user.id)
        flash(
            _(
                "Wenn zu dieser Adresse ein Konto besteht, haben wir einen Link zum Zurücksetzen "
                "geschickt. Er gilt eine Stunde."
            ),
            "success",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_request.html", form=form), _status(form)


@bp.route("/passwort-neu/<token>", methods=["GET", "POST"])
@limiter.limit(MAIL_LIMIT, methods=["POST"])
def reset(token: str):
    """Set a new password from the mailed link (works once; ends every session)."""
    try:
        user = read_reset_token(token)
    except TokenError as exc:
        return render_template("accounts/token_invalid.html", kind="reset", expired=exc.expired), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            set_password(user, form.password.data, reset=True)
        except AccountError as exc:
            form.password.errors.append(str(exc))
        else:
            db.session.commit()
            if current_user.is_authenticated:
                end_session(current_user._get_current_object())
            flash(_("Ihr Passwort ist geändert. Bitte melden Sie sich mit dem neuen Passwort an."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form), _status(form)


@bp.route("/erneut-anmelden", methods=["GET", "POST"])
@limiter.limit(REAUTH_LIMIT, methods=["POST"])
@login_required
def reauth():
    """Confirm the password before a sensitive action (fresh login)."""
    form = ReauthForm()
    next_url = safe_next(request.args.get("next")) or url_for("accounts.konto")
    refusal = oidc.password_off_message(current_user.email)
    if refusal and form.is_submitted():
        form.password.errors.append(refusal)
    elif form.validate_on_submit():
        if verify_password(current_user.password_hash, form.password.data):
            confirm_login()
            mark_login_fresh()
            return redirect(next_url)
        form.password.errors.append(_("Das Passwort stimmt nicht."))
    return render_template("accounts/reauth.html", form=form), _status(form)
