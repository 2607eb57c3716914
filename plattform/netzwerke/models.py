"""Networks of Kommunen (a Kreis, a Zweckverband like kdvz, a free network like ANDI) and who runs them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plattform.accounts.models import User
from plattform.core.clock import utcnow
from plattform.extensions import db
from plattform.i18n import N_
from plattform.kommunen.models import Kommune

NETZWERK_ARTEN = ("kreis", "zweckverband", "frei")
NETZWERK_ART_LABELS_DE = {
    "kreis": N_("Kreis"),
    "zweckverband": N_("Zweckverband"),
    "frei": N_("Freies Netzwerk"),
}
EINLADUNG_STATUSES = ("offen", "angenommen", "abgelehnt", "zurueckgezogen")


class Netzwerk(db.Model):
    """A network of Kommunen with coordinators who invite members and see the network as a whole."""

    __tablename__ = "netzwerk"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    art: Mapped[str] = mapped_column(sa.String(20), default="frei")
    beschreibung: Mapped[str] = mapped_column(sa.Text, default="")
    # The Kreis whose network this is (art "kreis"); at most one such network per Kreis.
    kreis_kommune_id: Mapped[int | None] = mapped_column(sa.ForeignKey("kommune.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    kreis: Mapped[Kommune | None] = relationship()
    mitglieder: Mapped[list[NetzwerkMitglied]] = relationship(
        back_populates="netzwerk", cascade="all, delete-orphan", order_by="NetzwerkMitglied.id"
    )
    koordination: Mapped[list[NetzwerkKoordination]] = relationship(
        back_populates="netzwerk", cascade="all, delete-orphan"
    )
    einladungen: Mapped[list[NetzwerkEinladung]] = relationship(
        back_populates="netzwerk", cascade="all, delete-orphan", order_by="NetzwerkEinladung.id"
    )

    @property
    def art_label(self) -> str:
        """German label of the kind of network (templates translate it with `_()`)."""
        return NETZWERK_ART_LABELS_DE.get(self.art, self.art)


class NetzwerkMitglied(db.Model):
    """A Kommune that belongs to a network."""

    __tablename__ = "netzwerk_mitglied"
    __table_args__ = (sa.UniqueConstraint("netzwerk_id", "kommune_id", name="uq_netzwerk_mitglied_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    netzwerk_id: Mapped[int] = mapped_column(sa.ForeignKey("netzwerk.id", ondelete="CASCADE"), index=True)
    kommune_id: Mapped[int] = mapped_column(sa.ForeignKey("kommune.id"), index=True)
    joined_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    netzwerk: Mapped[Netzwerk] = relationship(back_populates="mitglieder")
    kommune: Mapped[Kommune] = relationship()


class NetzwerkKoordination(db.Model):
    """A user who coordinates a network."""

    __tablename__ = "netzwerk_koordination"
    __table_args__ = (sa.UniqueConstraint("netzwerk_id", "user_id", name="uq_netzwerk_koordination_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    netzwerk_id: Mapped[int] = mapped_column(sa.ForeignKey("netzwerk.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)

    netzwerk: Mapped[Netzwerk] = relationship(back_populates="koordination")
    user: Mapped[User] = relationship()


class NetzwerkEinladung(db.Model):
    """An invitation to join a network, to a Kommune (by AGS) and/or to its officer's e-mail address."""

    __tablename__ = "netzwerk_einladung"

    id: Mapped[int] = mapped_column(primary_key=True)
    netzwerk_id: Mapped[int] = mapped_column(sa.ForeignKey("netzwerk.id", ondelete="CASCADE"), index=True)
    kommune_id: Mapped[int | None] = mapped_column(sa.ForeignKey("kommune.id"), index=True)
    email: Mapped[str | None] = mapped_column(sa.String(254))
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="offen", index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    invited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    netzwerk: Mapped[Netzwerk] = relationship(back_populates="einladungen")
    kommune: Mapped[Kommune | None] = relationship()
