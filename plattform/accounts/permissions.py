"""Who may do what: the one place every domain asks before showing or changing a Kommune's data.

Views call these functions; they never test roles themselves. Coordination of networks is contributed
by the netzwerke domain through `register_coordination_provider`, so accounts does not import it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

import sqlalchemy as sa
from flask import abort
from flask_login import current_user, login_required

from plattform.accounts.models import KommuneMembership, User
from plattform.extensions import db
from plattform.kommunen.models import Kommune

# Each provider returns the ids of the Kommunen a user coordinates through some other structure.
_COORDINATION_PROVIDERS: list[Callable[[User], set[int]]] = []


def register_coordination_provider(provider: Callable[[User], set[int]]) -> None:
    """Let another domain (networks) add Kommunen a user coordinates."""
    if provider not in _COORDINATION_PROVIDERS:
        _COORDINATION_PROVIDERS.append(provider)


def acting_kommune_ids(user: User | None) -> set[int]:
    """Ids of the Kommunen this user may act for (approved memberships)."""
    if user is None or not user.is_authenticated:
        return set()
    rows = db.session.scalars(
        sa.select(KommuneMembership.kommune_id).where(
            KommuneMembership.user_id == user.id, KommuneMembership.status == "bestaetigt"
        )
    )
    return set(rows)


def coordinated_kommune_ids(user: User | None) -> set[int]:
    """Ids of the Kommunen this user coordinates: via a Kreis coordination membership or a network."""
    if user is None or not user.is_authenticated:
        return set()
    kreis_ids = set(
        db.session.scalars(
            sa.select(KommuneMembership.kommune_id)
            .join(Kommune, Kommune.id == KommuneMembership.kommune_id)
            .where(
                KommuneMembership.user_id == user.id,
                KommuneMembership.status == "bestaetigt",
                KommuneMembership.role == "koordination",
                Kommune.ebene == "kreis",
            )
        )
    )
    ids = set(kreis_ids)
    if kreis_ids:
        ids |= set(db.session.scalars(sa.select(Kommune.id).where(Kommune.kreis_id.in_(kreis_ids))))
    for provider in _COORDINATION_PROVIDERS:
        ids |= provider(user)
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
