"""Accounts linked to an identity provider (OpenID Connect), and memberships a provider granted."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from plattform.accounts.models import KommuneMembership, User
from plattform.core.clock import utcnow
from plattform.extensions import db


class OidcIdentity(db.Model):
    """One person at one identity provider (issuer + subject), linked to one account.

    Sign-ins find the account by (issuer, subject), never by e-mail address: an address can change or
    be given to someone else at the provider, the subject stays (OpenID Connect Core 1.0, 5.7).
    """

    __tablename__ = "oidc_identity"
    __table_args__ = (sa.UniqueConstraint("issuer", "subject", name="uq_oidc_identity_issuer_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(sa.String(40))  # the configured key, e.g. "KDVZ"
    issuer: Mapped[str] = mapped_column(sa.String(255))
    subject: Mapped[str] = mapped_column(sa.String(255))
    email: Mapped[str] = mapped_column(sa.String(254))  # as the provider last reported it
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    user: Mapped[User] = relationship(
        backref=backref("oidc_identities", cascade="all, delete-orphan", passive_deletes=True)
    )


class OidcMembershipGrant(db.Model):
    """A membership approved by an authoritative provider's claim (not by a person).

    Only such memberships end when the claim no longer names the Kommune; one approved by a
    coordinator or an administrator stays.
    """

    __tablename__ = "oidc_membership_grant"

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(
        sa.ForeignKey("kommune_membership.id", ondelete="CASCADE"), unique=True
    )
    provider: Mapped[str] = mapped_column(sa.String(40))
    granted_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    membership: Mapped[KommuneMembership] = relationship(
        backref=backref("oidc_grant", uselist=False, cascade="all, delete-orphan", passive_deletes=True)
    )
