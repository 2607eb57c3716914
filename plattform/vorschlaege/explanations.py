"""German explanations for a whole run at once: matching.explain's texts, vectorised over all pairs.

`matching.explain.explain_pair` recomputes one pair from the full input (O(n) per call); a full run
stores ~114,000 suggestions, so this module computes the same components for all listed pairs with a
few array operations and reuses explain's sentence builders for the words. A test checks that both
produce identical texts and topic lists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from matching.engine import (
    _LN2,
    EARTH_RADIUS_KM,
    N_TYPES,
    MatchInput,
    MatchParams,
    _networks_csr,
    _vec,
    haversine_km,
)
from matching.explain import MAX_TOPICS, _context, _side
from matching.vocabulary import TOPIC_SLUGS


@dataclass
class PairTexts:
    """Explanations of the pairs (rows[p], cols[p]) from the row Kommune's point of view."""

    text_de: list[str]
    teaches_me: list[list[str]]
    learns_from_me: list[list[str]]
    distance_km: list[float | None]
    parts: list[dict]


def _top_topics(need: np.ndarray, strength: np.ndarray) -> list[list[str]]:
    """Per pair: topics where the learner needs and the teacher is strong, best first (explain._topics)."""
    gain = need * strength
    if gain.shape[1] == 0:
        return [[] for _ in range(gain.shape[0])]
    order = np.argsort(-gain, axis=1, kind="stable")[:, :MAX_TOPICS]  # ties: lower topic index first
    top = np.take_along_axis(gain, order, 1)
    slugs = TOPIC_SLUGS if gain.shape[1] == len(TOPIC_SLUGS) else [str(t) for t in range(gain.shape[1])]
    return [[slugs[t] for t, g in zip(o, v, strict=True) if g > 0] for o, v in zip(order, top, strict=True)]


def _r(x: float) -> float:
    """Six significant digits: enough to explain, small in JSON."""
    return float(f"{float(x):.6g}")


def explain_pairs(
    inp: MatchInput, rows: np.ndarray, cols: np.ndarray, names, params: MatchParams | None = None
) -> PairTexts:
    """Explanations of many pairs; equal to explain_pair(inp, i, j, names) for each (i, j)."""
    p = params or MatchParams()
    n = inp.n
    i = np.asarray(rows, dtype=np.int64)
    j = np.asarray(cols, dtype=np.int64)
    S_raw = np.nan_to_num(np.asarray(inp.strength, np.float64).reshape(n, -1))
    N_raw = np.nan_to_num(np.asarray(inp.need, np.float64).reshape(n, -1))
    S, N = np.clip(S_raw, 0, 3), np.clip(N_raw, 0, 3)

    need_sum = N.sum(1)

    def teach(a: np.ndarray, b: np.ndarray) -> np.ndarray:  # how much b can teach a
        tot = need_sum[a]
        dot = np.einsum("pt,pt->p", N[a], S[b])
        return np.divide(dot, 3 * tot, out=np.zeros_like(dot), where=tot > 0)

    t_in, t_out = teach(i, j), teach(j, i)
    mutual = np.sqrt(t_in * t_out)
    comp = p.w_mutual * mutual + p.w_in * t_in + p.w_out * t_out + p.base

    lat, lon = _vec(inp.lat, n, np.nan), _vec(inp.lon, n, np.nan)
    reach = _vec(inp.reach_km, n, p.default_reach_km)
    reach = np.maximum(np.where(np.isfinite(reach), reach, p.default_reach_km), p.min_reach_km)
    d = np.asarray(haversine_km(lat[i], lon[i], lat[j], lon[j]), dtype=np.float64)
    has_d = np.isfinite(d)
    chord = 2 * np.sin(np.where(has_d, d, 0.0) / (2 * EARTH_RADIUS_KM))
    dist = np.where(has_d, -_LN2 * (EARTH_RADIUS_KM * chord / reach[i]) ** 2, -_LN2)

    pop = _vec(inp.population, n, np.nan)
    pop_ok = np.isfinite(pop) & (pop > 0)
    lp = np.log10(np.where(pop_ok, pop, 1.0))
    both = pop_ok[i] & pop_ok[j]
    size = np.where(both, -p.size_weight / 2 * (lp[i] - lp[j]) ** 2, 0.0)
    kind = _vec(inp.kind, n, -1, np.int64)
    same_kind = (kind[i] >= 0) & (kind[i] == kind[j])
    tix = _vec(inp.type_idx, n, -1, np.int64)
    t_ok = (tix >= 0) & (tix < N_TYPES)
    type_comp = t_ok[i] & t_ok[j] & (tix[i] != tix[j])
    kreis = _vec(inp.kreis, n, -1, np.int64)
    same_kreis = (kreis[i] >= 0) & (kreis[i] == kreis[j])
    net = _networks_csr(inp.networks, n)
    if net is None:
        shared_net = np.zeros(len(i), bool)
    else:
        shared_net = np.asarray(net[i].multiply(net[j]).sum(1)).reshape(-1) > 0
    log_ctx = (
        dist
        + size
        + p.kind_bonus * same_kind
        + p.type_bonus * type_comp
        + p.kreis_bonus * same_kreis
        + p.network_bonus * shared_net
    )
    log_ctx = np.maximum(log_ctx, p.log_floor)
    ign = np.ones(len(i))
    if inp.ignored is not None and len(inp.ignored):
        pairs = np.asarray(inp.ignored, dtype=np.int64).reshape(-1, 2)
        f = np.ones(len(pairs)) if inp.ignored_factor is None else np.asarray(inp.ignored_factor, np.float64)
        f = np.clip(f, 1e-6, 1.0)
        best: dict[tuple[int, int], float] = {}
        for (a, b), v in zip(pairs.tolist(), f.tolist(), strict=True):
            best[(a, b)] = min(v, best.get((a, b), 1.0))
        ign = np.array([best.get((a, b), 1.0) for a, b in zip(i.tolist(), j.tolist(), strict=True)])
    score = comp * np.exp(log_ctx) * ign

    teaches_me = _top_topics(N_raw[i], S_raw[j])
    learns_from_me = _top_topics(N_raw[j], S_raw[i])
    texts, parts_out, dists = [], [], []
    dist_factor, size_factor, ctx_factor = np.exp(dist), np.exp(size), np.exp(log_ctx)
    for p_ in range(len(i)):
        dk = float(d[p_]) if has_d[p_] else None
        parts = {
            "distance_km": dk,
            "size_factor": float(size_factor[p_]),
            "has_size": bool(both[p_]),
            "same_kreis": bool(same_kreis[p_]),
            "shared_network": bool(shared_net[p_]),
            "type_complement": bool(type_comp[p_]),
        }
        me, other = names[i[p_]], names[j[p_]]
        texts.append(
            "; ".join([_side(me, other, teaches_me[p_], learns_from_me[p_]), *_context(parts)]) + "."
        )
        dists.append(dk)
        parts_out.append(
            {
                "teach_in": _r(t_in[p_]),
                "teach_out": _r(t_out[p_]),
                "mutual": _r(mutual[p_]),
                "comp": _r(comp[p_]),
                "distance_factor": _r(dist_factor[p_]),
                "size_factor": _r(size_factor[p_]),
                "same_kind": bool(same_kind[p_]),
                "type_complement": bool(type_comp[p_]),
                "same_kreis": bool(same_kreis[p_]),
                "shared_network": bool(shared_net[p_]),
                "context_factor": _r(ctx_factor[p_]),
                "ignored_factor": _r(ign[p_]),
                "score": _r(score[p_]) if math.isfinite(score[p_]) else None,
            }
        )
    return PairTexts(texts, teaches_me, learns_from_me, dists, parts_out)
