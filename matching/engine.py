"""Partner matching: who can learn what from whom, ranked with reciprocity, context and exposure.

Pure numpy/scipy; never imports Flask or SQLAlchemy. Arrays and dataclasses in, arrays and dataclasses out.

Score of candidate j in Kommune i's list (i = row, j = column)::

    teach_in  = Σ_t N_it·S_jt / (3·Σ_t N_it)     how much j can teach i   (0..1)
    teach_out = Σ_t N_jt·S_it / (3·Σ_t N_jt)     how much i can teach j   (0..1)
    comp      = w_mutual·sqrt(teach_in·teach_out) + w_in·teach_in + w_out·teach_out + base
    context   = exp(max(log_floor, dist + size + kind + type + kreis + network))
    score     = comp · context · ignored_factor           (-inf for itself/excluded pairs)

The geometric mean is symmetric and zero unless both sides gain, so a mutual pair outranks a one-way
pair of the same size, while the smaller one-way terms keep mentoring visible where nothing mutual is
near. All context terms are log-factors, so a block needs one small dense matrix product for them
(distance via the centred unit-vector expansion of the haversine chord, in float64) plus a sparse
Kreis/network bonus. Rows are processed in blocks; an N×N matrix never exists.

Full recompute: each row block is scored against one column tile at a time (the residue classes
j mod 8, about 1,400 columns, so every buffer stays in cache). Tile 0 also yields each row's top-k
threshold τ; every tile hands over only its cells ≥ τ, and one sort of packed (row, value, column)
keys picks the pool. Ties always go to the lower column index, and the scores do not depend on the
blocking (see Prepared), so a full recompute, Celery chord blocks and update_one agree exactly.
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
    min_reach_km: float = 5.0  # reach 0 means "only the immediate neighbourhood", not a division by zero
    size_weight: float = 0.5  # log-factor per squared decade of population difference, halved
    kind_bonus: float = 0.10
    kreis_bonus: float = 0.25
    network_bonus: float = 0.20
    type_bonus: float = 0.15
    log_floor: float = math.log(0.02)  # far beyond reach everything counts the same, ranked by comp
    cap_factor: float | None = 2.0  # capacity = ceil(cap_factor·k) appearances; None disables it
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
    estimated: np.ndarray | None = None  # n bool: strengths and needs only estimated from the type test
    coord_approx: np.ndarray | None = None  # n bool: coordinates approximate (the Kreis's centre)

    @property
    def n(self) -> int:
        """Number of Kommunen."""
        return len(self.ags)


@dataclass
class MatchResult:
    """Top-k suggestions per Kommune plus the candidate pool the exposure step and updates reuse."""

    idx: np.ndarray  # n×k int32, -1 padding
    score: np.ndarray  # n×k float32, -inf padding
    distance_km: np.ndarray  # n×k float32, NaN where unknown or padding
    pool_idx: np.ndarray  # n×m int32 best candidates before exposure, -1 padding
    pool_score: np.ndarray  # n×m float32
    params: MatchParams = field(default_factory=MatchParams)

    def suggestions(self, i: int) -> list[tuple[int, float]]:
        """Kommune i's suggestions as (index, score), best first, without padding."""
        return [(int(j), float(s)) for j, s in zip(self.idx[i], self.score[i], strict=True) if j >= 0]


def ignore_factor(count: np.ndarray, age_days: np.ndarray, half_life_days: float = 60.0) -> np.ndarray:
    """Sink factor for ignored suggestions: each ignore halves, time since first shown sinks further."""
    count = np.asarray(count, dtype=np.float64)
    age = np.maximum(np.asarray(age_days, dtype=np.float64), 0.0)
    factor = 0.5**count * 0.5 ** (age / half_life_days)
    return np.clip(factor, 0.05, 1.0).astype(np.float32)


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

    Determinism: the two teaching products are taken on the raw 0–3 levels, so every entry is an
    exact small integer in float32 whatever the BLAS kernel, block shape or summation order; the
    normalisations follow as single roundings. The context product runs in float64 (its distance
    terms cancel: |u_i|² + |u_j|² - 2u_i·u_j). A pair therefore gets the same float32 score in a
    full recompute, a chord block and an incremental update, and exact ties stay exact ties.

    The log-floor is folded in: the context features are shifted by -log_floor and halved, so the
    clamp max(x, 0) becomes x/2 + |x/2| (two of numpy's fastest passes; np.maximum is several
    times slower), and exp(log_floor) is folded into the teaching factors and the base. Halving is
    exact in binary floating point, so nothing changes but the speed.
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
    # teach_in(i,j) = N_i·S_j / (3·ΣN_i); an empty need row simply learns nothing (0, not NaN)
    inv = np.divide(1.0, 3.0 * need_sum, out=np.zeros_like(need_sum), where=need_sum > 0)
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
    # dist = -ln2·(R·chord/reach)² (0.5 at reach); chord² = |uc_i|² + |uc_j|² - 2 uc_i·uc_j.
    # Unknown coordinates on either side give the neutral -ln2 ("as if at reach"): a row without
    # them has only the constant -ln2; for a column without them (uc_j = 0, flag 1 - has_j = 1)
    # the row's κ_i|uc_i|² - ln2 cancels its -κ_i|uc_i|². The constant also carries -log_floor.
    kappa = np.where(has, _LN2 * (EARTH_RADIUS_KM / reach) ** 2, 0.0)
    row_off = np.where(has, -kappa * sq, -_LN2) - shift
    no_coord_fix = np.where(has, kappa * sq - _LN2, 0.0)
    x_dist = np.column_stack([2 * kappa[:, None] * uc, row_off, no_coord_fix, -kappa])
    y_dist = np.column_stack([uc, np.ones(n), (~has).astype(float), np.where(has, sq, 0.0)])

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

    x_ctx = np.column_stack([x_dist, x_size, p.kind_bonus * k1h, t1h @ type_m])
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
    )


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
    """How often each Kommune may appear in others' lists (None = unlimited)."""
    if inp.capacity is not None:
        return np.asarray(inp.capacity, dtype=np.int64).reshape(-1)
    if params.cap_factor is None:
        return None
    return np.full(inp.n, max(1, math.ceil(params.cap_factor * params.k)), np.int64)


def apply_exposure(
    pool_idx: np.ndarray, pool_score: np.ndarray, k: int, capacity: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Pick k per row from the pools so no Kommune exceeds its capacity where the pools allow it.

    Rank rounds: in round r every unfilled row proposes its r-th candidate; a candidate accepts the
    best-scoring proposals up to its remaining capacity. Rows still short afterwards are topped up
    from their own pool, over capacity, so coverage never suffers for the cap.
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
        rows = np.nonzero((filled < k) & (cand >= 0))[0]
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
    short = np.nonzero(filled < k)[0]
    for i in short:  # few rows, only where capacity made the pool run dry
        free = np.nonzero(~taken[i] & (pool_idx[i] >= 0))[0][: k - filled[i]]
        taken[i, free] = True
    out_idx = np.full((n, k), -1, np.int32)
    out_val = np.full((n, k), -np.inf, np.float32)
    rr, cc = np.nonzero(taken)  # row-major: pool order, i.e. descending score within a row
    counts = np.bincount(rr, minlength=n)
    pos = np.arange(rr.size) - np.concatenate([[0], np.cumsum(counts)[:-1]])[rr]
    out_idx[rr, pos] = pool_idx[rr, cc]
    out_val[rr, pos] = pool_score[rr, cc]
    return out_idx, out_val


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


def _finish(inp: MatchInput, prep: Prepared, pool_idx, pool_val) -> MatchResult:
    p = prep.params
    idx, val = apply_exposure(pool_idx, pool_val, p.k, capacities(inp, p))
    return MatchResult(idx, val, _distances(inp, idx), pool_idx, pool_val, p)


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
    return _finish(inp, prep, pool_idx, pool_val)


# ------------------------------------------------------------------------------------ explanations


def pair_components(inp: MatchInput, i: int, j: int, params: MatchParams | None = None) -> dict:
    """The score of j in i's list, term by term, recomputed on demand for explanations and tests."""
    p = params or MatchParams()
    n = inp.n
    S = np.clip(np.nan_to_num(np.asarray(inp.strength, np.float64).reshape(n, -1)), 0, 3)
    N = np.clip(np.nan_to_num(np.asarray(inp.need, np.float64).reshape(n, -1)), 0, 3)

    def teach(a: int, b: int) -> float:  # how much b can teach a
        tot = N[a].sum()
        return float(N[a] @ S[b] / (3 * tot)) if tot > 0 else 0.0

    t_in, t_out = teach(i, j), teach(j, i)
    mutual = math.sqrt(t_in * t_out)
    comp = p.w_mutual * mutual + p.w_in * t_in + p.w_out * t_out + p.base

    lat, lon = _vec(inp.lat, n, np.nan), _vec(inp.lon, n, np.nan)
    reach = _vec(inp.reach_km, n, p.default_reach_km)
    r_i = max(reach[i] if np.isfinite(reach[i]) else p.default_reach_km, p.min_reach_km)
    d = float(haversine_km(lat[i], lon[i], lat[j], lon[j]))
    if math.isfinite(d):
        chord = 2 * math.sin(d / (2 * EARTH_RADIUS_KM))  # the engine decays on the chord
        dist = -_LN2 * (EARTH_RADIUS_KM * chord / r_i) ** 2
    else:
        dist = -_LN2
    pop = _vec(inp.population, n, np.nan)
    size = 0.0
    if all(np.isfinite(pop[x]) and pop[x] > 0 for x in (i, j)):
        size = -p.size_weight / 2 * (math.log10(pop[i]) - math.log10(pop[j])) ** 2
    kind = _vec(inp.kind, n, -1, np.int64)
    same_kind = bool(kind[i] >= 0 and kind[i] == kind[j])
    tix = _vec(inp.type_idx, n, -1, np.int64)
    type_comp = bool(0 <= tix[i] < N_TYPES and 0 <= tix[j] < N_TYPES and tix[i] != tix[j])
    kreis = _vec(inp.kreis, n, -1, np.int64)
    same_kreis = bool(kreis[i] >= 0 and kreis[i] == kreis[j])
    net = _networks_csr(inp.networks, n)
    shared_net = bool(net is not None and (net[i].multiply(net[j])).nnz > 0)
    log_ctx = (
        dist
        + size
        + p.kind_bonus * same_kind
        + p.type_bonus * type_comp
        + p.kreis_bonus * same_kreis
        + p.network_bonus * shared_net
    )
    log_ctx = max(log_ctx, p.log_floor)
    ign = 1.0
    if inp.ignored is not None and len(inp.ignored):
        pairs = np.asarray(inp.ignored).reshape(-1, 2)
        hit = (pairs[:, 0] == i) & (pairs[:, 1] == j)
        if hit.any():
            f = np.ones(len(pairs)) if inp.ignored_factor is None else np.asarray(inp.ignored_factor)
            ign = float(np.clip(f[hit], 1e-6, 1.0).min())
    excluded = i == j
    if inp.exclude is not None and len(inp.exclude):
        ex = np.asarray(inp.exclude).reshape(-1, 2)
        excluded |= bool((((ex[:, 0] == i) & (ex[:, 1] == j)) | ((ex[:, 0] == j) & (ex[:, 1] == i))).any())
    score = -math.inf if excluded else comp * math.exp(log_ctx) * ign
    return {
        "teach_in": t_in,
        "teach_out": t_out,
        "mutual": mutual,
        "comp": comp,
        "distance_km": d if math.isfinite(d) else None,
        "distance_factor": math.exp(dist),
        "size_factor": math.exp(size),
        "same_kind": same_kind,
        "type_complement": type_comp,
        "same_kreis": same_kreis,
        "shared_network": shared_net,
        "context_factor": math.exp(log_ctx),
        "ignored_factor": ign,
        "excluded": excluded,
        "score": score,
    }


def with_params(result: MatchResult, **changes) -> MatchParams:
    """A copy of a result's params with some fields changed (convenience for callers and tests)."""
    return replace(result.params, **changes)


def networks_matrix(networks, n: int) -> sp.csr_matrix | None:
    """Network membership as an n×M 0/1 CSR matrix (None without memberships)."""
    return _networks_csr(networks, n)


def pair_terms(prep: Prepared, rows, cols) -> dict[str, np.ndarray]:
    """TEMPORARY (lead branch): the score's parts of many pairs; replaced by the engine branch's
    vectorised version built from the kernel's own features."""
    rows, cols = np.asarray(rows, np.int64), np.asarray(cols, np.int64)
    p = prep.params
    N, S = prep.need.astype(np.float64), prep.strength.astype(np.float64)

    def teach(a, b):
        tot = N[a].sum(1)
        dot = (N[a] * S[b]).sum(1)
        return np.divide(dot, 3 * tot, out=np.zeros_like(dot), where=tot > 0)

    t_in, t_out = teach(rows, cols), teach(cols, rows)
    comp = p.w_mutual * np.sqrt(t_in * t_out) + p.w_in * t_in + p.w_out * t_out + p.base
    score = np.array([score_dense(prep, [r], np.array([c]))[0, 0] for r, c in zip(rows, cols, strict=True)])
    return {
        "teach_in": t_in,
        "teach_out": t_out,
        "comp": comp,
        "log_context": np.log(np.maximum(score, 1e-300) / comp),
        "ignored_factor": np.ones(rows.size),
        "score": score,
    }
