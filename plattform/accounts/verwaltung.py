"""Approval of membership requests (coordinators and administrators), user administration and the
audit log (administrators). A blueprint of its own so its pages live outside /konto/."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from plattform.accounts.models import KommuneMembership, User
from plattform.accounts.permissions import (
    admin_required,
    can_approve_anything,
    decidable_memberships_query,
    may_decide,
    recent_login_required,
)
from plattform.accounts.services import AccountError, decide_membership, set_admin
from plattform.accounts.sessions import revoke_sessions
from plattform.accounts.tasks import queue_account_mail
from plattform.core import audit
from plattform.core.forms import paginate
from plattform.extensions import db

bp = Blueprint("verwaltung", __name__)

USERS_PAGE_SIZE = 50
AUDIT_PAGE_SIZE = 50


@bp.get("/freigaben/")
@login_required
def freigaben():
    """Open membership requests the current user may decide."""
    user = current_user._get_current_object()
    if not can_approve_anything(user):
        abort(403)
    requests = list(db.session.scalars(decidable_memberships_query(user)))
    return render_template("accounts/freigaben.html", requests=requests)


@bp.post("/freigaben/<int:membership_id>")
@recent_login_required("verwaltung.freigaben")
def entscheiden(membership_id: int):
    """Approve or decline one request; the requester is told by e-mail."""
    membership = db.session.get(KommuneMembership, membership_id)
    user = current_user._get_current_object()
    # Requests the user may not decide are "not found": ids reveal nothing.
    if membership is None or not may_decide(user, membership):
        abort(404)
    decision = request.form.get("entscheidung")
    if decision not in ("bestaetigen", "ablehnen"):
        abort(400)
    if membership.status != "beantragt":
        flash(_("Über diese Anfrage wurde bereits entschieden."), "info")
        return redirect(url_for("verwaltung.freigaben"))
    decide_membership(membership, user, approve=decision == "bestaetigen")
    db.session.commit()
    queue_account_mail("membership_decided", membership.user_id, membership_id=membership.id)
    if decision == "bestaetigen":
        message = _(
            "%(person)s spricht jetzt für %(kommune)s.",
            person=membership.user.name,
            kommune=membership.kommune.name,
        )
    else:
        message = _(
            "Die Anfrage von %(person)s für %(kommune)s ist abgelehnt.",
            person=membership.user.name,
            kommune=membership.kommune.name,
        )
    flash(message, "success")
    return redirect(url_for("verwaltung.freigaben"))


@bp.get("/verwaltung/")
@admin_required
def benutzer():
    """All accounts, searchable by name or address, with their memberships and roles."""
    query = (request.args.get("q") or "").strip()[:100]
    stmt = (
        sa.select(User)
        .options(selectinload(User.memberships).selectinload(KommuneMembership.kommune))
        .order_by(User.name, User.id)
    )
    if query:
        pattern = f"%{query.lower()}%"
        stmt = stmt.where(sa.or_(sa.func.lower(User.name).like(pattern), User.email.like(pattern)))
    page = paginate(stmt, per_page=USERS_PAGE_SIZE)
    return render_template("accounts/verwaltung.html", page=page, query=query)


@bp.post("/verwaltung/<int:user_id>/admin")
@admin_required
@recent_login_required("verwaltung.benutzer")
def admin_setzen(user_id: int):
    """Grant or revoke administration (never the last administrator)."""
    target = db.session.get(User, user_id)
    if target is None:
        abort(404)
    grant = request.form.get("aktion") == "erteilen"
    try:
        set_admin(target, grant, actor=current_user._get_current_object())
    except AccountError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(
            _("%(name)s ist jetzt Administrator/in.", name=target.name)
            if grant
            else _("%(name)s ist nicht mehr Administrator/in.", name=target.name),
            "success",
        )
    return redirect(url_for("verwaltung.benutzer", q=request.args.get("q") or None))


@bp.post("/verwaltung/<int:user_id>/sitzungen-beenden")
@admin_required
@recent_login_required("verwaltung.benutzer")
def sitzungen_beenden(user_id: int):
    """End every session of an account at once (e.g. a lost laptop); the person must log in again."""
    target = db.session.get(User, user_id)
    if target is None:
        abort(404)
    actor = current_user._get_current_object()
    # An administrator ending their own sessions keeps the one they are using.
    ended = revoke_sessions(target, keep_current=target.id == actor.id)
    audit.record("account.sessions_revoked", target=target, actor=actor, details={"anzahl": ended})
    db.session.commit()
    flash(
        ngettext(
            "%(num)d Sitzung von %(name)s beendet.",
            "%(num)d Sitzungen von %(name)s beendet.",
            ended,
            name=target.name,
        ),
        "success",
    )
    return redirect(url_for("verwaltung.benutzer", q=request.args.get("q") or None))


@bp.get("/verwaltung/protokoll")
@admin_required
def protokoll():
    """The audit log, newest first, filterable by action."""
    action = request.args.get("aktion") or None
    page = paginate(audit.events_query(action), per_page=AUDIT_PAGE_SIZE)
    actor_ids = {e.actor_user_id for e in page.items if e.actor_user_id}
    actors = {}
    if actor_ids:
        actors = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(actor_ids)))}
    return render_template(
        "accounts/protokoll.html",
        page=page,
        action=action,
        actions=audit.known_actions(),
        action_label=audit.action_label,
        actors=actors,
    )
