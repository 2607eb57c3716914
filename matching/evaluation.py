"""Offline evaluation of the matching engine on a synthetic Germany with planted ideal partners.

Planted ground truth: small groups of neighbouring Kommunen whose profiles are rewritten so that each
member is strong in one topic the others need and needs what the others are strong in. A good engine
puts the other group members at the top of each member's list; the baselines show what simpler ideas
achieve on the same data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from matching.engine import (
    KIND_CODES,
    MatchInput,
    MatchParams,
    appearances,
    compute,
    gini,
)
from matching.profiles import ProfileData
from matching.vocabulary import TOPIC_INDEX, TOPIC_SLUGS, TYPES


@dataclass(frozen=True)
class Planted:
    """The planted groups: members per group and, per member, its ideal partners."""

    groups: list[np.ndarray]
    relevant: dict[int, set[int]]


def profiles_to_arrays(profiles: Sequence[ProfileData]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Profiles → strength, need, reach arrays in TOPIC_SLUGS order."""
    n, t = len(profiles), len(TOPIC_SLUGS)
    S = np.zeros((n, t), np.float32)
    N = np.zeros((n, t), np.float32)
    reach = np.zeros(n, np.float64)
    for r, prof in enumerate(profiles):
        for slug, lvl in prof.staerken.items():
            S[r, TOPIC_INDEX[slug]] = lvl
        for slug, lvl in prof.bedarfe.items():
            N[r, TOPIC_INDEX[slug]] = lvl
        reach[r] = prof.reichweite_km
    return S, N, reach


def build_input(
    ags: Sequence[str],
    kinds: Sequence[str],
    population: np.ndarray,
    lat: np.ndarray,
    lon: np.ndarray,
    profiles: Sequence[ProfileData],
    types: Sequence[str] | None = None,
) -> MatchInput:
    """A MatchInput from directory facts and drawn profiles; the Kreis code comes from the AGS."""
    S, N, reach = profiles_to_arrays(profiles)
    kreis_keys = {key: c for c, key in enumerate(sorted({a[:5] for a in ags}))}
    type_idx = None
    if types is not None:
        type_idx = np.array([TYPES.index(t) if t in TYPES else -1 for t in types])
    return MatchInput(
        ags=list(ags),
        strength=S,
        need=N,
        lat=np.asarray(lat, float),
        lon=np.asarray(lon, float),
        population=np.asarray(population, float),
        kind=np.array([KIND_CODES.get(k, -1) for k in kinds]),
        kreis=np.array([kreis_keys[a[:5]] for a in ags]),
        type_idx=type_idx,
        reach_km=reach,
    )


def plant_groups(
    inp: MatchInput, n_groups: int, size: int = 4, seed: int = 0, eligible: np.ndarray | None = None
) -> Planted:
    """Rewrite the profiles of `n_groups` groups of neighbouring Kommunen into ideal partners."""
    from sklearn.neighbors import BallTree

    rng = np.random.default_rng(seed)
    n, t = inp.strength.shape
    ok = np.isfinite(inp.lat) & np.isfinite(inp.lon)
    if eligible is not None:
        ok &= eligible
    cand = np.nonzero(ok)[0]
    coords = np.radians(np.column_stack([inp.lat[cand], inp.lon[cand]]))
    tree = BallTree(coords, metric="haversine")
    used = np.zeros(n, bool)
    groups: list[np.ndarray] = []
    for seed_row in rng.permutation(cand):
        if len(groups) >= n_groups:
            break
        if used[seed_row]:
            continue
        q = np.radians([[inp.lat[seed_row], inp.lon[seed_row]]])
        near = cand[tree.query(q, k=min(3 * size, cand.size))[1][0]]
        near = [r for r in near if not used[r]]
        if len(near) < size or near[0] != seed_row:
            continue
        # not simply the nearest: skip some neighbours, so "nearest by distance" is not the answer key
        members = np.array([near[0], *rng.choice(near[1:], size - 1, replace=False)])
        used[members] = True
        topics = rng.choice(t, size, replace=False)
        for pos, r in enumerate(members):
            inp.need[r] = 0
            inp.strength[r, topics] = 0
            inp.strength[r, topics[pos]] = 3
            inp.need[r, np.delete(topics, pos)] = 3
        groups.append(members)
    relevant = {int(r): {int(o) for o in g if o != r} for g in groups for r in g}
    return Planted(groups, relevant)


def nearest_by_distance(inp: MatchInput, k: int) -> np.ndarray:
    """Baseline: the k nearest Kommunen (haversine), nothing else."""
    from sklearn.neighbors import BallTree

    n = inp.n
    ok = np.isfinite(inp.lat) & np.isfinite(inp.lon)
    rows = np.nonzero(ok)[0]
    out = np.full((n, k), -1, np.int32)
    coords = np.radians(np.column_stack([inp.lat[rows], inp.lon[rows]]))
    tree = BallTree(coords, metric="haversine")
    _, nb = tree.query(coords, k=min(k + 1, rows.size))
    for pos, r in enumerate(rows):
        cand = rows[nb[pos]]
        cand = cand[cand != r][:k]
        out[r, : cand.size] = cand
    return out


def most_similar_profile(inp: MatchInput, k: int) -> np.ndarray:
    """Baseline: the k Kommunen with the most similar strength+need vector (cosine)."""
    from sklearn.neighbors import NearestNeighbors

    x = np.hstack([inp.strength, inp.need]).astype(np.float32)
    x = x + 1e-3  # empty profiles still have a direction
    nn = NearestNeighbors(n_neighbors=min(k + 1, inp.n), metric="cosine", algorithm="brute").fit(x)
    _, nb = nn.kneighbors(x)
    out = np.full((inp.n, k), -1, np.int32)
    for r in range(inp.n):
        cand = nb[r][nb[r] != r][:k]
        out[r, : cand.size] = cand
    return out


def precision_at(idx: np.ndarray, planted: Planted, k: int) -> float:
    """Mean share of the top k that are planted partners, over planted Kommunen."""
    vals = [len(planted.relevant[r] & set(idx[r, :k].tolist())) / k for r in planted.relevant]
    return float(np.mean(vals)) if vals else 0.0


def ndcg_at(idx: np.ndarray, planted: Planted, k: int) -> float:
    """Normalised discounted cumulative gain at k with binary relevance."""
    disc = 1.0 / np.log2(np.arange(2, k + 2))
    vals = []
    for r, rel in planted.relevant.items():
        gains = np.array([1.0 if j in rel else 0.0 for j in idx[r, :k]])
        ideal = disc[: min(len(rel), k)].sum()
        vals.append(float((gains * disc[: gains.size]).sum() / ideal))
    return float(np.mean(vals)) if vals else 0.0


def reciprocity(inp: MatchInput, idx: np.ndarray) -> float:
    """Share of suggestions useful both ways: j can teach i something i needs and vice versa."""
    rows, pos = np.nonzero(idx >= 0)
    cols = idx[rows, pos]
    need, strength = inp.need > 0, inp.strength > 0
    ab = (need[rows] & strength[cols]).any(1)
    ba = (need[cols] & strength[rows]).any(1)
    return float((ab & ba).mean()) if rows.size else 0.0


def coverage(idx: np.ndarray, minimum: int = 3) -> float:
    """Share of Kommunen with at least `minimum` suggestions."""
    return float(((idx >= 0).sum(1) >= minimum).mean())


def evaluate(inp: MatchInput, planted: Planted, params: MatchParams | None = None) -> dict[str, dict]:
    """The engine and both baselines on the same data: one row of figures each."""
    p = params or MatchParams()
    k = p.k
    lists = {
        "Kommunalmatch (Engine)": compute(inp, p).idx,
        "Ähnlichstes Profil": most_similar_profile(inp, k),
        "Nächste Entfernung": nearest_by_distance(inp, k),
    }
    table = {}
    for name, idx in lists.items():
        table[name] = {
            "precision@5": precision_at(idx, planted, 5),
            "ndcg@10": ndcg_at(idx, planted, 10),
            "coverage": coverage(idx),
            "reciprocity": reciprocity(inp, idx),
            "gini": gini(appearances(idx, inp.n)),
        }
    return table


def _pair_km(lat: np.ndarray, lon: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Haversine km of every listed pair (row, idx[row, s]); NaN for padding or unknown coordinates."""
    from matching.engine import haversine_km

    i = np.broadcast_to(np.arange(idx.shape[0])[:, None], idx.shape)
    j = np.where(idx >= 0, idx, 0)
    d = haversine_km(lat[i], lon[i], lat[j], lon[j])
    return np.where(idx >= 0, d, np.nan)


def diverse_top(inp: MatchInput, idx: np.ndarray, top: int = 5, topics: int = 3) -> float:
    """Share of lists whose top `top` teach at least `topics` different needed topics, among the lists
    where that is possible (the Kommune needs at least `topics` topics)."""
    need = inp.need > 0
    strength = inp.strength > 0
    rows = np.nonzero(need.sum(1) >= topics)[0]
    if rows.size == 0:
        return 0.0
    sub = idx[rows, :top]
    taught = np.zeros((rows.size, need.shape[1]), bool)
    for s in range(sub.shape[1]):
        ok = sub[:, s] >= 0
        taught[ok] |= strength[sub[ok, s]] & need[rows[ok]]
    return float((taught.sum(1) >= topics).mean())


def trust_report(
    inp: MatchInput,
    idx: np.ndarray,
    capacity: np.ndarray | None,
    planted: Planted,
    *,
    estimated: np.ndarray,
    no_coord: np.ndarray,
    true_lat: np.ndarray,
    true_lon: np.ndarray,
) -> dict[str, float]:
    """The figures of "suggestions an officer can trust" for one engine's lists.

    `inp` holds the profiles as the engine saw them (estimates included); distances are measured on
    the true coordinates, also for the Kommunen the engine saw without any.
    """
    n = inp.n
    app = appearances(idx, n)
    slots = max(int((idx >= 0).sum()), 1)
    km = _pair_km(true_lat, true_lon, idx)
    has_nc = no_coord.any() and np.isfinite(km[no_coord]).any()
    med_nc = float(np.nanmedian(km[no_coord])) if has_nc else float("nan")
    med_ot = float(np.nanmedian(km[~no_coord]))
    return {
        "precision@5": precision_at(idx, planted, 5),
        "ndcg@10": ndcg_at(idx, planted, 10),
        "coverage": coverage(idx),
        "reciprocity": reciprocity(inp, idx),
        "gini": gini(app),
        "max_appearances": float(app.max(initial=0)),
        "cap": float(np.max(capacity)) if capacity is not None else float("nan"),
        "never_suggested": float((app == 0).mean()),
        "estimate_slot_share": float(app[estimated].sum() / slots),
        "estimate_population_share": float(estimated.mean()),
        "median_km_no_coordinates": med_nc,
        "median_km_others": med_ot,
        "diverse_top5": diverse_top(inp, idx),
    }
