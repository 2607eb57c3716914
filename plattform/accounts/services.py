"""Account services: create, authenticate, request and decide memberships."""

from __future__ import annotations

import sqlalchemy as sa

from plattform.accounts.models import KommuneMembership, User
from plattform.accounts.passwords import hash_password, needs_rehash, verify_password
from plattform.extensions import db
from plattform.kommunen.models import utcnow


class AccountError(ValueError):
    """A request that cannot be carried out; the message is German and safe to show."""


def normalise_email(email: str) -> str:
    """Addresses are compared case-insensitively and without surrounding blanks."""
    return email.strip().lower()


def get_user_by_email(email: str) -> User | None:
    """Find a user by address."""
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def create_user(
    email: str, password: str, name: str, *, is_admin: bool = False, confirmed: bool = False
) -> User:
    """Create an account; the caller commits."""
    if get_user_by_email(email) is not None:
        raise AccountError("Für diese Adresse besteht bereits ein Konto.")
    user = User(
        email=normalise_email(email),
        name=name.strip(),
        password_hash=hash_password(password),
        is_admin=is_admin,
        email_confirmed_at=utcnow() if confirmed else None,
    )
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user if address and password match and the account is active; else None (no hint why)."""
    user = get_user_by_email(email)
    if not verify_password(user.password_hash if user else None, password):
        return None
    if not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def request_membership(user: User, kommune_id: int, role: str = "mitglied", message: str | None = None):
    """Ask to speak for a Kommune; a declined request may be asked again."""
    membership = db.session.scalar(
        sa.select(KommuneMembership).where(
            KommuneMembership.user_id == user.id, KommuneMembership.kommune_id == kommune_id
        )
    )
    if membership is not None and membership.status in ("beantragt", "bestaetigt"):
        raise AccountError("Für diese Kommune besteht bereits eine Anfrage oder Mitgliedschaft.")
    if membership is None:
        membership = KommuneMembership(user_id=user.id, kommune_id=kommune_id)
        db.session.add(membership)
    membership.role = role
    membership.status = "beantragt"
    membership.message = message
    membership.requested_at = utcnow()
    membership.decided_at = membership.decided_by_id = None
    db.session.flush()
    return membership


def decide_membership(membership: KommuneMembership, approver: User, approve: bool) -> KommuneMembership:
    """Approve or decline a membership request (permission checked by the caller)."""
    membership.status = "bestaetigt" if approve else "abgelehnt"
    membership.decided_at = utcnow()
    membership.decided_by_id = approver.id
    db.session.flush()
    return membership


def load_user(session_id: str) -> User | None:
    """Flask-Login loader: the session id carries the session version (see User.get_id)."""
    try:
        user_id, version = (int(part) for part in session_id.split(":", 1))
    except ValueError:
        return None
    user = db.session.get(User, user_id)
    if user is None or user.session_version != version or not user.active:
        return None
    return user
