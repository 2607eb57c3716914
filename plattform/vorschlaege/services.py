"""Suggestion services: what the dashboard reads and the feedback it records (full version follows)."""

from __future__ import annotations

import sqlalchemy as sa

from plattform.extensions import db
from plattform.kommunen.models import utcnow
from plattform.vorschlaege.models import MatchingState, Suggestion, SuggestionFeedback


def current_run_id() -> int | None:
    """The id of the run readers see, or None before the first recompute."""
    return db.session.scalar(sa.select(MatchingState.current_run_id).where(MatchingState.id == 1))


def current_suggestions(kommune_id: int, limit: int | None = None) -> list[Suggestion]:
    """Kommune's suggestions of the current run, best first, without hidden ones."""
    run_id = current_run_id()
    if run_id is None:
        return []
    hidden = sa.select(SuggestionFeedback.partner_id).where(
        SuggestionFeedback.kommune_id == kommune_id, SuggestionFeedback.kind == "nicht-interessiert"
    )
    query = (
        sa.select(Suggestion)
        .where(Suggestion.run_id == run_id, Suggestion.kommune_id == kommune_id)
        .where(Suggestion.partner_id.not_in(hidden))
        .order_by(Suggestion.rank)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def mark_not_interested(kommune_id: int, partner_id: int) -> SuggestionFeedback:
    """Hide partner from Kommune's list now and tell the next recompute to exclude the pair."""
    row = db.session.scalar(
        sa.select(SuggestionFeedback).filter_by(
            kommune_id=kommune_id, partner_id=partner_id, kind="nicht-interessiert"
        )
    )
    if row is None:
        row = SuggestionFeedback(
            kommune_id=kommune_id, partner_id=partner_id, kind="nicht-interessiert", count=1
        )
        db.session.add(row)
    else:
        row.count += 1
        row.updated_at = utcnow()
    db.session.commit()
    return row
