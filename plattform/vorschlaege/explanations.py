"""German explanations for a whole run at once: matching.explain's texts, vectorised over all pairs.

`matching.explain.explain_pair` recomputes one pair from the full input (O(n) per call); a full run
stores ~114,000 suggestions, so this module computes the same components for all listed pairs with a
few array operations and reuses explain's sentence builders for the words. A test checks that both
produce identical texts and topic lists.
"""

from __future__ import annotations

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
    count = (np.take_along_axis(gain, order, 1) > 0).sum(1)  # sorted descending: positives come first
    slugs = TOPIC_SLUGS if gain.shape[1] == len(TOPIC_SLUGS) else [str(t) for t in range(gain.shape[1])]
    names = np.array(slugs, dtype=object)[order].tolist()
    return [row[:c] for row, c in zip(names, count.tolist(), strict=True)]


def _sig(x: np.ndarray) -> list[float]:
    """Six significant digits, vectorised: enough to explain, small in JSON."""
    x = np.asarray(x, dtype=np.float64)
    ok = np.isfinite(x) & (np.abs(x) > 1e-200)  # below that, scaling would overflow; keep x as it is
    mag = np.floor(np.log10(np.abs(np.where(ok, x, 1.0))))
    scale = 10.0 ** (5 - mag)
    return np.where(ok, np.round(x * scale) / scale, x).tolist()


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
    texts, parts_out = [], []
    dist_factor, size_factor, ctx_factor = np.exp(dist), np.exp(size), np.exp(log_ctx)
    dists = [float(x) if ok else None for x, ok in zip(d.tolist(), has_d.tolist(), strict=True)]
    size_l, both_l = size_factor.tolist(), both.tolist()
    kreis_l, net_l, type_l = same_kreis.tolist(), shared_net.tolist(), type_comp.tolist()
    kind_l = same_kind.tolist()
    columns = zip(
        _sig(t_in),
        _sig(t_out),
        _sig(mutual),
        _sig(comp),
        _sig(dist_factor),
        _sig(size_factor),
        _sig(ctx_factor),
        _sig(ign),
        _sig(np.where(np.isfinite(score), score, 0.0)),
        strict=True,
    )
    for p_, (a, b, row) in enumerate(zip(i.tolist(), j.tolist(), columns, strict=True)):
        parts = {
            "distance_km": dists[p_],
            "size_factor": size_l[p_],
            "has_size": both_l[p_],
            "same_kreis": kreis_l[p_],
            "shared_network": net_l[p_],
            "type_complement": type_l[p_],
        }
        texts.append(
            "; ".join([_side(names[a], names[b], teaches_me[p_], learns_from_me[p_]), *_context(parts)]) + "."
        )
        parts_out.append(
            {
                "teach_in": row[0],
                "teach_out": row[1],
                "mutual": row[2],
                "comp": row[3],
                "distance_factor": row[4],
                "size_factor": row[5],
                "same_kind": kind_l[p_],
                "type_complement": type_l[p_],
                "same_kreis": kreis_l[p_],
                "shared_network": net_l[p_],
                "context_factor": row[6],
                "ignored_factor": row[7],
                "score": row[8],
            }
        )
    return PairTexts(texts, teaches_me, learns_from_me, dists, parts_out)
