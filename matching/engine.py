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
near. All context terms are log-factors, so each row block needs one small dense matrix product for
them (distance via the centred unit-vector expansion of the haversine chord) plus two sparse products
(Kreis, networks). Rows are processed in blocks; an N×N matrix never exists.
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
    """Per-run feature matrices, computed once in O(n·T) and shared by all blocks."""

    n: int
    a_in_row: np.ndarray  # n×T: w_in-scaled normalised need (row side of teach_in)
    s_col_in: np.ndarray  # n×T: strength (column side of teach_in)
    a_out_row: np.ndarray  # n×T: w_out-scaled strength (row side of teach_out)
    s_col_out: np.ndarray  # n×T: normalised need (column side of teach_out)
    mutual_scale: np.float32  # w_mutual / sqrt(w_in·w_out)
    x_ctx: np.ndarray  # n×F row features of the log-context
    y_ctx: np.ndarray  # n×F column features
    no_coord_cols: np.ndarray  # columns without coordinates
    no_coord_fix: np.ndarray  # per row: what to add on those columns to make the distance term neutral
    kreis_1h: sp.csr_matrix | None
    net: sp.csr_matrix | None
    excl: sp.csr_matrix | None  # n×n, data 1
    ign: sp.csr_matrix | None  # n×n, data = log(ignored factor)
    params: MatchParams


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


def prepare(inp: MatchInput, params: MatchParams | None = None) -> Prepared:
    """Validate the input and build the row/column feature matrices of the score."""
    p = params or MatchParams()
    n = inp.n
    S = np.nan_to_num(np.asarray(inp.strength, dtype=np.float32).reshape(n, -1), nan=0.0)
    N = np.nan_to_num(np.asarray(inp.need, dtype=np.float32).reshape(n, -1), nan=0.0)
    if S.shape != N.shape:
        raise ValueError("strength and need must have the same shape")
    S, N = np.clip(S, 0, 3), np.clip(N, 0, 3)
    need_sum = N.sum(1, keepdims=True)
    # teach_in(i,j) = N_i·S_j / (3·ΣN_i); an empty need row simply learns nothing (0, not NaN)
    a = np.divide(N, 3.0 * need_sum, out=np.zeros_like(N), where=need_sum > 0)

    # ---- log-context features: distance, size, kind, type (dense); Kreis and networks stay sparse
    lat = _vec(inp.lat, n, np.nan)
    lon = _vec(inp.lon, n, np.nan)
    has = np.isfinite(lat) & np.isfinite(lon)
    reach = _vec(inp.reach_km, n, p.default_reach_km)
    reach = np.where(np.isfinite(reach), reach, p.default_reach_km)
    reach = np.maximum(reach, p.min_reach_km)
    phi, lam = np.radians(np.where(has, lat, 0.0)), np.radians(np.where(has, lon, 0.0))
    u = np.stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)], 1)
    # centring keeps float32 exact enough: |u_i-u_j|² from small numbers, no cancellation near 1
    centre = u[has].mean(0) if has.any() else np.zeros(3)
    uc = np.where(has[:, None], u - centre, 0.0)
    sq = (uc**2).sum(1)
    # dist = -ln2·(R·chord/reach)² (0.5 at reach); chord² = |uc_i|² + |uc_j|² - 2 uc_i·uc_j
    kappa = np.where(has, _LN2 * (EARTH_RADIUS_KM / reach) ** 2, 0.0)
    row_off = np.where(has, -kappa * sq, -_LN2)  # a row without coordinates: neutral, as if at reach
    x_dist = np.column_stack([2 * kappa[:, None] * uc, row_off, -kappa])
    y_dist = np.column_stack([uc, np.ones(n), np.where(has, sq, 0.0)])
    no_coord_cols = np.nonzero(~has)[0]
    # columns without coordinates got -kappa·0 + row_off; make that the neutral -ln2 as well
    no_coord_fix = np.where(has, kappa * sq - _LN2, 0.0)

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

    x_ctx = np.column_stack([x_dist, x_size, p.kind_bonus * k1h, t1h @ type_m]).astype(np.float32)
    y_ctx = np.column_stack([y_dist, y_size, k1h, t1h]).astype(np.float32)

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

    wi, wo = max(p.w_in, 1e-6), max(p.w_out, 1e-6)
    return Prepared(
        n=n,
        a_in_row=(wi * a).astype(np.float32),
        s_col_in=S.astype(np.float32),
        a_out_row=(wo * S).astype(np.float32),
        s_col_out=a.astype(np.float32),
        mutual_scale=np.float32(p.w_mutual / math.sqrt(wi * wo)),
        x_ctx=x_ctx,
        y_ctx=y_ctx,
        no_coord_cols=no_coord_cols,
        no_coord_fix=no_coord_fix.astype(np.float32),
        kreis_1h=kreis_1h,
        net=_networks_csr(inp.networks, n),
        excl=_pairs_csr(inp.exclude, n, symmetric=True),
        ign=ign,
        params=p,
    )


# ------------------------------------------------------------------------------------------ scoring


def _rows(rows, n: int) -> np.ndarray:
    """Slice or index array → int64 index array."""
    if isinstance(rows, slice):
        return np.arange(n)[rows]
    return np.asarray(rows, dtype=np.int64).reshape(-1)


def _sparse_add(dense: np.ndarray, m: sp.spmatrix | None, weight: float, cap: bool) -> None:
    """dense += weight·m (m's rows = dense rows); cap: count membership once, however many shared."""
    if m is None or m.nnz == 0:
        return
    m = sp.csr_matrix(m)
    m.sum_duplicates()  # unique (row, col), so a flat fancy-index += is safe and faster than add.at
    rows = np.repeat(np.arange(m.shape[0], dtype=np.int64), np.diff(m.indptr))
    flat = rows * dense.shape[1] + m.indices
    vals = np.minimum(m.data, 1.0) if cap else m.data
    dense.reshape(-1)[flat] += (weight * vals).astype(np.float32)


def score_dense(
    prep: Prepared, rows: np.ndarray, cols: np.ndarray | None = None, work: list | None = None
) -> np.ndarray:
    """Scores of rows × cols (all columns by default) as a dense float32 block; -inf = not allowed.

    `work` (optional) holds four reusable buffers: a fresh 10 MB array per step costs page faults
    about as expensive as the arithmetic pass itself. The returned array is one of them.
    """
    p = prep.params
    full = cols is None
    c = slice(None) if full else np.asarray(cols)
    shape = (len(rows), prep.n if full else len(c))
    if work is None or work[0].shape != shape:
        work = [np.empty(shape, np.float32) for _ in range(4)]
    t_in, t_out, ctx, comp = work
    # two BLAS products: what j teaches i, what i teaches j (each pre-scaled by its one-way weight)
    np.matmul(prep.a_in_row[rows], prep.s_col_in[c].T, out=t_in)
    np.matmul(prep.a_out_row[rows], prep.s_col_out[c].T, out=t_out)
    np.add(t_in, t_out, out=comp)
    np.multiply(t_in, t_out, out=t_in)
    np.sqrt(t_in, out=t_in)
    t_in *= prep.mutual_scale
    comp += t_in
    comp += np.float32(p.base)

    np.matmul(prep.x_ctx[rows], prep.y_ctx[c].T, out=ctx)
    if prep.no_coord_cols.size:
        bad = prep.no_coord_cols if full else np.nonzero(np.isin(c, prep.no_coord_cols))[0]
        if bad.size:
            ctx[:, bad] += prep.no_coord_fix[rows][:, None]
    if prep.kreis_1h is not None:
        kc = prep.kreis_1h if full else prep.kreis_1h[c]
        _sparse_add(ctx, prep.kreis_1h[rows] @ kc.T, p.kreis_bonus, cap=True)
    if prep.net is not None:
        nc = prep.net if full else prep.net[c]
        _sparse_add(ctx, prep.net[rows] @ nc.T, p.network_bonus, cap=True)
    np.maximum(ctx, np.float32(p.log_floor), out=ctx)
    if prep.ign is not None:
        _sparse_add(ctx, prep.ign[rows] if full else prep.ign[rows][:, c], 1.0, cap=False)
    np.exp(ctx, out=ctx)
    comp *= ctx

    # exclusions: itself, existing partners, declined pairs
    if full:
        comp[np.arange(len(rows)), rows] = -np.inf
    else:
        comp[rows[:, None] == c[None, :]] = -np.inf
    if prep.excl is not None:
        ex = (prep.excl[rows] if full else prep.excl[rows][:, c]).tocoo()
        comp[ex.row, ex.col] = -np.inf
    return comp


def _topk_rows(m: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-row k largest (index, value), best first; ties broken by lower index; -inf → -1."""
    b, n = m.shape
    kk = min(k, n)
    if kk == 0:
        return np.full((b, k), -1, np.int32), np.full((b, k), -np.inf, np.float32)
    cand_idx = None
    stride = 8
    if n >= 16 * kk * stride // 4 and n > 2048:
        # a threshold from every 8th column is a lower bound of the k-th largest, so the few values
        # above it contain the top k; selecting among them is ~10× cheaper than argpartition on m
        sub = m[:, ::stride]
        tau = np.partition(sub, sub.shape[1] - kk, axis=1)[:, sub.shape[1] - kk]
        mask = m >= tau[:, None]
        counts = np.count_nonzero(mask, axis=1)
        width = int(counts.max())
        if width <= n // 4:
            flat = np.flatnonzero(mask)
            r, c = np.divmod(flat, n)
            starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
            pos = np.arange(r.size) - starts[r]
            cand_val = np.full((b, width), -np.inf, np.float32)
            cand_idx = np.full((b, width), n, np.int64)
            cand_val[r, pos] = m.reshape(-1)[flat]
            cand_idx[r, pos] = c
    if cand_idx is None:
        cand_val = m
        cand_idx = np.broadcast_to(np.arange(n), (b, n))
    if cand_val.shape[1] > kk:
        part = np.argpartition(cand_val, cand_val.shape[1] - kk, axis=1)[:, -kk:]
        sel_val = np.take_along_axis(cand_val, part, 1)
        sel_idx = np.take_along_axis(cand_idx, part, 1)
        # argpartition picks arbitrarily among values tied at the boundary; lower index must win, or
        # a block split, an update and a full recompute could disagree
        v = sel_val.min(1, keepdims=True)
        tied = np.count_nonzero(cand_val == v, axis=1) > np.count_nonzero(sel_val == v, axis=1)
        for r in np.nonzero(tied & np.isfinite(v[:, 0]))[0]:
            order = np.lexsort((cand_idx[r], -cand_val[r]))[:kk]
            sel_val[r], sel_idx[r] = cand_val[r, order], cand_idx[r, order]
        cand_val, cand_idx = sel_val, sel_idx
    order = np.lexsort((cand_idx, -cand_val), axis=1)
    val = np.take_along_axis(cand_val, order, 1).astype(np.float32)
    idx = np.take_along_axis(cand_idx, order, 1).astype(np.int32)
    idx[~np.isfinite(val)] = -1
    val[idx < 0] = -np.inf
    if kk < k:
        idx = np.pad(idx, ((0, 0), (0, k - kk)), constant_values=-1)
        val = np.pad(val, ((0, 0), (0, k - kk)), constant_values=-np.inf)
    return idx, val


def _pool_size(p: MatchParams) -> int:
    return max(p.k, p.k * max(p.oversample, 1))


_local = threading.local()


def _score_block_prepared(prep: Prepared, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pool for one row block, reusing this thread's buffers."""
    shape = (len(rows), prep.n)
    work = getattr(_local, "work", None)
    if work is None or work[0].shape != shape:
        work = _local.work = [np.empty(shape, np.float32) for _ in range(4)]
    return _topk_rows(score_dense(prep, rows, work=work), _pool_size(prep.params))


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
        idx[s : s + step], val[s : s + step] = _score_block_prepared(prep, r[s : s + step])
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
    starts = list(range(0, n, p.block_rows))
    blocks = [np.arange(s, min(s + p.block_rows, n)) for s in starts]
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
