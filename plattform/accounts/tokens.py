"""Signed, expiring links for e-mail confirmation, password reset and e-mail change.

Each purpose has its own salt, so a token for one purpose is never accepted for another. The payload
binds the token to the state it may change: the reset token carries a fingerprint of the current
password hash (invalid once the password changed, so a link works once); the e-mail change token
carries the old address and the session version.
"""

from __future__ import annotations

import hashlib

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from plattform.accounts.models import User
from plattform.extensions import db

CONFIRM = "email-confirm"
RESET = "password-reset"
EMAIL_CHANGE = "email-change"

# Lifetimes in seconds: settings of plattform/config.py.
_CONFIG_KEYS = {
    CONFIRM: "CONFIRM_TOKEN_MAX_AGE",
    RESET: "RESET_TOKEN_MAX_AGE",
    EMAIL_CHANGE: "EMAIL_CHANGE_TOKEN_MAX_AGE",
}


class TokenError(ValueError):
    """The link is forged, expired, already used or meant for something else."""

    def __init__(self, expired: bool = False):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"kommunalmatch-{purpose}")


def max_age(purpose: str) -> int:
    """How long a token of this purpose stays valid, in seconds."""
    return int(current_app.config[_CONFIG_KEYS[purpose]])


def password_fingerprint(user: User) -> str:
    """A short digest of the password hash: changes whenever the password does."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def make_confirm_token(user: User) -> str:
    """Token that confirms the user's current address."""
    return _serializer(CONFIRM).dumps({"u": user.id, "e": user.email})


def make_reset_token(user: User) -> str:
    """Token that lets the user set a new password once."""
    return _serializer(RESET).dumps({"u": user.id, "p": password_fingerprint(user)})


def make_email_change_token(user: User, new_email: str) -> str:
    """Token that moves the account to `new_email` once it is confirmed."""
    return _serializer(EMAIL_CHANGE).dumps(
        {"u": user.id, "old": user.email, "new": new_email, "v": user.session_version}
    )


def _load(purpose: str, token: str, age: int | None = None) -> tuple[User, dict]:
    try:
        data = _serializer(purpose).loads(token, max_age=max_age(purpose) if age is None else age)
    except SignatureExpired:
        raise TokenError(expired=True) from None
    except BadSignature:
        raise TokenError() from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise TokenError()
    user = db.session.get(User, data["u"])
    if user is None or not user.active:
        raise TokenError()
    return user, data


def read_confirm_token(token: str) -> User:
    """The user whose address the token confirms (still their address)."""
    user, data = _load(CONFIRM, token)
    if data.get("e") != user.email:
        raise TokenError()
    return user


def read_reset_token(token: str) -> User:
    """The user who may set a new password; fails once the password has changed."""
    user, data = _load(RESET, token)
    if data.get("p") != password_fingerprint(user):
        raise TokenError()
    return user


def read_email_change_token(token: str) -> tuple[User, str]:
    """The user and the new address; fails once the address or the password has changed."""
    user, data = _load(EMAIL_CHANGE, token)
    if data.get("old") != user.email or data.get("v") != user.session_version:
        raise TokenError()
    new = data.get("new")
    if not isinstance(new, str) or "@" not in new:
        raise TokenError()
    return user, new
