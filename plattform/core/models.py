"""Core tables shared by every domain: the audit log of sensitive actions."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from plattform.core.clock import utcnow
from plattform.extensions import db


class AuditEvent(db.Model):
    """One sensitive action (role or membership change, export, deletion, token creation).

    The actor is kept as a plain id without a foreign key, so that the record of what happened
    survives the deletion of the account that did it (ASVS V7: security logs are kept).
    """

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    target_type: Mapped[str | None] = mapped_column(sa.String(40))
    target_id: Mapped[str | None] = mapped_column(sa.String(64))
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(sa.String(45))

    __table_args__ = (sa.Index("ix_audit_event_target", "target_type", "target_id"),)
