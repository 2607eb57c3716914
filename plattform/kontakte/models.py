"""A contact request from one Kommune to another, and the partnership an accepted request creates."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plattform.core.clock import utcnow
from plattform.extensions import db
from plattform.kommunen.models import Kommune

REQUEST_STATUSES = ("offen", "angenommen", "abgelehnt", "zurueckgezogen")


class ContactRequest(db.Model):
    """Kommune A asks Kommune B for a learning partnership; B accepts or declines."""

    __tablename__ = "contact_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    from_kommune_id: Mapped[int] = mapped_column(sa.ForeignKey("kommune.id"), index=True)
    to_kommune_id: Mapped[int] = mapped_column(sa.ForeignKey("kommune.id"), index=True)
    from_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    message: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(20), default="offen", index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    from_kommune: Mapped[Kommune] = relationship(foreign_keys=[from_kommune_id])
    to_kommune: Mapped[Kommune] = relationship(foreign_keys=[to_kommune_id])


class Partnership(db.Model):
    """Two Kommunen that agreed to learn from each other; stored once with the smaller id first."""

    __tablename__ = "partnership"
    __table_args__ = (
        sa.UniqueConstraint("kommune_a_id", "kommune_b_id", name="uq_partnership_pair"),
        sa.CheckConstraint("kommune_a_id < kommune_b_id", name="ordered_pair"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kommune_a_id: Mapped[int] = mapped_column(sa.ForeignKey("kommune.id"), index=True)
    kommune_b_id: Mapped[int] = mapped_column(sa.ForeignKey("kommune.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contact_request.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    kommune_a: Mapped[Kommune] = relationship(foreign_keys=[kommune_a_id])
    kommune_b: Mapped[Kommune] = relationship(foreign_keys=[kommune_b_id])

    @staticmethod
    def ordered(a: int, b: int) -> tuple[int, int]:
        """The storage order of a pair."""
        return (a, b) if a < b else (b, a)
