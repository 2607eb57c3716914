"""Shared projects of several Kommunen, and the latest computed proposals and duplication reports."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plattform.core.clock import utcnow
from plattform.extensions import db
from plattform.i18n import N_
from plattform.kommunen.models import Kommune

# vorgeschlagen: an idea looking for partners; offen: organised, open to join; aktiv: work under way;
# abgeschlossen: closed with a result (nobody can join any more).
PROJECT_STATUSES = ("vorgeschlagen", "offen", "aktiv", "abgeschlossen")
PROJECT_STATUS_LABELS_DE = {
    "vorgeschlagen": N_("Vorgeschlagen"),
    "offen": N_("Offen für weitere Kommunen"),
    "aktiv": N_("Aktiv"),
    "abgeschlossen": N_("Abgeschlossen"),
}
# A Kommune named in a proposal is invited; it becomes a member when one of its officers joins.
MEMBER_STATUSES = ("eingeladen", "beigetreten")


class SharedProject(db.Model):
    """A project several Kommunen run together under one lead ("one does it, many reuse it")."""

    __tablename__ = "shared_project"

    id: Mapped[int] = mapped_column(primary_key=True)
    thema: Mapped[str] = mapped_column(sa.String(40), index=True)
    titel: Mapped[str] = mapped_column(sa.String(200))
    beschreibung: Mapped[str] = mapped_column(sa.Text, default="")
    lead_kommune_id: Mapped[int] = mapped_column(sa.ForeignKey("kommune.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="offen", index=True)
    nachnutzung: Mapped[bool] = mapped_column(default=False)
    ergebnis: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    lead: Mapped[Kommune] = relationship()
    members: Mapped[list[SharedProjectMember]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="SharedProjectMember.id"
    )

    @property
    def is_closed(self) -> bool:
        """Whether the project was closed with a result."""
        return self.status == "abgeschlossen"

    @property
    def status_label(self) -> str:
        """German label of the status (templates translate it with `_()`)."""
        return PROJECT_STATUS_LABELS_DE.get(self.status, self.status)

    def joined(self) -> list[SharedProjectMember]:
        """Members that joined (not only invited)."""
        return [m for m in self.members if m.status == "beigetreten"]

    def member_for(self, kommune_id: int) -> SharedProjectMember | None:
        """The membership row of a Kommune, if any."""
        return next((m for m in self.members if m.kommune_id == kommune_id), None)

    def has_joined(self, kommune_id: int) -> bool:
        """Whether the Kommune is a member that joined (an invitation alone does not count)."""
        member = self.member_for(kommune_id)
        return member is not None and member.status == "beigetreten"


class SharedProjectMember(db.Model):
    """A Kommune in a shared project: invited (from a proposal) or joined."""

    __tablename__ = "shared_project_member"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "kommune_id", name="uq_shared_project_member_project_kommune"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("shared_project.id", ondelete="CASCADE"), index=True
    )
    kommune_id: Mapped[int] = mapped_column(sa.ForeignKey("kommune.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20), default="beigetreten")
    invited_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    joined_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    project: Mapped[SharedProject] = relationship(back_populates="members")
    kommune: Mapped[Kommune] = relationship()


class ProjectProposal(db.Model):
    """One computed shared-project proposal (the latest run), read by pages without recomputing.

    With `shared_project_id` set it proposes to join that existing open project: the members are
    the Kommunen nearby that could join, the lead is the project's.
    """

    __tablename__ = "project_proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    thema: Mapped[str] = mapped_column(sa.String(40), index=True)
    lead_kommune_id: Mapped[int] = mapped_column(sa.ForeignKey("kommune.id"), index=True)
    shared_project_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("shared_project.id", ondelete="CASCADE"), index=True
    )
    explanation_de: Mapped[str] = mapped_column(sa.Text)
    span_km: Mapped[float]
    score: Mapped[float]
    computed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    lead: Mapped[Kommune] = relationship()
    shared_project: Mapped[SharedProject | None] = relationship(passive_deletes=True)
    entries: Mapped[list[ProjectProposalMember]] = relationship(
        back_populates="proposal", cascade="all, delete-orphan", order_by="ProjectProposalMember.id"
    )

    @property
    def member_kommunen(self) -> list[Kommune]:
        """The Kommunen proposed to work together (the lead included)."""
        return [e.kommune for e in self.entries if e.rolle == "mitglied"]

    @property
    def reuse_kommunen(self) -> list[Kommune]:
        """Kommunen nearby that finished such a project and whose result can be reused."""
        return [e.kommune for e in self.entries if e.rolle == "nachnutzung"]


class ProjectProposalMember(db.Model):
    """A Kommune named in a proposal: as member (rolle mitglied) or as source for reuse (nachnutzung)."""

    __tablename__ = "project_proposal_member"
    __table_args__ = (
        sa.UniqueConstraint("proposal_id", "kommune_id", name="uq_project_proposal_member_proposal_kommune"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("project_proposal.id", ondelete="CASCADE"), index=True
    )
    kommune_id: Mapped[int] = mapped_column(sa.ForeignKey("kommune.id"), index=True)
    rolle: Mapped[str] = mapped_column(sa.String(20), default="mitglied")

    proposal: Mapped[ProjectProposal] = relationship(back_populates="entries")
    kommune: Mapped[Kommune] = relationship()


class ProjectDuplication(db.Model):
    """One line of the latest duplication report: n Kommunen of a Kreis or Land work separately on a topic."""

    __tablename__ = "project_duplication"

    id: Mapped[int] = mapped_column(primary_key=True)
    ebene: Mapped[str] = mapped_column(sa.String(10), index=True)  # "kreis" | "land"
    group_key: Mapped[str] = mapped_column(sa.String(20), index=True)
    group_name: Mapped[str] = mapped_column(sa.String(200))
    thema: Mapped[str] = mapped_column(sa.String(40))
    count: Mapped[int]
    ags: Mapped[list] = mapped_column(sa.JSON, default=list)
    text_de: Mapped[str] = mapped_column(sa.Text)
    computed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


# What happened in a shared project, for the digest and the lead's notices.
PROJECT_EVENT_KINDS = ("eingeladen", "beigetreten", "ausgetreten", "abgeschlossen")


class ProjectEvent(db.Model):
    """One change in a shared project (a Kommune invited, joined or left; the project closed)."""

    __tablename__ = "project_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("shared_project.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(20))
    kommune_id: Mapped[int | None] = mapped_column(sa.ForeignKey("kommune.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, index=True)

    project: Mapped[SharedProject] = relationship(passive_deletes=True)
    kommune: Mapped[Kommune | None] = relationship()
