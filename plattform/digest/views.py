"""Digest pages: settings (consent), double opt-in confirmation, unsubscribe, preview of one's own digest."""

from __future__ import annotations

import logging

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from plattform.core.ratelimit import MAIL_ACTION_LIMIT, account_or_address
from plattform.core.tasks import enqueue
from plattform.digest import bp
from plattform.digest.consent import CURRENT_CONSENT_VERSION, consent_text
from plattform.digest.forms import ButtonForm, ConsentForm
from plattform.digest.services import (
    BERLIN,
    aware,
    build_digest,
    confirm_subscription,
    get_subscription,
    request_subscription,
    send_confirmation_mail,
    subscription_for_confirm_token,
    unsubscribe,
    user_id_from_unsubscribe_token,
)
from plattform.digest.tasks import send_confirmation
from plattform.extensions import csrf, db, limiter

log = logging.getLogger(__name__)


def _queue_confirmation(user_id: int) -> None:
    """Hand the opt-in mail to the worker; with the broker down, send it directly (the order is saved)."""
    # With the broker down the mail goes out directly; if that fails too, the user can ask again.
    enqueue(send_confirmation, user_id, fallback=lambda: send_confirmation_mail(user_id))


@bp.route("/einstellungen", methods=["GET", "POST"])
@login_required
@limiter.limit(MAIL_ACTION_LIMIT, key_func=account_or_address, methods=["POST"])
def einstellungen():
    """Order (double opt-in), resend the link, or cancel the weekly e-mail."""
    subscription = get_subscription(current_user.id)
    consent_form = ConsentForm()
    button_form = ButtonForm()
    status = 200
    if request.method == "POST":
        action = request.form.get("aktion")
        if action == "bestellen" and consent_form.validate_on_submit():
            request_subscription(current_user)
            db.session.commit()
            _queue_confirmation(current_user.id)
            flash(
                _(
                    "Fast geschafft: Wir haben Ihnen einen Bestätigungslink an %(email)s geschickt.",
                    email=current_user.email,
                ),
                "success",
            )
            return redirect(url_for("digest.einstellungen"))
        if action == "erneut-senden" and button_form.validate_on_submit():
            if subscription is not None and subscription.status == "pending":
                _queue_confirmation(current_user.id)
                flash(
                    _(
                        "Wir haben den Bestätigungslink erneut an %(email)s geschickt.",
                        email=current_user.email,
                    ),
                    "success",
                )
            return redirect(url_for("digest.einstellungen"))
        if action == "abbestellen" and button_form.validate_on_submit():
            unsubscribe(current_user.id)
            db.session.commit()
            flash(_("Sie erhalten die wöchentliche E-Mail nicht mehr."), "success")
            return redirect(url_for("digest.einstellungen"))
        status = 422
    return (
        render_template(
            "digest/einstellungen.html",
            subscription=subscription,
            consent_form=consent_form,
            button_form=button_form,
            consent_text=consent_text(CURRENT_CONSENT_VERSION),
            consent_version=CURRENT_CONSENT_VERSION,
            local=lambda moment: aware(moment).astimezone(BERLIN),
        ),
        status,
    )


@bp.route("/bestaetigen/<token>", methods=["GET", "POST"])
def bestaetigen(token: str):
    """Double opt-in: GET shows a button (mail scanners follow links), POST activates the subscription."""
    form = ButtonForm()
    if request.method == "POST" and form.validate_on_submit():
        subscription = confirm_subscription(token)
        if subscription is None:
            db.session.rollback()
            return render_template("digest/bestaetigen.html", state="ungueltig"), 400
        db.session.commit()
        return render_template("digest/bestaetigen.html", state="bestaetigt")
    subscription = subscription_for_confirm_token(token)
    if subscription is None or subscription.status == "unsubscribed":
        return render_template("digest/bestaetigen.html", state="ungueltig"), 400
    state = "bestaetigt" if subscription.status == "active" else "frage"
    return render_template("digest/bestaetigen.html", state=state, form=form)


@bp.route("/abmelden/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058 one-click: the mail client POSTs without a session; the signed token authenticates
def abmelden(token: str):
    """Unsubscribe by the link in every digest: GET asks (scanners follow links), POST unsubscribes."""
    user_id = user_id_from_unsubscribe_token(token)
    if user_id is None:
        return render_template("digest/abmelden.html", state="ungueltig"), 400
    if request.method == "POST":
        unsubscribe(user_id)
        db.session.commit()
        return render_template("digest/abmelden.html", state="abgemeldet")
    subscription = get_subscription(user_id)
    state = "frage" if subscription is not None and subscription.status != "unsubscribed" else "bereits"
    return render_template("digest/abmelden.html", state=state, token=token)


@bp.get("/vorschau")
@login_required
def vorschau():
    """The user's own next digest, as it would be sent now (nothing is recorded)."""
    from plattform.vorschlaege.digest import SUGGESTIONS, suggestions_freshness

    digest = build_digest(current_user)
    return render_template(
        "digest/vorschau.html",
        digest=digest,
        suggestions_section=SUGGESTIONS,
        suggestions_stand=suggestions_freshness(current_user),
        subscription=get_subscription(current_user.id),
        since_local=digest.since.astimezone(BERLIN),
    )
