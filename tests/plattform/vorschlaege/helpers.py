"""Shared set-up for the suggestion tests: synthetic profiles for the Kommunen in the database."""

from __future__ import annotations

import numpy as np
import sqlalchemy as sa

from matching.profiles import ProfileData
from matching.synthetic import KommuneFacts, draw_profiles
from plattform.extensions import db
from plattform.kommunen.models import Kommune
from plattform.kommunen.services import matchable_filter
from plattform.profile.bulk import import_profiles


def seed_profiles(seed: int = 3, skip_every: int = 0) -> list[ProfileData]:
    """Give every matchable Kommune (but every `skip_every`-th) a profile drawn from the study's figures."""
    kommunen = db.session.scalars(sa.select(Kommune).where(matchable_filter()).order_by(Kommune.id)).all()
    if skip_every:
        kommunen = [k for r, k in enumerate(kommunen) if r % skip_every]
    facts = [
        KommuneFacts(
            ags=k.ags,
            kind="kreis"
            if k.ebene == "kreis"
            else ("gemeinde" if k.kind in ("gemeinde", "markt") else "stadt"),
            population=k.population or 1000,
            lat=k.lat if k.lat is not None else 50.8,
            lon=k.lon if k.lon is not None else 6.5,
        )
        for k in kommunen
    ]
    profiles = draw_profiles(facts, seed)
    import_profiles(profiles)
    return profiles


def lists_by_kommune(run_id: int) -> dict[int, list[tuple]]:
    """Every list of a run as kommune_id → [(rank, partner_id, facts code), …] (scores: see below)."""
    from plattform.vorschlaege.models import Suggestion

    out: dict[int, list[tuple]] = {}
    for s in db.session.scalars(
        sa.select(Suggestion)
        .where(Suggestion.run_id == run_id)
        .order_by(Suggestion.kommune_id, Suggestion.rank)
    ):
        out.setdefault(s.kommune_id, []).append((s.rank, s.partner_id, s.facts))
    return out


def scores(run_id: int) -> np.ndarray:
    """A run's scores in (kommune, rank) order; float32 sums in another order differ in the last bits."""
    from plattform.vorschlaege.models import Suggestion

    return np.array(
        db.session.scalars(
            sa.select(Suggestion.score)
            .where(Suggestion.run_id == run_id)
            .order_by(Suggestion.kommune_id, Suggestion.rank)
        ).all()
    )
