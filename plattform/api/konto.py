"""Token pages under the account: list with last use, create (password confirmed recently), revoke."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from plattform.accounts.permissions import recent_login_required
from plattform.api.forms import CreateTokenForm, RevokeTokenForm
from plattform.api.services import TokenError, create_token, get_own_token, is_usable, revoke_token, tokens_of
from plattform.extensions import db

bp = Blueprint("api_tokens", __name__, url_prefix="/konto/api-tokens")


def _me():
    return current_user._get_current_object()


@bp.get("/")
@login_required
def liste():
    """The user's tokens: name, scope, created, last used, expiry, and a button to revoke each."""
    tokens = tokens_of(_me())
    return render_template(
        "api/tokens.html",
        tokens=tokens,
        usable={t.id: is_usable(t) for t in tokens},
        revoke_form=RevokeTokenForm(),
    )


@bp.route("/neu", methods=["GET", "POST"])
@recent_login_required("api_tokens.neu")
def neu():
    """Create a token; its secret is shown on the answer page once and never again."""
    form = CreateTokenForm()
    if form.validate_on_submit():
        days = int(form.ablauf.data) or None
        try:
            token, secret = create_token(_me(), form.name.data, form.scope.data, days)
        except TokenError as exc:
            db.session.rollback()
            form.name.errors.append(str(exc))
        else:
            db.session.commit()
            # Rendered, not redirected: the secret must not travel through the session or a flash.
            response = render_template("api/token_erstellt.html", token=token, secret=secret)
            return response, 200, {"Cache-Control": "no-store"}
    status = 422 if request.method == "POST" else 200
    return render_template("api/token_neu.html", form=form), status


@bp.post("/<int:token_id>/widerrufen")
@login_required
def widerrufen(token_id: int):
    """Revoke one of one's own tokens at once (someone else's: 404)."""
    form = RevokeTokenForm()
    if not form.validate_on_submit():
        abort(400)
    token = get_own_token(_me(), token_id)
    if token is None:
        abort(404)
    if revoke_token(token, _me()):
        db.session.commit()
        flash(
            _("Das Token „%(name)s“ ist widerrufen und gilt ab sofort nicht mehr.", name=token.name),
            "success",
        )
    else:
        flash(_("Dieses Token war bereits widerrufen."), "info")
    return redirect(url_for("api_tokens.liste"), 303)
