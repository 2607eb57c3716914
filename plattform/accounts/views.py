"""Log in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from plattform.accounts import bp
from plattform.accounts.forms import LoginForm
from plattform.accounts.services import authenticate
from plattform.extensions import db, limiter


def safe_next(target: str | None) -> str | None:
    """Only follow `next` to a path on this site (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/anmelden", methods=["GET", "POST"])
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
def login():
    """Log in; failure says only that address or password is wrong."""
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")) or url_for("core.index"))
        db.session.rollback()
        flash(_("E-Mail-Adresse oder Passwort ist falsch."), "error")
    return render_template("accounts/login.html", form=form), 200 if request.method == "GET" else 422


@bp.post("/abmelden")
@login_required
def logout():
    """Log out (POST with CSRF token, so a link elsewhere cannot log anyone out)."""
    logout_user()
    flash(_("Sie sind abgemeldet."), "success")
    return redirect(url_for("core.index"))
