"""Personal API tokens: a user's key for the JSON API, stored only as a hash of its secret."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plattform.accounts.models import User
from plattform.core.clock import utcnow
from plattform.extensions import db

# "lesen" reads what the user may see; "schreiben" also changes what the user may change.
TOKEN_SCOPES = ("lesen", "schreiben")


class ApiToken(db.Model):
    """One personal API token. The secret is shown once at creation; only its SHA-256 is kept."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    # Hex SHA-256 of the random secret: enough to recognise a presented token, useless to a thief.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scope: Mapped[str] = mapped_column(sa.String(20), default="lesen")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    user: Mapped[User] = relationship()

    @property
    def may_write(self) -> bool:
        """Whether the token may call the API's changing operations."""
        return self.scope == "schreiben"
