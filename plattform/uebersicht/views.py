"""The start page after login: per role, what is waiting and where to go next."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user, login_required

from plattform.core.navigation import register_nav
from plattform.uebersicht import bp
from plattform.uebersicht.services import overview_for

register_nav("uebersicht.index", "Übersicht", 5, visible=lambda: current_user.is_authenticated)


@bp.get("/")
@login_required
def index():
    """The personal start page: request a Kommune, new suggestions, requests, invitations, approvals."""
    overview = overview_for(current_user._get_current_object())
    return render_template("uebersicht/index.html", overview=overview)
