"""Exposure: a strong big city must not fill every list; Gini of appearances."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import engine as E


def _big_city_input(n: int = 40) -> E.MatchInput:
    rng = np.random.default_rng(0)
    S = (rng.random((n, 8)) < 0.3).astype(np.float32)
    N = (rng.random((n, 8)) < 0.3).astype(np.float32) * 2
    S[0] = 3  # strong in everything, needs nothing
    N[0] = 0
    return E.MatchInput(ags=[str(i) for i in range(n)], strength=S, need=N)


def test_big_city_capped():
    inp = _big_city_input()
    free = E.compute(inp, E.MatchParams(k=3, cap_factor=None))
    capped = E.compute(inp, E.MatchParams(k=3, cap_factor=2.0))
    assert E.appearances(free.idx, inp.n)[0] > 30
    assert E.appearances(capped.idx, inp.n).max() <= 6
    assert E.gini(E.appearances(capped.idx, inp.n)) < E.gini(E.appearances(free.idx, inp.n))
    assert ((capped.idx >= 0).sum(1) == 3).all()  # coverage does not suffer


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 30), k=st.integers(1, 5), cap=st.integers(1, 6))
def test_cap_is_hard_and_rows_short_only_where_the_pool_is_full(seed, n, k, cap):
    rng = np.random.default_rng(seed)
    m = min(3 * k, n)
    score = np.sort(rng.random((n, m)).astype(np.float32), 1)[:, ::-1].copy()
    pool = np.array([rng.choice(n, m, replace=False) for _ in range(n)], np.int32)
    idx, val = E.apply_exposure(pool, score, k, np.full(n, cap))
    app = E.appearances(idx, n)
    assert app.max() <= cap  # never over capacity, whatever the pools
    for r in range(n):
        chosen = set(idx[r][idx[r] >= 0].tolist())
        assert len(chosen) <= min(k, m)
        if len(chosen) < min(k, m):  # short only where every unchosen alternative is full
            assert all(app[j] >= cap for j in set(pool[r].tolist()) - chosen)
        assert np.all(np.diff(val[r][idx[r] >= 0]) <= 0)


def test_gini():
    assert E.gini(np.ones(10)) == pytest.approx(0.0)
    assert E.gini(np.r_[np.zeros(9), 5.0]) == pytest.approx(0.9)
    assert E.gini(np.zeros(4)) == 0.0
