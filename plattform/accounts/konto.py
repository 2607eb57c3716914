"""The account page: own data, memberships, e-mail, password, language, data export, deletion,
and the request to speak for a Kommune."""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from plattform.accounts import bp
from plattform.accounts.export import personal_data
from plattform.accounts.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    DeleteAccountForm,
    LocaleForm,
    MembershipRequestForm,
)
from plattform.accounts.mails import approvers_of
from plattform.accounts.passwords import has_password
from plattform.accounts.permissions import recent_login_required
from plattform.accounts.services import (
    AccountError,
    WrongPasswordError,
    apply_email_change,
    change_password,
    check_email_change,
    delete_account,
    request_membership,
    set_locale,
)
from plattform.accounts.sessions import end_session, start_session
from plattform.accounts.tasks import queue_account_mail
from plattform.accounts.tokens import TokenError, read_email_change_token
from plattform.core import audit
from plattform.core.clock import utcnow
from plattform.core.ratelimit import MAIL_ACTION_LIMIT, account_or_address
from plattform.extensions import db, limiter
from plattform.kommunen.models import Kommune
from plattform.kommunen.services import city_row_of, get_by_ags, not_matchable_message, search_kommunen

SEARCH_LIMIT = 20


def _me():
    return current_user._get_current_object()


@bp.get("/")
@login_required
def konto():
    """The account page: who I am, what I may do, and the controls over my data."""
    user = _me()
    memberships = sorted(user.memberships, key=lambda m: (m.kommune.name, m.id))
    return render_template(
        "accounts/konto.html",
        user=user,
        memberships=memberships,
        locale_form=LocaleForm(formdata=None, locale=user.locale),
    )


@bp.post("/sprache")
@login_required
def sprache():
    """Store the interface language in the account."""
    form = LocaleForm()
    if form.validate_on_submit():
        set_locale(_me(), form.locale.data)
        db.session.commit()
        session["lang"] = form.locale.data
        flash(_("Die Sprache ist gespeichert."), "success")
    return redirect(url_for("accounts.konto"))


@bp.route("/passwort", methods=["GET", "POST"])
@login_required
def passwort():
    """Change the password; every other session of this account ends."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = _me()
        try:
            change_password(user, form.current_password.data, form.password.data)
        except WrongPasswordError as exc:
            form.current_password.errors.append(str(exc))
        except AccountError as exc:
            form.password.errors.append(str(exc))
        else:
            db.session.commit()
            # Every session of the account ended with the change; this browser continues in a new one.
            start_session(user)
            queue_account_mail("password_changed", user.id)
            flash(_("Ihr Passwort ist geändert. Andere Sitzungen wurden beendet."), "success")
            return redirect(url_for("accounts.konto"))
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/passwort.html", form=form), status


@bp.route("/email", methods=["GET", "POST"])
@recent_login_required("accounts.email")
@limiter.limit(MAIL_ACTION_LIMIT, key_func=account_or_address, methods=["POST"])
def email():
    """Ask to move the account to a new address; it changes once the link sent there is opened."""
    form = ChangeEmailForm()
    if form.validate_on_submit():
        user = _me()
        if form.new_email.data.strip().lower() == user.email:
            form.new_email.errors.append(_("Das ist bereits Ihre E-Mail-Adresse."))
        else:
            new_email = check_email_change(user, form.new_email.data)
            if new_email is not None:
                queue_account_mail("email_change", user.id, new_email=new_email)
            # Same answer when the address belongs to someone else: no hint who has an account.
            flash(
                _(
                    "Wir haben einen Bestätigungslink an die neue Adresse geschickt. Bis Sie ihn "
                    "öffnen, bleibt Ihre bisherige Adresse gültig."
                ),
                "success",
            )
            return redirect(url_for("accounts.konto"))
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/email.html", form=form), status


@bp.get("/email-bestaetigen/<token>")
def email_confirm(token: str):
    """Apply the new address from the mailed link (once; the old address is told)."""
    try:
        user, new_email = read_email_change_token(token)
        old_email = apply_email_change(user, new_email)
    except TokenError as exc:
        return render_template("accounts/token_invalid.html", kind="email", expired=exc.expired), 400
    except AccountError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("accounts.konto") if current_user.is_authenticated else url_for("core.index"))
    db.session.commit()
    queue_account_mail("email_changed_notice", user.id, old_email=old_email)
    flash(_("Ihre neue E-Mail-Adresse ist bestätigt."), "success")
    return redirect(url_for("accounts.konto") if current_user.is_authenticated else url_for("accounts.login"))


@bp.get("/daten.json")
@recent_login_required()
def daten():
    """Download everything stored about me as JSON."""
    user = _me()
    audit.record("account.exported", target=user, actor=user)
    db.session.commit()
    body = json.dumps(personal_data(user), ensure_ascii=False, indent=2)
    filename = f"kommunalmatch-meine-daten-{utcnow():%Y-%m-%d}.json"
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/loeschen", methods=["GET", "POST"])
@recent_login_required("accounts.loeschen")
def loeschen():
    """Delete my account and memberships (Kommune profiles stay: they belong to the Kommune)."""
    form = DeleteAccountForm()
    if not has_password(_me()):
        del form.password  # signs in through a provider: the fresh sign-in confirmed it
    if form.validate_on_submit():
        try:
            delete_account(_me(), form.password.data if "password" in form else "")
        except AccountError as exc:
            db.session.rollback()
            (form.password if "password" in form else form.confirm).errors.append(str(exc))
        else:
            db.session.commit()
            end_session(None)
            flash(_("Ihr Konto ist gelöscht."), "success")
            return redirect(url_for("core.index"))
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/loeschen.html", form=form), status


# --- speaking for a Kommune ----------------------------------------------------------------------


@bp.get("/kommune-beantragen")
@login_required
def kommune_beantragen():
    """Find a Kommune by name or AGS, then ask to speak for it."""
    query = (request.args.get("q") or "").strip()[:100]
    ags = (request.args.get("ags") or "").strip()
    kommune = get_by_ags(ags) if ags else None
    if ags and (kommune is None or not kommune.active):
        abort(404)
    results = []
    if query and kommune is None:
        results = list(db.session.scalars(search_kommunen(query).limit(SEARCH_LIMIT)))
    form = None
    if kommune is not None and kommune.is_matchable:
        form = _request_form(kommune)
    return render_template(
        "accounts/kommune_beantragen.html",
        query=query,
        results=results,
        kommune=kommune,
        form=form,
        limit=SEARCH_LIMIT,
        existing=_existing_membership(kommune),
        not_matchable=not_matchable_message(kommune) if kommune is not None and form is None else None,
        city_row_of=city_row_of,
    )


def _request_form(kommune: Kommune, formdata=None) -> MembershipRequestForm:
    form = MembershipRequestForm(formdata=formdata)
    if kommune.ebene != "kreis":
        form.role.choices = [c for c in form.role.choices if c[0] == "mitglied"]
    return form


def _existing_membership(kommune: Kommune | None):
    if kommune is None:
        return None
    from plattform.accounts.models import KommuneMembership

    return db.session.scalar(
        sa.select(KommuneMembership).where(
            KommuneMembership.user_id == current_user.id, KommuneMembership.kommune_id == kommune.id
        )
    )


@bp.post("/kommune-beantragen/<ags>")
@login_required
@limiter.limit(MAIL_ACTION_LIMIT, key_func=account_or_address)
def kommune_beantragen_senden(ags: str):
    """Send the membership request; the approvers hear of it by e-mail."""
    kommune = get_by_ags(ags)
    if kommune is None or not kommune.active:
        abort(404)
    if not kommune.is_matchable:
        flash(not_matchable_message(kommune), "error")
        return redirect(url_for("accounts.kommune_beantragen", ags=kommune.ags))
    form = _request_form(kommune, formdata=request.form)
    if form.validate_on_submit():
        try:
            membership = request_membership(
                _me(), kommune.id, role=form.role.data, message=(form.message.data or "").strip() or None
            )
        except AccountError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for("accounts.konto"))
        db.session.commit()
        for approver in approvers_of(membership):
            queue_account_mail("membership_requested", approver.id, membership_id=membership.id)
        flash(
            _(
                "Ihre Anfrage für %(name)s ist eingegangen. Sie erhalten eine E-Mail, sobald sie "
                "entschieden ist.",
                name=kommune.name,
            ),
            "success",
        )
        return redirect(url_for("accounts.konto"))
    return render_template(
        "accounts/kommune_beantragen.html",
        query="",
        results=[],
        kommune=kommune,
        form=form,
        limit=SEARCH_LIMIT,
        existing=_existing_membership(kommune),
        city_row_of=city_row_of,
    ), 422
