"""Partner matching: who can learn what from whom, ranked with reciprocity, context and exposure.

Pure numpy/scipy; never imports Flask or SQLAlchemy. Arrays and dataclasses in, arrays and dataclasses out.

Score of candidate j in Kommune i's list (i = row, j = column)::

    S'_j = d_j·S_j, N'_i = d_i·N_i                 d = estimate_discount for a type-test estimate, else 1
    teach_in  = Σ_t N'_it·S'_jt / (3·Σ_t N_it)     how much j can teach i   (0..1)
    teach_out = Σ_t N'_jt·S'_it / (3·Σ_t N_jt)     how much i can teach j   (0..1)
    comp      = w_mutual·sqrt(teach_in·teach_out) + w_in·teach_in + w_out·teach_out + base
    distance  = -ln2·(R·chord_ij)²/(r_i·r_j)       both reaches count; unknown_distance_log if unknown
    context   = exp(max(log_floor, distance + size + kind + type + kreis + network))
    score     = comp · context · ignored_factor           (-inf for itself/excluded pairs)

The geometric mean is symmetric and zero unless both sides gain, so a mutual pair outranks a one-way
pair of the same size, while the smaller one-way terms keep mentoring visible where nothing mutual is
near. An estimate (strengths and needs only guessed from the type test) is scaled by the discount
before the products but normalised by its undiscounted need sum, so each estimated side of a pair
halves the teaching terms (at the default 0.5), and its capacity is its share of the slots.
All context terms are log-factors, so a block needs one small dense matrix product for them
(distance via the centred unit-vector expansion of the haversine chord, in float64) plus a sparse
Kreis/network bonus. Rows are processed in blocks; an N×N matrix never exists.

Full recompute: each row block is scored against one column tile at a time (the residue classes
j mod 8, about 1,400 columns, so every buffer stays in cache). Tile 0 also yields each row's top-k
threshold τ; every tile hands over only its cells ≥ τ, and one sort of packed (row, value, column)
keys picks the pool. Ties always go to the lower column index, and the scores do not depend on the
blocking (see Prepared), so a full recompute, Celery chord blocks and update_one agree exactly.

After the pools: a diversity step reorders each pool (diversify_pools: the next candidate covers
needs the earlier ones left open; a second Kommune with the same profile waits behind all distinct
ones), then the exposure step hands out slots under a hard capacity (apply_exposure), and rows whose
pool ran dry fetch deeper candidates from all columns (_fill_short). Stored scores are always the
scores above; only the order within a list follows the diversity step.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp

EARTH_RADIUS_KM = 6371.0088
KINDS: tuple[str, ...] = ("gemeinde", "stadt", "kreis")
KIND_CODES: dict[str, int] = {kind: code for code, kind in enumerate(KINDS)}
N_TYPES = 4
_LN2 = math.log(2.0)


@dataclass(frozen=True)
class MatchParams:
    """Weights and knobs of the score; defaults are the tuned values documented in docs/matching.md."""

    k: int = 10
    oversample: int = 3  # candidate pool per row = oversample·k, the room the exposure step works in
    w_mutual: float = 1.0
    w_in: float = 0.35  # j teaches i: what the officer of i came for
    w_out: float = 0.15  # i teaches j: mentoring, valued but less
    base: float = 0.02  # lets context rank Kommunen whose profile is still empty
    default_reach_km: float = 50.0
    min_reach_km: float = 5.0  # a reach below this (0 is refused at input) counts as 5 km: no division by 0
    size_weight: float = 0.5  # log-factor per squared decade of population difference, halved
    kind_bonus: float = 0.10
    kreis_bonus: float = 0.25
    network_bonus: float = 0.20
    type_bonus: float = 0.15
    log_floor: float = math.log(0.02)  # far beyond reach everything counts the same, ranked by comp
    # capacity = ceil(cap_factor·k) appearances in others' lists, a hard ceiling; None disables every cap
    cap_factor: float | None = 1.5
    # An estimated Kommune's strengths and needs (type test only) count this much (rounded to 1/16,
    # so the teaching products stay exact; 0.5: an estimate is a coin flip next to an entered level).
    estimate_discount: float = 0.5
    # capacity of an estimate-only Kommune: ceil(estimate_cap_factor·k), so it holds at most its share
    # of the slots (n Kommunen fill n·k slots) instead of the cap_factor·k of an entered profile
    estimate_cap_factor: float = 1.0
    diversity: float = 1.0  # weight of newly covered needs in the pool's reordering; 0 = score order
    # log-distance of a pair where either side has no coordinates: sinks (1 %), not the neutral -ln2
    unknown_distance_log: float = math.log(0.01)
    block_rows: int = 256
    workers: int = 2


@dataclass
class MatchInput:
    """Everything the engine needs about n Kommunen, as arrays aligned by row."""

    ags: list[str]
    strength: np.ndarray  # n×T float32, 0–3 (Stärken)
    need: np.ndarray  # n×T float32, 0–3 (Bedarfe)
    project: np.ndarray | None = None  # n×T, 0/1 or status weight; only used in explanations
    lat: np.ndarray | None = None  # n, degrees, NaN = unknown
    lon: np.ndarray | None = None
    population: np.ndarray | None = None  # n, ≤0 or NaN = unknown
    kind: np.ndarray | None = None  # n int, KIND_CODES, -1 unknown
    kreis: np.ndarray | None = None  # n int codes, -1 unknown
    networks: sp.csr_matrix | Sequence[np.ndarray] | None = None  # n×M membership or per-row id lists
    type_idx: np.ndarray | None = None  # n int, index into vocabulary.TYPES, -1 unknown
    reach_km: np.ndarray | None = None  # n, NaN = default reach
    exclude: np.ndarray | None = None  # m×2 int: existing partners, declined pairs (both directions)
    ignored: np.ndarray | None = None  # m×2 int (i, j): i was shown j and did nothing (directional)
    ignored_factor: np.ndarray | None = None  # m, factor in (0, 1], see ignore_factor()
    capacity: np.ndarray | None = None  # n int: how often each Kommune may be suggested; None = default
    estimated: np.ndarray | None = None  # n bool: strengths and needs are only the type-test estimate
    # n bool: the coordinates are an approximation (e.g. the Kreis centre, coordinates.fill_missing);
    # the engine uses them as coordinates and only passes the flag through
    coord_approx: np.ndarray | None = None

    @property
    def n(self) -> int:
        """Number of Kommunen."""
        return len(self.ags)


@dataclass
class MatchResult:
    """Top-k suggestions per Kommune plus the candidate pool the exposure step and updates reuse.

    Within a row the order is the list order (after the diversity step); `score` holds each pair's
    score, so it need not be descending. pool_idx/pool_score are the score-sorted pools.
    """

    idx: np.ndarray  # n×k int32, -1 padding
    score: np.ndarray  # n×k float32, -inf padding
    distance_km: np.ndarray  # n×k float32, NaN where unknown or padding
    pool_idx: np.ndarray  # n×m int32 best candidates before exposure, -1 padding
    pool_score: np.ndarray  # n×m float32
    params: MatchParams = field(default_factory=MatchParams)
    capacity: np.ndarray | None = None  # n int, the capacities the run was held to (None = uncapped)
    # the pools in diversified order (reused by update_one for the rows whose pool did not change)
    div_idx: np.ndarray | None = field(default=None, repr=False)
    div_score: np.ndarray | None = field(default=None, repr=False)

    def suggestions(self, i: int) -> list[tuple[int, float]]:
        """Kommune i's suggestions as (index, score), in list order, without padding."""
        return [(int(j), float(s)) for j, s in zip(self.idx[i], self.score[i], strict=True) if j >= 0]

    @property
    def appearances(self) -> np.ndarray:
        """How often each Kommune appears in the lists."""
        return appearances(self.idx, self.idx.shape[0])

    @property
    def max_appearances(self) -> int:
        """The most lists any one Kommune appears in (≤ its capacity, always)."""
        a = self.appearances
        return int(a.max()) if a.size else 0

    @property
    def gini(self) -> float:
        """Gini coefficient of the appearances (0 = evenly spread)."""
        return gini(self.appearances)


def ignore_factor(
    count: np.ndarray,
    days_since_shown: np.ndarray,
    rest_days: float = 56.0,
    per_ignore: float = 0.7,
    floor: float = 0.25,
) -> np.ndarray:
    """Sink factor of a suggestion that was shown `count` times without any reaction.

    Each ignore multiplies by per_ignore, never below floor; once the pair has not been shown for
    rest_days it recovers to 1.0 and may be shown again. Why these constants: after three ignores a
    suggestion keeps about a third of its score (0.7³ ≈ 0.34): a person who ignores a suggestion
    three times in a row has said no for now; 56 days (eight weeks) is a planning cycle of
    an administration, after which priorities and staff may have changed; the floor of 0.25 keeps a
    very strong partner findable (its score is then still a quarter, above most weak pairs) instead of
    burying it for good. Declined pairs are not ignores: they stay excluded (MatchInput.exclude).
    """
    count = np.maximum(np.asarray(count, dtype=np.float64), 0.0)
    days = np.asarray(days_since_shown, dtype=np.float64)
    factor = np.maximum(per_ignore**count, floor)
    factor = np.where(days >= rest_days, 1.0, factor)
    return np.clip(factor, 0.0, 1.0).astype(np.float32)


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km (NaN where a coordinate is unknown)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


# --------------------------------------------------------------------------------------------- prepare


@dataclass
class Prepared:
    """Per-run feature matrices, computed once in O(n·T) and shared by all blocks.

    Determinism: the two teaching products are taken on the 0–3 levels, an estimate's scaled by the
    estimate discount (rounded to a multiple of 1/16), so every entry is a multiple of 1/256 far below
    2^24 and exact in float32 whatever the BLAS kernel, block shape or summation order; the
    normalisations follow as single roundings. The context product runs in float64 (its distance
    terms cancel: |u_i|² + |u_j|² - 2u_i·u_j). A pair therefore gets the same float32 score in a
    full recompute, a chord block and an incremental update, and exact ties stay exact ties.

    The log-floor is folded in: the context features are shifted by -log_floor and halved, so the
    clamp max(x, 0) becomes x/2 + |x/2| (two of numpy's fastest passes; np.maximum is several
    times slower), and exp(log_floor) is folded into the teaching factors and the base. Halving is
    exact in binary floating point, so nothing changes but the speed.

    The context columns come in groups (ctx_groups: distance, size, kind, type); pair_terms takes
    the same features group by group, so the formula exists once.
    """

    n: int
    need: np.ndarray  # n×T float32, 0–3
    strength: np.ndarray  # n×T float32, 0–3
    in_fac: np.ndarray  # n: scale·w_in/(3·Σ_t N_it), 0 for an empty need row (row factor of teach_in)
    out_fac: np.ndarray  # n: scale·w_out/(3·Σ_t N_jt) (column factor of teach_out)
    base: np.float32  # scale·base
    mutual_sq: np.float32  # w_mutual²/(w_in·w_out): sqrt(mutual_sq·u·v) = scale·w_mutual·sqrt(in·out)
    clamp: bool  # context clamped at 0 (= log_floor before the shift); else the features are whole
    x_ctx: np.ndarray  # n×F float64 row features of the shifted (and, with clamp, halved) log-context
    y_ctx: np.ndarray  # n×F float64 column features
    kreis_1h: sp.csr_matrix | None
    net: sp.csr_matrix | None
    excl: sp.csr_matrix | None  # n×n, data 1
    ign: sp.csr_matrix | None  # n×n, data = log(ignored factor), float32
    params: MatchParams
    inv_need: np.ndarray  # n float64: 1/(3·Σ_t N_it) on the undiscounted needs, 0 for an empty row
    shift: float  # log_floor when clamping, else 0 (subtracted in the distance group's constant)
    ctx_groups: dict  # term name → slice of the x_ctx/y_ctx columns
    estimated: np.ndarray  # n bool
    topic_bits: tuple  # (strength bits, need bits): n×W uint64 masks of the topics with a level > 0
    profile_id: np.ndarray  # n int64: equal for identical (strength, need) rows, -1 for an empty profile
    _lazy: dict = field(default_factory=dict, repr=False)  # per-run structures of the full recompute
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


def _vec(x, n: int, default: float, dtype=np.float64) -> np.ndarray:
    """An input column as an array of length n, `default` where missing."""
    if x is None:
        return np.full(n, default, dtype=dtype)
    arr = np.asarray(x, dtype=dtype).reshape(-1)
    if arr.shape[0] != n:
        raise ValueError(f"expected {n} values, got {arr.shape[0]}")
    return arr


def _onehot(codes: np.ndarray, width: int) -> np.ndarray:
    """One-hot rows; codes outside 0..width-1 (unknown) give an all-zero, i.e. neutral, row."""
    out = np.zeros((codes.shape[0], width), dtype=np.float64)
    ok = (codes >= 0) & (codes < width)
    out[np.nonzero(ok)[0], codes[ok]] = 1.0
    return out


def _pairs_csr(pairs, n: int, data=None, symmetric: bool = False) -> sp.csr_matrix | None:
    """Pair list → sparse n×n lookup (duplicates keep the smallest weight for ignores)."""
    if pairs is None or len(pairs) == 0:
        return None
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    ok = (pairs >= 0).all(1) & (pairs < n).all(1)
    pairs = pairs[ok]
    vals = np.ones(len(pairs)) if data is None else np.asarray(data, dtype=np.float64)[ok]
    r, c = pairs[:, 0], pairs[:, 1]
    if symmetric:
        r, c, vals = np.concatenate([r, c]), np.concatenate([c, r]), np.concatenate([vals, vals])
    if data is not None:
        # keep one entry per pair (the strongest sink) instead of summing duplicates
        key = r * n + c
        order = np.lexsort((vals, key))
        first = np.ones(len(order), dtype=bool)
        first[1:] = key[order][1:] != key[order][:-1]
        sel = order[first]
        r, c, vals = r[sel], c[sel], vals[sel]
    m = sp.csr_matrix((vals, (r, c)), shape=(n, n))
    if data is None:
        m.data[:] = 1.0
    return m


def _networks_csr(networks, n: int) -> sp.csr_matrix | None:
    """Network membership as a CSR n×M 0/1 matrix."""
    if networks is None:
        return None
    if sp.issparse(networks):
        m = sp.csr_matrix(networks, dtype=np.float32)
    else:
        rows = [np.full(len(ids), r) for r, ids in enumerate(networks)]
        cols = [np.asarray(ids, dtype=np.int64) for ids in networks]
        if len(networks) != n:
            raise ValueError("networks must have one entry per Kommune")
        r = np.concatenate(rows) if rows else np.zeros(0, np.int64)
        c = np.concatenate(cols) if cols else np.zeros(0, np.int64)
        width = int(c.max()) + 1 if c.size else 1
        m = sp.csr_matrix((np.ones(len(r), np.float32), (r, c)), shape=(n, width))
    m.sum_duplicates()
    m.data[:] = 1.0
    return m if m.nnz else None


_MIN_SHIFTED_FLOOR = -60.0  # below this exp(log_floor) underflows the folded factors: no clamp then


def prepare(inp: MatchInput, params: MatchParams | None = None) -> Prepared:
    """Validate the input and build the row/column feature matrices of the score."""
    p = params or MatchParams()
    n = inp.n
    S = np.nan_to_num(np.asarray(inp.strength, dtype=np.float32).reshape(n, -1), nan=0.0)
    N = np.nan_to_num(np.asarray(inp.need, dtype=np.float32).reshape(n, -1), nan=0.0)
    if S.shape != N.shape:
        raise ValueError("strength and need must have the same shape")
    S, N = np.clip(S, 0, 3), np.clip(N, 0, 3)
    need_sum = N.astype(np.float64).sum(1)
    # teach_in(i,j) = N'_i·S'_j / (3·ΣN_i); an empty need row simply learns nothing (0, not NaN)
    inv = np.divide(1.0, 3.0 * need_sum, out=np.zeros_like(need_sum), where=need_sum > 0)
    topic_bits = (_bits(S > 0), _bits(N > 0))
    profile_id = _profile_ids(S, N)
    est = _vec(inp.estimated, n, 0.0).astype(bool) if inp.estimated is not None else np.zeros(n, bool)
    if est.any():
        d = np.float32(round(min(max(p.estimate_discount, 0.0), 1.0) * 16) / 16)
        S, N = S.copy(), N.copy()
        S[est] *= d
        N[est] *= d
    clamp = bool(math.isfinite(p.log_floor) and p.log_floor >= _MIN_SHIFTED_FLOOR)
    shift = p.log_floor if clamp else 0.0
    scale = math.exp(shift)

    # ---- log-context features: distance, size, kind, type (dense); Kreis and networks stay sparse
    lat = _vec(inp.lat, n, np.nan)
    lon = _vec(inp.lon, n, np.nan)
    has = np.isfinite(lat) & np.isfinite(lon)
    reach = _vec(inp.reach_km, n, p.default_reach_km)
    reach = np.where(np.isfinite(reach), reach, p.default_reach_km)
    reach = np.maximum(reach, p.min_reach_km)
    phi, lam = np.radians(np.where(has, lat, 0.0)), np.radians(np.where(has, lon, 0.0))
    u = np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)], 1)
    # centring keeps the cancelling terms small: |u_i-u_j|² from small numbers, not from ~1
    centre = u[has].mean(0) if has.any() else np.zeros(3)
    uc = np.where(has[:, None], u - centre, 0.0)
    sq = (uc**2).sum(1)
    # dist = -ln2·R²·chord²/(r_i·r_j) (0.5 where the distance is the geometric mean of both reaches),
    # separable with a_i = sqrt(ln2)·R/r_i: x_i = a_i·[2uc_i, -|uc_i|², -1], y_j = a_j·[uc_j, 1, |uc_j|²].
    # Unknown coordinates on either side give unknown_distance_log = c: a constant column c (with the
    # -log_floor shift) and -c·has_i·has_j, while the geometric part is 0 for a side without them.
    a = np.where(has, math.sqrt(_LN2) * EARTH_RADIUS_KM / reach, 0.0)
    c_unknown = float(p.unknown_distance_log)
    x_dist = np.column_stack(
        [2 * a[:, None] * uc, -a * sq, -a, np.full(n, c_unknown - shift), -c_unknown * has]
    )
    y_dist = np.column_stack([a[:, None] * uc, a, a * sq, np.ones(n), has.astype(float)])

    pop = _vec(inp.population, n, np.nan)
    lp = np.where(np.isfinite(pop) & (pop > 0), np.log10(np.where(pop > 0, pop, 1.0)), np.nan)
    ok = np.isfinite(lp)
    lp0 = np.where(ok, lp, 0.0)
    w = p.size_weight
    # -w/2·(lp_i - lp_j)²; unknown size on either side gives 0 (neutral)
    x_size = np.column_stack([np.where(ok, -w / 2 * lp0**2, 0.0), w * lp0, np.where(ok, -w / 2, 0.0)])
    y_size = np.column_stack([ok.astype(float), lp0, np.where(ok, lp0**2, 0.0)])
    x_size[~ok] = 0.0

    kind = _vec(inp.kind, n, -1, np.int64)
    k1h = _onehot(kind, len(KINDS))
    tix = _vec(inp.type_idx, n, -1, np.int64)
    t1h = _onehot(tix, N_TYPES)
    type_m = p.type_bonus * (1.0 - np.eye(N_TYPES))  # the study's "D-Team": differing types complement

    parts = {"distance": x_dist, "size": x_size, "kind": p.kind_bonus * k1h, "type": t1h @ type_m}
    groups, at = {}, 0
    for name, part in parts.items():
        groups[name] = slice(at, at + part.shape[1])
        at += part.shape[1]
    x_ctx = np.column_stack(list(parts.values()))
    x_ctx = np.ascontiguousarray(x_ctx * (0.5 if clamp else 1.0))
    y_ctx = np.ascontiguousarray(np.column_stack([y_dist, y_size, k1h, t1h]))

    kreis = _vec(inp.kreis, n, -1, np.int64)
    kreis_1h = None
    if (kreis >= 0).any():
        rows = np.nonzero(kreis >= 0)[0]
        kreis_1h = sp.csr_matrix(
            (np.ones(len(rows), np.float32), (rows, kreis[rows])), shape=(n, int(kreis.max()) + 1)
        )

    ign = None
    if inp.ignored is not None and len(inp.ignored):
        f = np.ones(len(inp.ignored)) if inp.ignored_factor is None else inp.ignored_factor
        f = np.clip(np.asarray(f, dtype=np.float64), 1e-6, 1.0)
        ign = _pairs_csr(inp.ignored, n, data=np.log(f))
        ign.data = ign.data.astype(np.float32)

    wi, wo = max(p.w_in, 1e-6), max(p.w_out, 1e-6)
    return Prepared(
        n=n,
        need=np.ascontiguousarray(N, dtype=np.float32),
        strength=np.ascontiguousarray(S, dtype=np.float32),
        in_fac=(scale * wi * inv).astype(np.float32),
        out_fac=(scale * wo * inv).astype(np.float32),
        base=np.float32(scale * p.base),
        mutual_sq=np.float32(p.w_mutual**2 / (wi * wo)),
        clamp=clamp,
        x_ctx=x_ctx,
        y_ctx=y_ctx,
        kreis_1h=kreis_1h,
        net=_networks_csr(inp.networks, n),
        excl=_pairs_csr(inp.exclude, n, symmetric=True),
        ign=ign,
        params=p,
        inv_need=inv,
        shift=shift,
        ctx_groups=groups,
        estimated=est,
        topic_bits=topic_bits,
        profile_id=profile_id,
    )


def _bits(mask: np.ndarray) -> np.ndarray:
    """n×T bool → n×W uint64 bit masks (64 topics per word)."""
    n, t = mask.shape
    w = max(1, -(-t // 64))
    out = np.zeros((n, w), np.uint64)
    for word in range(w):
        part = mask[:, word * 64 : (word + 1) * 64]
        weights = np.left_shift(np.uint64(1), np.arange(part.shape[1], dtype=np.uint64))
        out[:, word] = (part.astype(np.uint64) * weights).sum(1, dtype=np.uint64)
    return out


def _profile_ids(S: np.ndarray, N: np.ndarray) -> np.ndarray:
    """Equal ids for identical (strength, need) rows; -1 for an empty profile (nothing to repeat).

    Whole levels 0–3 are packed two bits per topic into uint64 words and sorted as keys (fast); other
    levels fall back to comparing the float rows."""
    n = S.shape[0]
    if n == 0:
        return np.zeros(0, np.int64)
    both = np.hstack([S, N]).astype(np.float32)
    empty = ~(both != 0).any(1)
    whole = both.astype(np.uint8)
    if np.array_equal(whole, both) and whole.max(initial=0) <= 3:
        width = whole.shape[1]
        words = []
        for w0 in range(0, width, 32):
            part = whole[:, w0 : w0 + 32].astype(np.uint64)
            shifts = (2 * np.arange(part.shape[1])).astype(np.uint64)
            words.append((part << shifts).sum(1, dtype=np.uint64))
        keys = np.column_stack(words)
        order = np.lexsort(keys.T[::-1])
        sk = keys[order]
        new = np.ones(n, bool)
        new[1:] = (sk[1:] != sk[:-1]).any(1)
        ids = np.empty(n, np.int64)
        ids[order] = np.cumsum(new) - 1
    else:
        _, ids = np.unique(np.ascontiguousarray(both), axis=0, return_inverse=True)
        ids = ids.reshape(-1).astype(np.int64)
    ids[empty] = -1
    return ids


# ------------------------------------------------------------------------------------------ scoring

# The full Kreis/network bonus matrix (n×n, symmetric) is built once per full recompute when its
# size stays moderate (every Kreis ~100 members → ~1M entries); a huge network falls back to
# per-block sparse products, which give the same values.
_BONUS_MAX_NNZ = 20_000_000
# Column tiles of the full recompute: the residue classes j mod 8. Class 0 is scored first and is
# the sample for the top-k threshold, so the whole row never has to be kept.
_TILES = 8


def _rows(rows, n: int) -> np.ndarray:
    """Slice or index array → int64 index array."""
    if isinstance(rows, slice):
        return np.arange(n)[rows]
    return np.asarray(rows, dtype=np.int64).reshape(-1)


def _bonus_values(prep: Prepared, rows, cols) -> sp.csr_matrix | None:
    """Kreis/network log-bonus of rows × cols as float64 CSR (membership counted once; halved
    like the context features when clamping)."""
    p = prep.params
    out = None
    for m, weight in ((prep.kreis_1h, p.kreis_bonus), (prep.net, p.network_bonus)):
        if m is None or weight == 0:
            continue
        mc = m if cols is None else m[cols]
        prod = (m[rows] @ mc.T).tocsr()
        prod.sum_duplicates()
        prod.data = np.full(prod.data.shape, weight * (0.5 if prep.clamp else 1.0), np.float64)
        out = prod if out is None else out + prod
    if out is None:
        return None
    out = out.tocsr()
    out.sum_duplicates()
    out.eliminate_zeros()
    return out if out.nnz else None


@dataclass
class _Cols:
    """Column side of one tile, laid out for BLAS (T×w and F×w)."""

    idx: np.ndarray | None  # the tile's column indices; None = all columns in order
    strength_t: np.ndarray
    need_t: np.ndarray
    out_fac: np.ndarray
    y_t: np.ndarray

    @property
    def width(self) -> int:
        """Number of columns."""
        return self.out_fac.shape[0]


def _cols(prep: Prepared, cols) -> _Cols:
    """Column data for all columns (cols None, no copy) or for an index array."""
    if cols is None:
        return _Cols(None, prep.strength.T, prep.need.T, prep.out_fac, prep.y_ctx.T)
    c = np.asarray(cols, dtype=np.int64).reshape(-1)
    return _Cols(
        c,
        np.ascontiguousarray(prep.strength[c].T),
        np.ascontiguousarray(prep.need[c].T),
        prep.out_fac[c],
        np.ascontiguousarray(prep.y_ctx[c].T),
    )


@dataclass
class _Sparse:
    """Sparse terms of one tile as flat positions (row·w + col) into its b×w buffers."""

    bonus_pos: np.ndarray | None = None
    bonus_val: np.ndarray | None = None  # float64, added before the clamp
    ign_pos: np.ndarray | None = None
    ign_val: np.ndarray | None = None  # float32, added after the clamp
    excl_pos: np.ndarray | None = None  # set to -inf (itself, partners, declined)


_local = threading.local()


def _buffers(size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """This thread's flat scratch buffers (three float32, one float64), grown on demand."""
    bufs = getattr(_local, "bufs", None)
    if bufs is None or bufs[0].size < size:
        bufs = _local.bufs = (
            np.empty(size, np.float32),
            np.empty(size, np.float32),
            np.empty(size, np.float64),
            np.empty(size, np.float32),
        )
    return bufs


def _tile_scores(prep: Prepared, rows, cols: _Cols, sparse: _Sparse, out: np.ndarray | None = None):
    """Scores of rows × one tile of columns, float32, into `out` (b×w, C-contiguous) or a buffer.

    Every path (full recompute tiles, chord blocks, the single row and column of an update) runs
    these steps in this order, so the same pair always gets the same float32 value.
    """
    in_fac = prep.in_fac[rows]
    b, w = in_fac.shape[0], cols.width
    f1, f2, f64, f3 = _buffers(b * w)
    a = f1[: b * w].reshape(b, w)
    v = f2[: b * w].reshape(b, w)
    t64 = f64[: b * w].reshape(b, w)
    if out is None:
        out = f3[: b * w].reshape(b, w)
    # teach_in·scale·w_in and teach_out·scale·w_out from exact integer products
    np.matmul(prep.need[rows], cols.strength_t, out=a)
    np.matmul(prep.strength[rows], cols.need_t, out=v)
    a *= in_fac[:, None]
    v *= cols.out_fac
    g = out  # scratch (mutual term, |ctx|) until the final product
    np.multiply(a, v, out=g)
    g *= prep.mutual_sq
    np.sqrt(g, out=g)
    a += v
    a += g
    a += prep.base

    np.matmul(prep.x_ctx[rows], cols.y_t, out=t64)
    if sparse.bonus_pos is not None:
        t64.reshape(-1)[sparse.bonus_pos] += sparse.bonus_val
    ctx = v
    np.copyto(ctx, t64, casting="same_kind")
    if prep.clamp:  # ctx holds x/2: max(x, 0) = x/2 + |x/2|
        np.abs(ctx, out=out)
        ctx += out
    if sparse.ign_pos is not None:
        ctx.reshape(-1)[sparse.ign_pos] += sparse.ign_val
    np.exp(ctx, out=ctx)
    np.multiply(a, ctx, out=out)
    if sparse.excl_pos is not None:
        out.reshape(-1)[sparse.excl_pos] = -np.inf
    return out


def _coo_pos(m: sp.spmatrix | None, width: int):
    """Flat positions and values of a sparse block (unique entries)."""
    if m is None or m.nnz == 0:
        return None, None
    m = m.tocoo()
    return m.row.astype(np.int64) * width + m.col, m.data


def score_dense(prep: Prepared, rows, cols: np.ndarray | None = None, work=None) -> np.ndarray:
    """Scores of rows × cols (all columns by default) as a dense float32 block; -inf = not allowed.

    `work` is accepted for compatibility and ignored (buffers are per thread). The result is a
    fresh array.
    """
    n = prep.n
    r = _rows(rows, n)
    b = r.size
    cd = _cols(prep, cols)
    w = cd.width
    c = np.arange(n) if cols is None else cd.idx
    sparse = _Sparse()
    bonus = _bonus_values(prep, r, None if cols is None else c)
    sparse.bonus_pos, sparse.bonus_val = _coo_pos(bonus, w)
    if prep.ign is not None:
        sparse.ign_pos, sparse.ign_val = _coo_pos(prep.ign[r] if cols is None else prep.ign[r][:, c], w)
    if cols is None:
        excl = [np.arange(b, dtype=np.int64) * w + r]
    else:
        hr, hc = np.nonzero(r[:, None] == c[None, :])
        excl = [hr.astype(np.int64) * w + hc]
    if prep.excl is not None:
        pos, _ = _coo_pos(prep.excl[r] if cols is None else prep.excl[r][:, c], w)
        if pos is not None:
            excl.append(pos)
    sparse.excl_pos = np.concatenate(excl)
    out = np.empty((b, w), np.float32)
    if b and w:
        _tile_scores(prep, r, cd, sparse, out)
    return out


# ------------------------------------------------------------------------------------------- top-k


def _desc_keys(vals: np.ndarray, cols: np.ndarray, col_bits: int) -> np.ndarray:
    """uint64 keys that sort by value descending, then column ascending (NaN counts as -inf)."""
    v = np.where(np.isnan(vals), np.float32(-np.inf), vals).astype(np.float32) + np.float32(0.0)
    bits = v.view(np.int32)
    # IEEE order as signed ints: flip the magnitude bits of negatives; then negate for descending
    asc = bits ^ ((bits >> 31) & np.int32(0x7FFFFFFF))
    desc = (~asc).view(np.uint32) ^ np.uint32(0x80000000)
    return (desc.astype(np.uint64) << np.uint64(col_bits)) | cols.astype(np.uint64)


def _pick(keys: np.ndarray, counts: np.ndarray, kk: int, col_bits: int):
    """From sorted (row, value desc, column) keys: the first kk columns and values per row, valid."""
    starts = np.cumsum(counts) - counts
    take = starts[:, None] + np.arange(kk)[None, :]
    valid = np.arange(kk)[None, :] < counts[:, None]
    picked = keys[np.minimum(take, max(keys.size - 1, 0))] if keys.size else np.zeros(take.shape, np.uint64)
    cols = (picked & np.uint64((1 << col_bits) - 1)).astype(np.int64)
    cols[~valid] = 0
    vals = _key_values(((picked >> np.uint64(col_bits)) & np.uint64(0xFFFFFFFF)).astype(np.uint32))
    return cols, vals, valid


def _key_values(desc: np.ndarray) -> np.ndarray:
    """The float32 values back from the value part of _desc_keys (it is a bijection)."""
    asc = ~(desc ^ np.uint32(0x80000000)).view(np.int32)
    return (asc ^ ((asc >> 31) & np.int32(0x7FFFFFFF))).view(np.float32)


def _topk_exact(m: np.ndarray, kk: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top kk per row by a per-row partition and sort of (value desc, column asc) keys."""
    b, n = m.shape
    col_bits = max(1, (n - 1).bit_length())
    keys = _desc_keys(m.reshape(-1), np.tile(np.arange(n, dtype=np.int64), b), col_bits).reshape(b, n)
    if kk < n:
        keys = np.partition(keys, kk - 1, axis=1)[:, :kk]
    keys = np.sort(keys, axis=1)
    cols = (keys & np.uint64((1 << col_bits) - 1)).astype(np.int64)
    return _result(m[np.arange(b)[:, None], cols], cols, np.ones(cols.shape, bool), k)


def _result(val: np.ndarray, cols: np.ndarray, valid: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(b×k idx int32, score float32): -inf and invalid → -1 / -inf, padded to k."""
    val = np.asarray(val, dtype=np.float32).copy()
    idx = cols.astype(np.int32)
    bad = ~valid | ~np.isfinite(val)
    idx[bad] = -1
    val[bad] = -np.inf
    if idx.shape[1] < k:
        extra = k - idx.shape[1]
        idx = np.pad(idx, ((0, 0), (0, extra)), constant_values=-1)
        val = np.pad(val, ((0, 0), (0, extra)), constant_values=-np.inf)
    return idx, val


def _threshold(sample: np.ndarray, kk: int) -> tuple[np.ndarray, np.ndarray]:
    """τ = the kk-th largest of each row's sample (a lower bound of the row's kk-th largest), and
    the rows to hand to the exact path: τ tied across a quarter of the sample (an empty profile
    far from everyone: thousands of equal scores), τ = -inf (almost everything excluded) or NaN.
    Fewer ties simply come along as candidates; the key sort orders them by column."""
    srt = np.sort(sample, axis=1)
    w = srt.shape[1]
    tau = srt[:, w - kk]
    span = max(w // 4, 2 * kk)
    hard = ~np.isfinite(tau)
    if w - kk - span >= 0:  # sorted: equal at both ends of the span means tied all along it
        hard |= srt[:, w - kk - span] == tau
    return tau, hard


def _topk_rows(m: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-row k largest (index, value), best first; ties broken by lower index; -inf → -1.

    The k-th largest of every 8th column is a lower bound τ of the row's k-th largest, so the few
    cells ≥ τ (≈ 8k per row) hold the top k: one comparison pass, one extraction, then one sort of
    (row, value desc, column) keys among those candidates. Rows with many exact ties at τ go to
    an exact per-row sort.
    """
    b, n = m.shape
    kk = min(k, n)
    if kk == 0 or b == 0:
        return np.full((b, k), -1, np.int32), np.full((b, k), -np.inf, np.float32)
    col_bits = max(1, (n - 1).bit_length())
    row_bits = max(1, (b - 1).bit_length())
    if col_bits + row_bits + 32 > 64:
        if b > 1:  # split rows until the keys fit
            half = b // 2
            a, c = _topk_rows(m[:half], k), _topk_rows(m[half:], k)
            return np.concatenate([a[0], c[0]]), np.concatenate([a[1], c[1]])
        return _topk_exact(m, kk, k)
    if n < 4 * kk * _TILES or n <= 2048:
        return _topk_exact(m, kk, k)
    tau, hard = _threshold(m[:, ::_TILES], kk)
    tau = np.where(hard, np.float32(np.inf), tau)
    flat = np.flatnonzero(m >= tau[:, None])
    r, c = np.divmod(flat, n)
    keys = np.sort(
        (r.astype(np.uint64) << np.uint64(32 + col_bits)) | _desc_keys(m.reshape(-1)[flat], c, col_bits)
    )
    cols, vals, valid = _pick(keys, np.bincount(r, minlength=b), kk, col_bits)
    idx, val = _result(vals, cols, valid, k)
    hr = np.flatnonzero(hard)
    if hr.size:
        idx[hr], val[hr] = _topk_exact(m[hr], kk, k)
    return idx, val


def _pool_size(p: MatchParams) -> int:
    return max(p.k, p.k * max(p.oversample, 1))


# ------------------------------------------------------------------------------ full-recompute path


def _full_structures(prep: Prepared) -> dict | None:
    """Per-run column tiles and sparse-term offsets of the full recompute, built once, shared by
    the worker threads; None where the fused path does not apply (small n)."""
    lazy = prep._lazy
    if "tiles" in lazy:
        return lazy["tiles"]
    with prep._lock:
        if "tiles" in lazy:
            return lazy["tiles"]
        n = prep.n
        kk = min(_pool_size(prep.params), n)
        col_bits = max(1, (n - 1).bit_length())
        if n < 4 * kk * _TILES or n <= 2048 or col_bits + 32 + 16 > 64:
            lazy["tiles"] = None
            return None
        tiles = [_cols(prep, np.arange(t, n, _TILES)) for t in range(_TILES)]
        bonus = None
        est = 0
        for m in (prep.kreis_1h, prep.net):
            if m is not None:
                sizes = np.asarray(m.sum(0)).reshape(-1).astype(np.int64)
                est += int((sizes**2).sum())
        if est <= _BONUS_MAX_NNZ:
            bm = _bonus_values(prep, slice(None), None)
            if bm is not None:
                bonus = _csr_tiles(bm)
        lazy["tiles"] = {"cols": tiles, "bonus": bonus, "bonus_exact": est <= _BONUS_MAX_NNZ}
        return lazy["tiles"]


def _csr_tiles(m: sp.csr_matrix) -> list[tuple]:
    """Split a CSR by column residue class: per tile (indptr, row, column within tile, value)."""
    m = m.tocsr()
    m.sort_indices()
    row = np.repeat(np.arange(m.shape[0], dtype=np.int64), np.diff(m.indptr))
    col = m.indices.astype(np.int64)
    res = col % _TILES
    out = []
    for t in range(_TILES):
        sel = res == t
        r = row[sel]
        indptr = np.zeros(m.shape[0] + 1, np.int64)
        np.cumsum(np.bincount(r, minlength=m.shape[0]), out=indptr[1:])
        out.append((indptr, r, col[sel] // _TILES, m.data[sel]))
    return out


def _tile_part(part: tuple, r0: int, r1: int, off: int, w: int):
    """Flat positions and values of the entries of rows r0..r1 (minus off) in one tile."""
    indptr, row, lc, val = part
    s, e = indptr[r0], indptr[r1]
    if e == s:
        return None, None
    return (row[s:e] - off) * w + lc[s:e], val[s:e]


def _block_sparse(prep: Prepared, st: dict, r0: int, r1: int) -> list[_Sparse]:
    """The sparse terms of rows r0..r1 split into the column tiles."""
    widths = [c.width for c in st["cols"]]
    sps = [_Sparse() for _ in widths]
    b = r1 - r0
    bonus, ro, off = st["bonus"], (r0, r1), r0
    if bonus is None and not st["bonus_exact"]:  # too large to keep: this block's part only
        bm = _bonus_values(prep, slice(r0, r1), None)
        bonus, ro, off = (_csr_tiles(bm) if bm is not None else None), (0, b), 0
    for t, w in enumerate(widths):
        if bonus is not None:
            sps[t].bonus_pos, sps[t].bonus_val = _tile_part(bonus[t], *ro, off, w)
        own = np.arange(r0 + (t - r0) % _TILES, r1, _TILES, dtype=np.int64)  # itself: j = i
        sps[t].excl_pos = (own - r0) * w + own // _TILES
    for m, kind in ((prep.ign, "ign"), (prep.excl, "excl")):
        if m is None:
            continue
        parts = _csr_tiles(m[r0:r1])
        for t, w in enumerate(widths):
            pos, val = _tile_part(parts[t], 0, b, 0, w)
            if pos is None:
                continue
            if kind == "ign":
                sps[t].ign_pos, sps[t].ign_val = pos, val
            else:
                sps[t].excl_pos = np.concatenate([sps[t].excl_pos, pos])
    return sps


def _pool_block_tiled(prep: Prepared, st: dict, r0: int, r1: int) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pool of contiguous rows r0..r1, tile by tile, without ever holding a whole row.

    Tile 0 (every 8th column) gives the threshold τ; each tile then hands over only its cells ≥ τ.
    """
    n, b = prep.n, r1 - r0
    k = _pool_size(prep.params)
    kk = min(k, n)
    rows = slice(r0, r1)
    sps = _block_sparse(prep, st, r0, r1)
    rs, cs, vs = [], [], []
    tau = None
    hard = None
    for t, cols in enumerate(st["cols"]):
        tile = _tile_scores(prep, rows, cols, sps[t])
        if t == 0:
            tau, hard = _threshold(tile, kk)
            tau = np.where(hard, np.float32(np.inf), tau)[:, None]
        flat = np.flatnonzero(tile >= tau)
        r, lc = np.divmod(flat, cols.width)
        rs.append(r)
        cs.append(lc * _TILES + t)
        vs.append(tile.reshape(-1)[flat])
    r, c, v = np.concatenate(rs), np.concatenate(cs), np.concatenate(vs)
    col_bits = max(1, (n - 1).bit_length())
    keys = np.sort((r.astype(np.uint64) << np.uint64(32 + col_bits)) | _desc_keys(v, c, col_bits))
    cols_sel, val, valid = _pick(keys, np.bincount(r, minlength=b), kk, col_bits)
    idx, val = _result(val, cols_sel, valid, k)
    hr = np.flatnonzero(hard)
    if hr.size:  # rare: rows with mass ties at τ, exactly by the generic path (same values)
        idx[hr], val[hr] = _topk_rows(score_dense(prep, r0 + hr), k)
    return idx, val


def _score_block_prepared(prep: Prepared, rows) -> tuple[np.ndarray, np.ndarray]:
    """Pool for one row block: a slice of contiguous rows takes the tiled path, others the dense."""
    if isinstance(rows, slice):
        r0, r1, _ = rows.indices(prep.n)
        st = _full_structures(prep)
        if st is not None and 0 < r1 - r0 <= 1 << 16:
            return _pool_block_tiled(prep, st, r0, r1)
        rows = np.arange(r0, r1)
    return _topk_rows(score_dense(prep, rows), _pool_size(prep.params))


def score_block(
    inp: MatchInput | Prepared, rows: slice | np.ndarray, params: MatchParams | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pool (idx, score) for some rows: one Celery chord task's work, merged by merge_blocks."""
    prep = inp if isinstance(inp, Prepared) else prepare(inp, params)
    r = _rows(rows, prep.n)
    pool = _pool_size(prep.params)
    idx = np.empty((r.size, pool), np.int32)
    val = np.empty((r.size, pool), np.float32)
    step = prep.params.block_rows
    for s in range(0, r.size, step):
        part = r[s : s + step]
        # a run of consecutive rows takes the tiled path
        run = part.size > 0 and bool(np.all(np.diff(part) == 1))
        sel = slice(int(part[0]), int(part[-1]) + 1) if run else part
        idx[s : s + step], val[s : s + step] = _score_block_prepared(prep, sel)
    return idx, val


def merge_blocks(
    n: int, blocks: Sequence[tuple[slice | np.ndarray, np.ndarray, np.ndarray]]
) -> tuple[np.ndarray, np.ndarray]:
    """Assemble (rows, idx, score) block results into full n-row pools; missing rows stay padding."""
    width = max((b[1].shape[1] for b in blocks), default=0)
    idx = np.full((n, width), -1, np.int32)
    val = np.full((n, width), -np.inf, np.float32)
    for rows, bi, bv in blocks:
        r = _rows(rows, n)
        idx[r, : bi.shape[1]] = bi
        val[r, : bv.shape[1]] = bv
    return idx, val


def _full_pool(prep: Prepared) -> tuple[np.ndarray, np.ndarray]:
    """All rows' candidate pools, row blocks spread over threads (numpy releases the GIL)."""
    n, p = prep.n, prep.params
    blocks = [slice(s, min(s + p.block_rows, n)) for s in range(0, n, p.block_rows)]
    _full_structures(prep)  # build the shared tiles once, before the threads start
    if p.workers <= 1 or len(blocks) <= 1:
        results = [_score_block_prepared(prep, b) for b in blocks]
    else:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
            threadpool_limits = None
        # one BLAS thread per worker: the workers already fill the cores
        if threadpool_limits is not None:
            with threadpool_limits(1, user_api="blas"), ThreadPoolExecutor(p.workers) as ex:
                results = list(ex.map(lambda b: _score_block_prepared(prep, b), blocks))
        else:
            with ThreadPoolExecutor(p.workers) as ex:
                results = list(ex.map(lambda b: _score_block_prepared(prep, b), blocks))
    return merge_blocks(n, [(b, i, v) for b, (i, v) in zip(blocks, results, strict=True)])


# ----------------------------------------------------------------------------------------- exposure


def capacities(inp: MatchInput, params: MatchParams) -> np.ndarray | None:
    """How often each Kommune may appear in others' lists (None = unlimited, only with cap_factor None).

    Default ceil(cap_factor·k); an estimate-only Kommune at most ceil(estimate_cap_factor·k), its
    share of the slots. An explicit MatchInput.capacity replaces the default (estimates still capped).
    """
    n, k = inp.n, params.k
    if inp.capacity is not None:
        cap = np.asarray(inp.capacity, dtype=np.int64).reshape(-1).copy()
    elif params.cap_factor is None:
        return None
    else:
        cap = np.full(n, max(1, math.ceil(params.cap_factor * k)), np.int64)
    if inp.estimated is not None:
        est = np.asarray(inp.estimated, dtype=bool).reshape(-1)
        cap[est] = np.minimum(cap[est], max(1, math.ceil(params.estimate_cap_factor * k)))
    return np.maximum(cap, 0)


def diversify_pools(prep: Prepared, pool_idx: np.ndarray, pool_score: np.ndarray, rows=None):
    """Reorder each row's pool greedily (maximal marginal relevance over the taught topics).

    Step by step, the next candidate maximises score·(1 + diversity·novelty), novelty = the share of
    row i's still uncovered needs that the candidate's strengths cover (0 once all are covered, or
    for a row without needs); a candidate with the same (non-empty) profile as an earlier pick waits
    behind every distinct one. diversity 0 keeps the score order. Ties go to the earlier pool
    position (score desc, column asc), so the order depends only on the pool. `rows`: the
    Kommunen the pool rows belong to (default: row r is Kommune r). Returns the reordered (idx,
    score); the scores stay the pair scores.
    """
    n, m = pool_idx.shape
    d = float(prep.params.diversity)
    if n == 0 or m == 0 or d <= 0:  # diversity 0: the plain score order, twins included
        return pool_idx.copy(), pool_score.copy()
    valid = pool_idx >= 0
    safe = np.where(valid, pool_idx, 0)
    sbits, nbits = prep.topic_bits
    cand_s = sbits[safe]  # n×m×W
    uncovered = (nbits if rows is None else nbits[_rows(rows, prep.n)]).copy()  # needs not yet covered
    pid = np.where(valid, prep.profile_id[safe], -1)
    score64 = np.where(valid, pool_score, -np.inf).astype(np.float64)
    avail = valid & np.isfinite(score64)
    dup = np.zeros((n, m), bool)
    order = np.full((n, m), -1, np.int64)
    rows = np.arange(n)
    steps = min(m, 2 * prep.params.k)  # beyond two lists' worth the score order stays
    for step in range(steps):
        if not avail.any():
            break
        new = np.bitwise_count(cand_s & uncovered[:, None, :]).sum(-1, dtype=np.int64)
        open_ = np.bitwise_count(uncovered).sum(-1, dtype=np.int64)
        nov = np.divide(new, open_[:, None], out=np.zeros((n, m)), where=open_[:, None] > 0)
        val = score64 * (1.0 + d * nov)
        # a duplicate profile goes behind all distinct ones: map its value into (-1, 0]
        val = np.where(dup, -1.0 / (1.0 + np.maximum(val, 0.0)), val)
        val[~avail] = -np.inf
        pick = np.argmax(val, 1)
        ok = avail[rows, pick]
        order[ok, step] = pick[ok]
        r_ok = rows[ok]
        avail[r_ok, pick[ok]] = False
        uncovered[r_ok] &= ~cand_s[r_ok, pick[ok]]
        pp = pid[r_ok, pick[ok]]
        dup[r_ok] |= (pid[r_ok] == pp[:, None]) & (pp[:, None] >= 0)
    # picks first, in their step order; the rest keep their pool order behind them
    key = np.broadcast_to(np.arange(m, dtype=np.int64) + m, (n, m)).copy()
    rr, cc = np.nonzero(order >= 0)
    key[rr, order[rr, cc]] = cc
    perm = np.argsort(key, axis=1, kind="stable")
    return np.take_along_axis(pool_idx, perm, 1), np.take_along_axis(pool_score, perm, 1)


def apply_exposure(
    pool_idx: np.ndarray, pool_score: np.ndarray, k: int, capacity: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Pick k per row from the pools so no Kommune ever exceeds its capacity.

    Rank rounds: in round r every unfilled row proposes its r-th candidate; a candidate accepts the
    best-scoring proposals up to its remaining capacity. A row whose pool runs dry stays short here
    (padding); _finish fetches deeper candidates for it. The cap is hard: nothing is topped up over it.
    """
    n, m = pool_idx.shape
    if capacity is None:
        return pool_idx[:, :k].copy(), pool_score[:, :k].copy()
    cap = np.asarray(capacity, dtype=np.int64)
    appear = np.zeros(cap.shape[0], np.int64)
    taken = np.zeros((n, m), bool)
    filled = np.zeros(n, np.int64)
    for r in range(m):
        cand = pool_idx[:, r]
        rows = np.nonzero((filled < k) & (cand >= 0) & np.isfinite(pool_score[:, r]))[0]
        if rows.size == 0:
            if not (filled < k).any():
                break
            continue
        c = cand[rows].astype(np.int64)
        s = pool_score[rows, r]
        order = np.lexsort((rows, -s, c))
        c_sorted = c[order]
        first = np.ones(order.size, bool)
        first[1:] = c_sorted[1:] != c_sorted[:-1]
        group_start = np.maximum.accumulate(np.where(first, np.arange(order.size), 0))
        rank = np.arange(order.size) - group_start
        ok = rank < (cap[c_sorted] - appear[c_sorted])
        acc_rows = rows[order[ok]]
        taken[acc_rows, r] = True
        filled[acc_rows] += 1
        np.add.at(appear, c_sorted[ok], 1)
    out_idx = np.full((n, k), -1, np.int32)
    out_val = np.full((n, k), -np.inf, np.float32)
    rr, cc = np.nonzero(taken)  # row-major: pool order
    counts = np.bincount(rr, minlength=n)
    pos = np.arange(rr.size) - np.concatenate([[0], np.cumsum(counts)[:-1]])[rr]
    out_idx[rr, pos] = pool_idx[rr, cc]
    out_val[rr, pos] = pool_score[rr, cc]
    return out_idx, out_val


def _fill_short(prep: Prepared, idx: np.ndarray, val: np.ndarray, capacity: np.ndarray) -> None:
    """Rows left short by the cap: score them against the columns with capacity left and take, best
    first, the allowed ones (in place). Rows in index order, so the result is deterministic; a row
    stays short only when every allowed other Kommune is full."""
    n, k = idx.shape
    appear = appearances(idx, n)
    short = np.nonzero((idx < 0).any(1))[0]
    step = prep.params.block_rows
    for s in range(0, short.size, step):
        rows = short[s : s + step]
        cols = np.nonzero(appear < capacity)[0]  # full before this block: never again
        if cols.size == 0:
            return
        dense = score_dense(prep, rows, cols)
        have = idx[rows] >= 0
        rr, cc = np.nonzero(have)
        listed = idx[rows][rr, cc]
        pos = np.searchsorted(cols, listed)
        hit = (pos < cols.size) & (cols[np.minimum(pos, cols.size - 1)] == listed)
        dense[rr[hit], pos[hit]] = -np.inf  # already in the list
        ci, cv = _topk_rows(dense, 3 * k)
        for b, i in enumerate(rows):
            f = int(have[b].sum())
            cand, vals = ci[b], cv[b]
            gc = cols[np.maximum(cand, 0)]
            ok = (cand >= 0) & (appear[gc] < capacity[gc])
            if ok.sum() < k - f and (cand >= 0).all():  # the block filled some: this row exactly
                row = dense[b].copy()
                row[appear[cols] >= capacity[cols]] = -np.inf
                cand, vals = _topk_exact(row[None, :], min(k, cols.size), k)
                cand, vals = cand[0], vals[0]
                gc = cols[np.maximum(cand, 0)]
                ok = cand >= 0
            take = np.nonzero(ok)[0][: k - f]
            idx[i, f : f + take.size] = gc[take]
            val[i, f : f + take.size] = vals[take]
            appear[gc[take]] += 1


def gini(appearances: np.ndarray) -> float:
    """Gini coefficient of how often each Kommune is suggested: 0 = evenly spread, 1 = one gets all."""
    x = np.sort(np.asarray(appearances, dtype=np.float64).reshape(-1))
    if x.size == 0 or x.sum() == 0:
        return 0.0
    cum = np.cumsum(x)
    return float((x.size + 1 - 2 * (cum / cum[-1]).sum()) / x.size)


def appearances(idx: np.ndarray, n: int) -> np.ndarray:
    """How often each Kommune appears in the suggestion lists."""
    v = idx[idx >= 0]
    return np.bincount(v, minlength=n)


# ------------------------------------------------------------------------------------------- driver


def _distances(inp: MatchInput, idx: np.ndarray) -> np.ndarray:
    """Exact haversine distances for the listed pairs only (n×k, never n×n)."""
    n = inp.n
    lat = _vec(inp.lat, n, np.nan)
    lon = _vec(inp.lon, n, np.nan)
    j = np.where(idx >= 0, idx, 0)
    i = np.broadcast_to(np.arange(idx.shape[0])[:, None], idx.shape)
    d = haversine_km(lat[i], lon[i], lat[j], lon[j]).astype(np.float32)
    d[idx < 0] = np.nan
    return d


def _finish(inp: MatchInput, prep: Prepared, pool_idx, pool_val, reuse=None) -> MatchResult:
    """Diversity, exposure under the hard cap, deeper candidates where a pool ran dry.

    reuse = (div_idx, div_score, changed rows): the diversified pools of an earlier result whose
    other rows' pools (and their candidates' profiles) are unchanged; only the changed rows are
    reordered again, which gives the same order as reordering all."""
    p = prep.params
    cap = capacities(inp, p)
    if reuse is not None and reuse[0] is not None and reuse[0].shape == pool_idx.shape:
        div_idx, div_val = reuse[0].copy(), reuse[1].copy()
        ch = np.unique(_rows(reuse[2], prep.n))
        if ch.size:
            div_idx[ch], div_val[ch] = diversify_pools(prep, pool_idx[ch], pool_val[ch], ch)
    else:
        div_idx, div_val = diversify_pools(prep, pool_idx, pool_val)
    idx, val = apply_exposure(div_idx, div_val, p.k, cap)
    if cap is not None:
        _fill_short(prep, idx, val, cap)
    return MatchResult(idx, val, _distances(inp, idx), pool_idx, pool_val, p, cap, div_idx, div_val)


def compute(inp: MatchInput, params: MatchParams | None = None) -> MatchResult:
    """Full recompute: candidate pools for all rows, blockwise, then the exposure step."""
    p = params or MatchParams()
    if inp.n == 0:
        empty = np.zeros((0, p.k), np.int32)
        pool = np.zeros((0, _pool_size(p)), np.int32)
        return MatchResult(
            empty, empty.astype(np.float32), empty.astype(np.float32), pool, pool.astype(np.float32), p
        )
    prep = prepare(inp, p)
    pool_idx, pool_val = _full_pool(prep)
    return _finish(inp, prep, pool_idx, pool_val)


def finish_blocks(
    inp: MatchInput, blocks: Sequence[tuple[slice | np.ndarray, np.ndarray, np.ndarray]], params=None
) -> MatchResult:
    """The chord callback: merge score_block results and apply exposure."""
    prep = prepare(inp, params)
    pool_idx, pool_val = merge_blocks(inp.n, blocks)
    return _finish(inp, prep, pool_idx, pool_val)


def update_one(inp: MatchInput, result: MatchResult, i: int) -> MatchResult:
    """After Kommune i's profile changed: its own row, its place in every other pool, exposure again."""
    p = result.params
    prep = prepare(inp, p)
    n = inp.n
    pool_idx, pool_val = result.pool_idx.copy(), result.pool_score.copy()
    m = pool_idx.shape[1]
    pool_idx[i], pool_val[i] = _score_block_prepared(prep, np.array([i]))

    col = score_dense(prep, np.arange(n), np.array([i]))[:, 0]
    others = np.arange(n) != i
    in_pool = (pool_idx == i).any(1) & others
    full = pool_idx[:, -1] >= 0  # a pool with padding already holds every allowed column
    old_min = pool_val[:, -1]
    # everything outside a full pool scores ≤ old_min; if i leaves and falls to or below that, the
    # row's m-th candidate is unknown, so those (few) rows are recomputed exactly
    redo = np.nonzero(in_pool & full & ~(col > old_min))[0]
    patch = np.nonzero(others & ~np.isin(np.arange(n), redo) & (in_pool | (col >= old_min)))[0]
    if patch.size:
        pi, pv = pool_idx[patch], pool_val[patch]
        drop = pi == i
        ext_v = np.concatenate([np.where(drop, -np.inf, pv), col[patch, None]], 1).astype(np.float32)
        ext_i = np.concatenate([np.where(drop, -1, pi), np.full((patch.size, 1), i, np.int32)], 1)
        ext_i = np.where(np.isfinite(ext_v), ext_i, -1).astype(np.int32)
        order = np.lexsort((np.where(ext_i >= 0, ext_i, n + 1), -ext_v), axis=1)[:, :m]
        pool_idx[patch] = np.take_along_axis(ext_i, order, 1)
        pool_val[patch] = np.take_along_axis(ext_v, order, 1)
    if redo.size:
        pool_idx[redo], pool_val[redo] = score_block(prep, redo)
    # every row with i in its old or new pool is in patch or redo: the others' pools are unchanged
    changed = np.concatenate([[i], patch, redo]).astype(np.int64)
    return _finish(inp, prep, pool_idx, pool_val, (result.div_idx, result.div_score, changed))


# ------------------------------------------------------------------------------------ explanations


def pair_terms(prep: Prepared, rows: np.ndarray, cols: np.ndarray) -> dict[str, np.ndarray]:
    """The score of cols[p] in rows[p]'s list, term by term, vectorised over the pairs.

    Taken from the same Prepared features as the kernel (the x_ctx/y_ctx column groups, the
    discounted levels, the sparse Kreis/network/ignore/exclude lookups), so the formula exists once;
    `score` equals the kernel's float32 score up to rounding. Log terms are natural logs.
    """
    p = prep.params
    r = np.asarray(rows, dtype=np.int64).reshape(-1)
    c = np.asarray(cols, dtype=np.int64).reshape(-1)
    if r.shape != c.shape:
        raise ValueError("rows and cols must pair up")
    S, N = prep.strength.astype(np.float64), prep.need.astype(np.float64)
    t_in = (N[r] * S[c]).sum(1) * prep.inv_need[r]
    t_out = (N[c] * S[r]).sum(1) * prep.inv_need[c]
    mutual = np.sqrt(t_in * t_out)
    comp = p.w_mutual * mutual + p.w_in * t_in + p.w_out * t_out + p.base
    unhalve = 2.0 if prep.clamp else 1.0

    def group(name: str) -> np.ndarray:
        g = prep.ctx_groups[name]
        return (prep.x_ctx[r, g] * prep.y_ctx[c, g]).sum(1) * unhalve

    log_distance = group("distance") + prep.shift  # the distance group carries the -log_floor shift
    log_size, log_kind, log_type = group("size"), group("kind"), group("type")

    def shared(m: sp.csr_matrix | None) -> np.ndarray:
        if m is None or r.size == 0:
            return np.zeros(r.size, bool)
        return np.asarray(m[r].multiply(m[c]).sum(1)).reshape(-1) > 0

    same_kreis, shared_net = shared(prep.kreis_1h), shared(prep.net)
    log_kreis = p.kreis_bonus * same_kreis
    log_network = p.network_bonus * shared_net
    raw = log_distance + log_size + log_kind + log_type + log_kreis + log_network
    log_context = np.maximum(raw, p.log_floor) if prep.clamp else raw
    ign = np.ones(r.size)
    if prep.ign is not None and r.size:
        ign = np.exp(np.asarray(prep.ign[r, c], dtype=np.float64).reshape(-1))
    excluded = r == c
    if prep.excl is not None and r.size:
        excluded |= np.asarray(prep.excl[r, c]).reshape(-1) > 0
    score = np.where(excluded, -np.inf, comp * np.exp(log_context) * ign)
    return {
        "teach_in": t_in,
        "teach_out": t_out,
        "mutual": mutual,
        "comp": comp,
        "log_distance": log_distance,
        "log_size": log_size,
        "log_kind": log_kind,
        "log_type": log_type,
        "log_kreis": log_kreis,
        "log_network": log_network,
        "log_context": log_context,
        "ignored_factor": ign,
        "excluded": excluded,
        "score": score,
    }


def pair_components(inp: MatchInput, i: int, j: int, params: MatchParams | None = None) -> dict:
    """The score of j in i's list, term by term (a thin wrapper over prepare + pair_terms).

    Flags are facts of the input (same kind, complementing types, same Kreis, shared network);
    the factors and the score come from pair_terms.
    """
    prep = prepare(inp, params)
    n = inp.n
    t = {key: v[0] for key, v in pair_terms(prep, np.array([i]), np.array([j])).items()}
    lat, lon = _vec(inp.lat, n, np.nan), _vec(inp.lon, n, np.nan)
    d = float(haversine_km(lat[i], lon[i], lat[j], lon[j]))
    kind = _vec(inp.kind, n, -1, np.int64)
    tix = _vec(inp.type_idx, n, -1, np.int64)
    kreis = _vec(inp.kreis, n, -1, np.int64)
    net = prep.net
    return {
        "teach_in": float(t["teach_in"]),
        "teach_out": float(t["teach_out"]),
        "mutual": float(t["mutual"]),
        "comp": float(t["comp"]),
        "distance_km": d if math.isfinite(d) else None,
        "distance_factor": math.exp(t["log_distance"]),
        "size_factor": math.exp(t["log_size"]),
        "same_kind": bool(kind[i] >= 0 and kind[i] == kind[j]),
        "type_complement": bool(0 <= tix[i] < N_TYPES and 0 <= tix[j] < N_TYPES and tix[i] != tix[j]),
        "same_kreis": bool(kreis[i] >= 0 and kreis[i] == kreis[j]),
        "shared_network": bool(net is not None and net[i].multiply(net[j]).nnz > 0),
        "context_factor": math.exp(t["log_context"]),
        "ignored_factor": float(t["ignored_factor"]),
        "excluded": bool(t["excluded"]),
        "score": float(t["score"]),
    }


def with_params(result: MatchResult, **changes) -> MatchParams:
    """A copy of a result's params with some fields changed (convenience for callers and tests)."""
    return replace(result.params, **changes)


def networks_matrix(networks, n: int) -> sp.csr_matrix | None:
    """Network membership as an n×M 0/1 CSR matrix (None without memberships)."""
    return _networks_csr(networks, n)
