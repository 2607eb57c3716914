"""Partner suggestions: recompute runs, their suggestions, the current run and officers' feedback."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matching.facts import Facts
from matching.facts import decode as decode_facts
from plattform.core.clock import utcnow
from plattform.extensions import db
from plattform.kommunen.models import Kommune

RUN_STATUSES = ("laeuft", "fertig", "fehlgeschlagen")
RUN_KINDS = ("voll", "inkrementell")
FEEDBACK_KINDS = ("nicht-interessiert", "ignoriert")


class SuggestionRun(db.Model):
    """One recompute of the suggestions; readers only ever see the run MatchingState points at."""

    __tablename__ = "suggestion_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    size: Mapped[int] = mapped_column(default=0)  # number of Kommunen matched
    status: Mapped[str] = mapped_column(sa.String(20), default="laeuft", index=True)
    error: Mapped[str | None] = mapped_column(sa.Text)
    kind: Mapped[str] = mapped_column(sa.String(20), default="voll")
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    gini: Mapped[float | None]


class MatchingState(db.Model):
    """A single row (id 1): which run is current. Swapping it is the atomic switch to new results."""

    __tablename__ = "matching_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    current_run_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("suggestion_run.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    current_run: Mapped[SuggestionRun | None] = relationship()


class Suggestion(db.Model):
    """Partner `partner_id` at `rank` (1 = best) in Kommune `kommune_id`'s list of one run.

    Stored compactly: ids, rank, score, distance and the facts code (matching.facts); the sentences
    are rendered at read time in the reader's language. No foreign keys: a run writes only rows of
    Kommunen from its own input, deletes its rows itself (fail_run, prune_runs), and readers join
    the partner (an inner join, so a Kommune removed from the directory meanwhile is simply not
    shown). The per-row checks cost more than the rest of the write (docs/benchmarks.md).
    """

    __tablename__ = "suggestion"
    __table_args__ = (sa.Index("ix_suggestion_run_partner", "run_id", "partner_id"),)

    run_id: Mapped[int] = mapped_column(primary_key=True)
    kommune_id: Mapped[int] = mapped_column(primary_key=True)
    rank: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int]
    score: Mapped[float] = mapped_column(sa.REAL)
    distance_km: Mapped[float | None] = mapped_column(sa.REAL)
    facts: Mapped[str] = mapped_column(sa.String, default="")

    kommune: Mapped[Kommune] = relationship(
        primaryjoin="foreign(Suggestion.kommune_id) == Kommune.id", viewonly=True
    )
    partner: Mapped[Kommune] = relationship(
        primaryjoin="foreign(Suggestion.partner_id) == Kommune.id", viewonly=True
    )

    @property
    def fact_sheet(self) -> Facts:
        """The decoded facts (decoded once per object)."""
        cached = self.__dict__.get("_fact_sheet")
        if cached is None:
            cached = self.__dict__["_fact_sheet"] = decode_facts(self.facts)
        return cached

    @property
    def teaches_me(self) -> list[str]:
        """Topic slugs the partner can teach me, most valuable first."""
        return [t.slug for t in self.fact_sheet.teaches_me]

    @property
    def learns_from_me(self) -> list[str]:
        """Topic slugs I can teach the partner, most valuable first."""
        return [t.slug for t in self.fact_sheet.learns_from_me]


class SuggestionFeedback(db.Model):
    """What a Kommune did with a suggestion: "nicht-interessiert" hides it, "ignoriert" lets it sink."""

    __tablename__ = "suggestion_feedback"
    __table_args__ = (
        sa.UniqueConstraint("kommune_id", "partner_id", "kind", name="uq_suggestion_feedback_pair_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kommune_id: Mapped[int] = mapped_column(sa.ForeignKey("kommune.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("kommune.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    count: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class SuggestionRunArrays(db.Model):
    """A run's arrays as .npz blobs: the frozen input its chord blocks share, and the candidate pools
    (before the exposure step) that the incremental update after a profile edit starts from."""

    __tablename__ = "suggestion_run_arrays"

    run_id: Mapped[int] = mapped_column(
        sa.ForeignKey("suggestion_run.id", ondelete="CASCADE"), primary_key=True
    )
    input_npz: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    pool_npz: Mapped[bytes | None] = mapped_column(sa.LargeBinary)


class SuggestionListStamp(db.Model):
    """When a Kommune's list in a run was last computed in place (after profile edits).

    A full run covers every list as of its start; an in-place update after a profile edit stamps the
    lists it recomputed. The dashboard's "Stand" is the later of both (for the current run only), and
    a profile saved after it means "wird neu berechnet": the explanations predate the edit.
    """

    __tablename__ = "suggestion_list_stamp"

    kommune_id: Mapped[int] = mapped_column(sa.ForeignKey("kommune.id", ondelete="CASCADE"), primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("suggestion_run.id", ondelete="CASCADE"), index=True)
    computed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
