"""Who may do what: the one place every domain asks before showing or changing a Kommune's data.

Views call these functions; they never test roles themselves. Coordination of networks is contributed
by the netzwerke domain through `register_coordination_provider`, so accounts does not import it.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from functools import wraps

import sqlalchemy as sa
from flask import abort, current_app, flash, g, has_request_context, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_fresh, login_required
from sqlalchemy.orm import Session

from plattform.accounts.models import KommuneMembership, User
from plattform.extensions import db
from plattform.kommunen.models import Kommune

# Each provider builds a SELECT of the ids of the Kommunen a user (given by id) coordinates through
# some other structure; the memberships and all providers are read in one query per request.
_COORDINATION_PROVIDERS: list[Callable[[int], sa.Select]] = []


def register_coordination_provider(provider: Callable[[int], sa.Select]) -> None:
    """Let another domain (networks) add Kommunen a user coordinates: `provider(user_id)` returns a
    SELECT of one column of Kommune ids (`user_id` may be a bound parameter, not only a number)."""
    if provider not in _COORDINATION_PROVIDERS:
        _COORDINATION_PROVIDERS.append(provider)


def _per_request(lookup: Callable[[User], Iterable]) -> Callable[[User | None], frozenset]:
    """Answer a user's lookup once per request: a page asks the same question from its navigation,
    its view and its sections. Any commit or rollback forgets the answers (roles may have changed)."""

    @wraps(lookup)
    def cached(user: User | None) -> frozenset:
        if user is None or not user.is_authenticated:
            return frozenset()
        if not has_request_context():
            return frozenset(lookup(user))
        answers = g.setdefault("_permission_answers", {})
        key = (lookup.__name__, user.id)
        if key not in answers:
            answers[key] = frozenset(lookup(user))
        return answers[key]

    return cached


@sa.event.listens_for(Session, "after_commit")
@sa.event.listens_for(Session, "after_soft_rollback")
def _forget_permission_answers(*_args) -> None:
    if has_request_context():
        g.pop("_permission_answers", None)


@functools.cache
def _access_query(providers: tuple[Callable[[int], sa.Select], ...]) -> sa.CompoundSelect:
    """The UNION behind `_access_rows`, built once per set of providers (building it costs more than
    running it) with the user as the bound parameter `user_id`."""
    user_id = sa.bindparam("user_id", type_=sa.Integer)
    parts = [
        sa.select(KommuneMembership.kommune_id, KommuneMembership.role, Kommune.ebene)
        .join(Kommune, Kommune.id == KommuneMembership.kommune_id)
        .where(KommuneMembership.user_id == user_id, KommuneMembership.status == "bestaetigt")
    ]
    parts += [
        provider(user_id).add_columns(sa.literal("netzwerk", sa.String), sa.null()) for provider in providers
    ]
    return sa.union_all(*parts)


@_per_request
def _access_rows(user: User) -> Iterable[tuple[int, str, str | None]]:
    """(kommune_id, role, ebene) of the user's approved memberships, and (kommune_id, "netzwerk", None)
    for every Kommune a provider says the user coordinates: one query serves every question below."""
    query = _access_query(tuple(_COORDINATION_PROVIDERS))
    return [tuple(row) for row in db.session.execute(query, {"user_id": user.id})]


def acting_kommune_ids(user: User | None) -> set[int]:
    """Ids of the Kommunen this user may act for (approved memberships)."""
    return {kommune_id for kommune_id, role, _ebene in _access_rows(user) if role != "netzwerk"}


def coordinated_kommune_ids(user: User | None) -> set[int]:
    """Ids of the Kommunen this user coordinates: via a Kreis coordination membership or a network."""
    return set(_coordinated(user))


@_per_request
def _coordinated(user: User) -> set[int]:
    rows = _access_rows(user)
    kreis_ids = {k for k, role, ebene in rows if role == "koordination" and ebene == "kreis"}
    ids = kreis_ids | {k for k, role, _ebene in rows if role == "netzwerk"}
    if kreis_ids:
        ids |= set(db.session.scalars(sa.select(Kommune.id).where(Kommune.kreis_id.in_(kreis_ids))))
    return ids


def can_act_for(user: User | None, kommune_id: int) -> bool:
    """Whether the user may edit the Kommune's profile and send requests in its name."""
    return kommune_id in acting_kommune_ids(user)


def can_edit_profile(user: User | None, kommune_id: int) -> bool:
    """Members edit their Kommune's profile; coordinators may edit (and bulk-import) their members'."""
    if user is None or not user.is_authenticated:
        return False
    return user.is_admin or can_act_for(user, kommune_id) or kommune_id in coordinated_kommune_ids(user)


def can_approve_membership(user: User | None, kommune_id: int) -> bool:
    """Administrators approve everyone; coordinators approve the Kommunen they coordinate."""
    if user is None or not user.is_authenticated:
        return False
    return user.is_admin or kommune_id in coordinated_kommune_ids(user)


def require_act_for(kommune_id: int) -> None:
    """Abort with 403 unless the current user may act for this Kommune."""
    if not can_act_for(current_user, kommune_id):
        abort(403)


def admin_required(view):
    """Decorator: only administrators."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def may_decide(user: User | None, membership: KommuneMembership) -> bool:
    """Whether the user may approve or decline this request.

    Nobody but an administrator decides their own request, and only administrators hand out the
    coordination role (it carries the right to approve others).
    """
    if user is None or not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    if membership.user_id == user.id or membership.role == "koordination":
        return False
    return can_approve_membership(user, membership.kommune_id)


def decidable_memberships_query(user: User) -> sa.Select:
    """Open requests the user may decide, oldest first."""
    stmt = (
        sa.select(KommuneMembership)
        .where(KommuneMembership.status == "beantragt")
        .order_by(KommuneMembership.requested_at, KommuneMembership.id)
    )
    if user.is_admin:
        return stmt
    return stmt.where(
        KommuneMembership.kommune_id.in_(coordinated_kommune_ids(user) or {-1}),
        KommuneMembership.user_id != user.id,
        KommuneMembership.role != "koordination",
    )


def can_approve_anything(user: User | None) -> bool:
    """Whether the user decides membership requests at all (admins and coordinators)."""
    if user is None or not user.is_authenticated:
        return False
    return user.is_admin or bool(coordinated_kommune_ids(user))


def has_approved_role(user: User | None) -> bool:
    """Whether the account is past the waiting stage: an approved membership, or administrator."""
    if user is None or not user.is_authenticated:
        return False
    return user.is_admin or bool(acting_kommune_ids(user)) or bool(coordinated_kommune_ids(user))


def membership_required(view):
    """Decorator for member pages: until a membership is approved, send the user to their account."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not has_approved_role(current_user):
            flash(_("Diese Seite steht Ihnen offen, sobald Ihre Mitgliedschaft bestätigt ist."), "info")
            return redirect(url_for("accounts.konto"))
        return view(*args, **kwargs)

    return wrapped


def login_is_recent() -> bool:
    """A fresh login (password typed in this session, not restored from the remember cookie) that
    is younger than FRESH_LOGIN_MAX_AGE seconds."""
    if not login_fresh():
        return False
    at = session.get("_fresh_at")
    if not isinstance(at, int | float):
        return False
    return time.time() - at <= current_app.config["FRESH_LOGIN_MAX_AGE"]


def mark_login_fresh() -> None:
    """Note that the password was just typed (login or re-authentication)."""
    session["_fresh"] = True
    session["_fresh_at"] = int(time.time())


def recent_login_required(return_endpoint: str | None = None):
    """Decorator for sensitive actions (export, deletion, e-mail and role changes): ask for the
    password again unless it was typed recently. Builds on Flask-Login's freshness.

    After re-authentication the user returns to the page (GET) or to `return_endpoint` (for a POST,
    which cannot be repeated by a redirect).
    """

    def decorate(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not login_is_recent():
                if request.method == "GET":
                    target = request.full_path.rstrip("?")
                else:
                    target = url_for(return_endpoint) if return_endpoint else url_for("accounts.konto")
                flash(_("Bitte bestätigen Sie zur Sicherheit Ihr Passwort."), "info")
                return redirect(url_for("accounts.reauth", next=target))
            return view(*args, **kwargs)

        return wrapped

    return decorate
