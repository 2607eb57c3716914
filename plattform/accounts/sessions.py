"""Server-side sessions: every login goes through `start_session`, every logout through `end_session`.

The session cookie (and the remember-me cookie) carries a random token naming one UserSession row.
Revoking that row ends the session at once wherever its cookies are: after logout a stolen cookie is
worthless, a password change or reset ends every other session, and an administrator can end all of an
account's sessions. A token is 256 random bits, never derived from the account id, so a new account
can never inherit a deleted one's cookies. Other sign-in methods (OIDC) call `start_session` too.
"""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from flask import session
from flask_login import login_user, logout_user

from plattform.accounts.models import User, UserSession
from plattform.extensions import db


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(user: User, remember: bool = False, method: str = "passwort") -> UserSession:
    """Log the user in with a new server-side session (fresh, in their language); commits it."""
    from plattform.accounts.permissions import mark_login_fresh

    token = secrets.token_urlsafe(32)
    row = UserSession(user_id=user.id, token_hash=_hash(token), remember=remember, method=method)
    db.session.add(row)
    db.session.commit()
    user.session_token = token
    login_user(user, remember=remember, fresh=True)
    mark_login_fresh()
    session["lang"] = user.locale
    return row


def load_session_user(token: str) -> User | None:
    """Flask-Login's loader: the active user of a session that was not revoked, else None."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None  # also the "id:version" identifiers of sessions before server-side sessions
    # One query per request, as the id lookup before it was.
    user = db.session.scalar(
        sa.select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.token_hash == _hash(token))
    )
    if user is None or not user.active:
        return None
    user.session_token = token
    return user


def current_session_hash(user: User) -> str | None:
    """The hash of the session this user object was loaded for."""
    return _hash(user.session_token) if user.session_token else None


def end_session(user: User | None) -> None:
    """Log out: revoke this session's row (its cookies stop working everywhere), then clear the cookie."""
    if user is not None and user.session_token:
        db.session.execute(sa.delete(UserSession).where(UserSession.token_hash == _hash(user.session_token)))
        db.session.commit()
        user.session_token = None
    logout_user()
    session.pop("_fresh_at", None)


def revoke_sessions(user: User, *, keep_current: bool = False) -> int:
    """End the user's sessions (all, or all but the one this object was loaded for); the caller commits."""
    stmt = sa.delete(UserSession).where(UserSession.user_id == user.id)
    current = current_session_hash(user)
    if keep_current and current:
        stmt = stmt.where(UserSession.token_hash != current)
    return db.session.execute(stmt.execution_options(synchronize_session=False)).rowcount or 0


def session_count(user: User) -> int:
    """How many sessions of the user are open."""
    return (
        db.session.scalar(sa.select(sa.func.count(UserSession.id)).where(UserSession.user_id == user.id)) or 0
    )
