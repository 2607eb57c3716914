"""Consent to the weekly digest, and one delivery record per recipient and ISO week."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plattform.accounts.models import User
from plattform.core.clock import utcnow
from plattform.extensions import db

# pending: asked, confirmation link not yet followed; active: double opt-in done; unsubscribed: left.
SUBSCRIPTION_STATUSES = ("pending", "active", "unsubscribed")
# reserved: claimed for sending (error set = last attempt certainly not accepted, may be re-claimed);
# sent / empty (nothing new, no mail) / failed are final for the week.
# "undelivered": the server certainly did not take it (a later run of the week tries again);
# "failed": it may have arrived, or building it failed (never sent again).
DELIVERY_STATUSES = ("reserved", "sent", "failed", "empty", "undelivered")


class DigestSubscription(db.Model):
    """An officer's consent to the weekly e-mail: when, and to which version of the consent text."""

    __tablename__ = "digest_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), unique=True, index=True
    )
    status: Mapped[str] = mapped_column(sa.String(20), default="pending", index=True)
    consent_text_version: Mapped[str] = mapped_column(sa.String(20))
    requested_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    unsubscribed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    user: Mapped[User] = relationship()


class DigestDelivery(db.Model):
    """The digest of one recipient for one ISO week, inserted before sending so it is sent at most once."""

    __tablename__ = "digest_delivery"
    __table_args__ = (sa.UniqueConstraint("user_id", "iso_week", name="uq_digest_delivery_user_week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    iso_week: Mapped[str] = mapped_column(sa.String(8))  # "2026-W48"
    status: Mapped[str] = mapped_column(sa.String(12), default="reserved", index=True)
    attempts: Mapped[int] = mapped_column(default=1)
    claimed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(sa.Text)
    subject: Mapped[str | None] = mapped_column(sa.String(300))
    # Per section, the item keys the recipient has been shown (e.g. suggestion pairs "12:34").
    listed_keys: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    user: Mapped[User] = relationship()
