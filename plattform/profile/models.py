"""A Kommune's profile: its type, goals, what it can teach, wants to learn and works on."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plattform.core.clock import utcnow
from plattform.extensions import db
from plattform.kommunen.models import Kommune


class Profile(db.Model):
    """One profile per Kommune; topics and projects hang off it."""

    __tablename__ = "profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    kommune_id: Mapped[int] = mapped_column(sa.ForeignKey("kommune.id"), unique=True)
    # The type test: ranked goals (most important first) and its result.
    ziele: Mapped[list] = mapped_column(sa.JSON, default=list)
    typ: Mapped[str | None] = mapped_column(sa.String(30), index=True)
    typ_confidence: Mapped[float | None]
    typ_mixed_with: Mapped[str | None] = mapped_column(sa.String(30))
    handlungsfelder: Mapped[list] = mapped_column(sa.JSON, default=list)
    offen_fuer: Mapped[list] = mapped_column(sa.JSON, default=list)
    reichweite_km: Mapped[int] = mapped_column(default=50)
    # True while strengths and needs are the cold-start estimate from the type, not the Kommune's own.
    estimated: Mapped[bool] = mapped_column(default=False)
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    kommune: Mapped[Kommune] = relationship()
    topics: Mapped[list[ProfileTopic]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", order_by="ProfileTopic.thema"
    )
    projects: Mapped[list[ProfileProject]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", order_by="ProfileProject.id"
    )

    @property
    def staerken(self) -> dict[str, int]:
        """Topic → level 1–3 of what the Kommune can teach."""
        return {t.thema: t.staerke for t in self.topics if t.staerke}

    @property
    def bedarfe(self) -> dict[str, int]:
        """Topic → priority 1–3 of what the Kommune wants to learn."""
        return {t.thema: t.bedarf for t in self.topics if t.bedarf}


class ProfileTopic(db.Model):
    """One topic of a profile: strength level and/or need priority (a row, so search can filter by topic)."""

    __tablename__ = "profile_topic"
    __table_args__ = (sa.UniqueConstraint("profile_id", "thema", name="uq_profile_topic_profile_thema"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(sa.ForeignKey("profile.id", ondelete="CASCADE"), index=True)
    thema: Mapped[str] = mapped_column(sa.String(40), index=True)
    staerke: Mapped[int | None]  # 1–3
    bedarf: Mapped[int | None]  # 1–3

    profile: Mapped[Profile] = relationship(back_populates="topics")


class ProfileProject(db.Model):
    """A project the Kommune plans, runs or has finished on a topic."""

    __tablename__ = "profile_project"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(sa.ForeignKey("profile.id", ondelete="CASCADE"), index=True)
    thema: Mapped[str] = mapped_column(sa.String(40), index=True)
    titel: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(20))  # geplant | laufend | abgeschlossen
    link: Mapped[str | None] = mapped_column(sa.String(500))

    profile: Mapped[Profile] = relationship(back_populates="projects")


class ProfileImport(db.Model):
    """An uploaded profile file being imported by the worker, with its progress and its outcome.

    The file itself is kept in the row (workers may run on other machines) and dropped when done.
    """

    __tablename__ = "profile_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    file_name: Mapped[str] = mapped_column(sa.String(255))
    content: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    # wartet → laeuft → fertig | fehler
    status: Mapped[str] = mapped_column(sa.String(20), default="wartet")
    phase: Mapped[str | None] = mapped_column(sa.String(20))  # lesen, pruefen, schreiben
    total: Mapped[int | None]
    done: Mapped[int | None]
    result: Mapped[dict | None] = mapped_column(sa.JSON)
    issues: Mapped[dict | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
