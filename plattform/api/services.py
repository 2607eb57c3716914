"""API token services: create (the secret shown once), recognise a presented token, note its use, revoke.

A token reads ``km_`` followed by 32 random bytes in URL-safe Base64. The database keeps only the
SHA-256 of the secret part: a leaked database does not leak usable tokens, and since the secret has
256 bits of entropy a fast hash is enough (no password stretching needed, as for GitHub's tokens).
Services flush but never commit; the caller commits together with the audit event.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from plattform.accounts.models import User
from plattform.api.models import TOKEN_SCOPES, ApiToken
from plattform.core import audit
from plattform.core.clock import utcnow
from plattform.extensions import db

TOKEN_PREFIX = "km_"
SECRET_BYTES = 32
NAME_MAX = 100
# Writing last_used_at on every request would turn every read into a write; a minute is precise enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)
EXPIRY_CHOICES_DAYS = (30, 90, 365)


class TokenError(ValueError):
    """A token request that cannot be carried out; the message is German and safe to show."""


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; they were stored as UTC."""
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def hash_secret(secret: str) -> str:
    """The stored form of a token secret (hex SHA-256)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(
    user: User, name: str, scope: str, expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """Create a token for the user; returns the row and the full token text, which is never stored."""
    name = (name or "").strip()
    if not name:
        raise TokenError("Bitte geben Sie dem Token einen Namen.")
    if len(name) > NAME_MAX:
        raise TokenError(f"Der Name darf höchstens {NAME_MAX} Zeichen lang sein.")
    if scope not in TOKEN_SCOPES:
        raise TokenError("Unbekannter Umfang; erlaubt sind lesen und schreiben.")
    secret = secrets.token_urlsafe(SECRET_BYTES)
    now = utcnow()
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=hash_secret(secret),
        scope=scope,
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        "api_token.created",
        target=("user_account", user.id),
        details={"token_id": token.id, "name": name, "scope": scope},
        actor=user,
    )
    return token, TOKEN_PREFIX + secret


def is_usable(token: ApiToken, now: datetime | None = None) -> bool:
    """Not revoked, not expired, and its account still active."""
    now = now or utcnow()
    if token.revoked_at is not None:
        return False
    expires = as_utc(token.expires_at)
    if expires is not None and expires <= now:
        return False
    return bool(token.user and token.user.active)


def find_token(presented: str) -> ApiToken | None:
    """The usable token whose secret was presented, or None (wrong, revoked, expired: no hint which)."""
    if not presented.startswith(TOKEN_PREFIX):
        return None
    secret = presented.removeprefix(TOKEN_PREFIX)
    # A real secret is 43 characters; anything far off is rejected before touching the database.
    if not 20 <= len(secret) <= 100:
        return None
    token = db.session.scalar(
        sa.select(ApiToken)
        .where(ApiToken.token_hash == hash_secret(secret))
        .options(joinedload(ApiToken.user))  # is_usable and every view need the account
    )
    if token is None or not secrets.compare_digest(token.token_hash, hash_secret(secret)):
        return None
    return token if is_usable(token) else None


def note_use(token: ApiToken, now: datetime | None = None) -> bool:
    """Record that the token was used (at most once per LAST_USED_RESOLUTION); True if it wrote."""
    now = now or utcnow()
    last = as_utc(token.last_used_at)
    if last is not None and now - last < LAST_USED_RESOLUTION:
        return False
    token.last_used_at = now
    db.session.flush()
    return True


def tokens_of(user: User) -> list[ApiToken]:
    """The user's tokens, usable ones first, newest first."""
    rows = db.session.scalars(
        sa.select(ApiToken)
        .where(ApiToken.user_id == user.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return sorted(rows, key=lambda t: not is_usable(t))


def get_own_token(user: User, token_id: int) -> ApiToken | None:
    """One of the user's own tokens (None for someone else's: shown as 404)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        return None
    return token


def revoke_token(token: ApiToken, actor: User) -> bool:
    """Revoke the token at once; False if it was already revoked."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    db.session.flush()
    audit.record(
        "api_token.revoked",
        target=("user_account", token.user_id),
        details={"token_id": token.id, "name": token.name, "scope": token.scope},
        actor=actor,
    )
    return True


def export_tokens(user: User) -> list[dict]:
    """The personal data export's section: the user's tokens without their hashes."""
    return [
        {
            "name": t.name,
            "scope": t.scope,
            "created_at": _iso(t.created_at),
            "last_used_at": _iso(t.last_used_at),
            "expires_at": _iso(t.expires_at),
            "revoked_at": _iso(t.revoked_at),
        }
        for t in tokens_of(user)
    ]


def _iso(value: datetime | None) -> str | None:
    value = as_utc(value)
    return value.isoformat() if value else None
