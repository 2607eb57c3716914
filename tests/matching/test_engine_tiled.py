"""The full-recompute fast path (column tiles, threshold top-k) against a brute-force reference.

The tiled path only runs from a few thousand Kommunen on, so these tests use n ≈ 2,500.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from matching import engine as E
from tests.matching.test_engine import _random_input

N = 2_500


def _reference_pools(inp: E.MatchInput, p: E.MatchParams) -> tuple[np.ndarray, np.ndarray]:
    """Every score via the dense path, then a plain lexsort per row: (value desc, index asc)."""
    prep = E.prepare(inp, p)
    m = E._pool_size(p)
    dense = E.score_dense(prep, np.arange(inp.n))
    idx = np.full((inp.n, m), -1, np.int32)
    val = np.full((inp.n, m), -np.inf, np.float32)
    for i in range(inp.n):
        order = np.lexsort((np.arange(inp.n), -dense[i]))[:m]
        ok = np.isfinite(dense[i, order])
        idx[i, : ok.sum()] = order[ok]
        val[i, : ok.sum()] = dense[i, order[ok]]
    return idx, val


@pytest.fixture(scope="module")
def big_input() -> E.MatchInput:
    return _random_input(N, seed=21)


def test_tiled_path_is_taken_and_equals_reference(big_input):
    p = E.MatchParams(k=10, workers=2)
    assert E._full_structures(E.prepare(big_input, p)) is not None  # really the tiled path
    result = E.compute(big_input, p)
    ref_idx, ref_val = _reference_pools(big_input, p)
    np.testing.assert_array_equal(result.pool_idx, ref_idx)
    np.testing.assert_array_equal(result.pool_score, ref_val)


def test_tiled_scores_match_pair_components(big_input):
    p = E.MatchParams(k=10)
    result = E.compute(big_input, p)
    rng = np.random.default_rng(0)
    for i in rng.choice(N, 25, replace=False):
        for j, s in zip(result.pool_idx[i, :5], result.pool_score[i, :5], strict=True):
            exact = E.pair_components(big_input, int(i), int(j), p)["score"]
            assert exact == pytest.approx(float(s), rel=2e-6)


def test_block_split_and_update_agree_bit_for_bit(big_input):
    """Exact integer teaching products and the float64 context make the blocking irrelevant."""
    a = E.compute(big_input, E.MatchParams(k=10, block_rows=256, workers=2))
    b = E.compute(big_input, E.MatchParams(k=10, block_rows=97, workers=1))
    np.testing.assert_array_equal(a.pool_idx, b.pool_idx)
    np.testing.assert_array_equal(a.pool_score, b.pool_score)
    np.testing.assert_array_equal(a.idx, b.idx)
    inp = _random_input(N, seed=21)
    inp.strength[17] = np.roll(inp.strength[17], 2)
    inp.need[17] = np.roll(inp.need[17], 1)
    updated = E.update_one(inp, a, 17)
    full = E.compute(inp, E.MatchParams(k=10))
    np.testing.assert_array_equal(updated.pool_idx, full.pool_idx)
    np.testing.assert_array_equal(updated.pool_score, full.pool_score)


def test_chord_blocks_with_odd_rows_take_both_paths(big_input):
    p = E.MatchParams(k=10)
    rows_a = np.arange(0, 1200)  # consecutive: tiled path
    rows_b = np.setdiff1d(np.arange(N), rows_a)[::-1]  # reversed: dense path
    blocks = [(rows_a, *E.score_block(big_input, rows_a, p)), (rows_b, *E.score_block(big_input, rows_b, p))]
    merged = E.finish_blocks(big_input, blocks, p)
    full = E.compute(big_input, p)
    np.testing.assert_array_equal(merged.pool_idx, full.pool_idx)
    np.testing.assert_array_equal(merged.idx, full.idx)


def test_mass_ties_resolve_by_lower_index():
    """Empty profiles with a 0 km reach: nearly every score ties at the floor; lowest index wins."""
    rng = np.random.default_rng(3)
    n = N
    inp = E.MatchInput(
        ags=[str(i) for i in range(n)],
        strength=np.zeros((n, 5), np.float32),
        need=np.zeros((n, 5), np.float32),
        lat=rng.uniform(47.5, 54.5, n),
        lon=rng.uniform(6.0, 14.5, n),
        reach_km=np.zeros(n),
    )
    p = E.MatchParams(k=10, cap_factor=None)
    result = E.compute(inp, p)
    ref_idx, ref_val = _reference_pools(inp, p)
    np.testing.assert_array_equal(result.pool_idx, ref_idx)
    np.testing.assert_array_equal(result.pool_score, ref_val)
    # a far-away row's pool is mostly the floor, filled from the lowest indices upwards
    floor = p.base * math.exp(p.log_floor)
    tied = np.isclose(result.pool_score, floor, rtol=1e-6)
    assert tied.sum() > n
    row = int(np.nonzero(tied.all(1))[0][0])
    expect = [j for j in range(n) if j != row][: result.pool_idx.shape[1]]
    assert result.pool_idx[row].tolist() == expect


def test_everything_excluded_but_a_few():
    n = N
    inp = _random_input(n, seed=4)
    inp.ignored = None
    # row 0 has only three allowed partners left
    keep = {1, 2, 3}
    inp.exclude = np.array([[0, j] for j in range(1, n) if j not in keep])
    result = E.compute(inp, E.MatchParams(k=10, cap_factor=None))
    assert set(result.idx[0][result.idx[0] >= 0].tolist()) == keep
    assert (result.idx[0][3:] == -1).all() and np.isneginf(result.score[0][3:]).all()


def test_without_floor_the_clamp_is_off():
    inp = _random_input(60, seed=8)
    p = E.MatchParams(k=5, cap_factor=None, log_floor=-math.inf)
    assert not E.prepare(inp, p).clamp
    result = E.compute(inp, p)
    for i in range(0, 60, 7):
        for j, s in zip(result.idx[i], result.score[i], strict=True):
            if j >= 0:
                assert E.pair_components(inp, i, int(j), p)["score"] == pytest.approx(float(s), rel=2e-4)
