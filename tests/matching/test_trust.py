"""Suggestions an officer can trust: the hard cap, estimates, distance at its edges, diverse lists."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import engine as E
from tests.matching.test_engine import _random_input


def _world(n: int, seed: int, *, supers: int = 0, no_coords: float = 0.0, estimated: float = 0.0, ties=False):
    """Random Kommunen with some super profiles (strong in everything), missing coordinates, estimates."""
    inp = _random_input(n, seed)
    rng = np.random.default_rng(seed + 99)
    if ties:  # everyone identical: every score ties
        inp.strength[:] = inp.strength[0]
        inp.need[:] = inp.need[0]
        inp.lat[:], inp.lon[:] = 50.0, 8.0
    for r in range(min(supers, n)):
        inp.strength[r] = 3
        inp.need[r] = 0
    gone = rng.random(n) < no_coords
    inp.lat[gone] = np.nan
    inp.lon[gone] = np.nan
    inp.estimated = rng.random(n) < estimated
    return inp


def _check_cap(inp: E.MatchInput, result: E.MatchResult) -> None:
    cap = E.capacities(inp, result.params)
    app = E.appearances(result.idx, inp.n)
    assert (app <= cap).all(), (app.max(), cap.min())
    assert result.max_appearances == app.max(initial=0)
    # a list is short only where every allowed other Kommune is already full
    prep = E.prepare(inp, result.params)
    for i in np.nonzero((result.idx < 0).any(1))[0]:
        allowed = np.isfinite(E.score_dense(prep, np.array([i]))[0])
        allowed[result.idx[i][result.idx[i] >= 0]] = False
        assert (app[allowed] >= cap[allowed]).all()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(1, 40),
    seed=st.integers(0, 10_000),
    k=st.integers(1, 6),
    cap=st.sampled_from([0.5, 1.0, 1.5, 3.0]),
    supers=st.integers(0, 3),
    no_coords=st.sampled_from([0.0, 0.3, 1.0]),
    estimated=st.sampled_from([0.0, 0.2, 0.8]),
    ties=st.booleans(),
    diversity=st.sampled_from([0.0, 1.0]),
)
def test_no_kommune_ever_exceeds_its_capacity(n, seed, k, cap, supers, no_coords, estimated, ties, diversity):
    inp = _world(n, seed, supers=supers, no_coords=no_coords, estimated=estimated, ties=ties)
    p = E.MatchParams(k=k, cap_factor=cap, diversity=diversity)
    result = E.compute(inp, p)
    _check_cap(inp, result)
    # the incremental path holds the same ceiling
    if n > 1:
        inp.strength[0] = 3
        inp.need[0] = 0
        _check_cap(inp, E.update_one(inp, result, 0))


def test_cap_holds_in_the_tiled_path_with_super_profiles():
    inp = _world(3000, 5, supers=20, no_coords=0.1, estimated=0.2)
    p = E.MatchParams(k=10)
    result = E.compute(inp, p)
    assert E._full_structures(E.prepare(inp, p)) is not None
    _check_cap(inp, result)
    assert (result.idx >= 0).all()  # plenty of room: nobody short
    assert result.max_appearances <= 15
    assert 0.0 <= result.gini < 0.5


def test_pair_terms_equal_the_kernel_score():
    inp = _world(300, 3, supers=2, no_coords=0.2, estimated=0.3)
    p = E.MatchParams(k=8)
    result = E.compute(inp, p)
    prep = E.prepare(inp, p)
    rows = np.repeat(np.arange(inp.n), result.pool_idx.shape[1])
    cols = result.pool_idx.reshape(-1)
    ok = cols >= 0
    terms = E.pair_terms(prep, rows[ok], cols[ok])
    np.testing.assert_allclose(terms["score"], result.pool_score.reshape(-1)[ok], rtol=2e-4)
    dense = E.score_dense(prep, np.arange(inp.n))
    rr, cc = np.nonzero(np.ones((inp.n, inp.n), bool))
    all_terms = E.pair_terms(prep, rr, cc)
    fin = np.isfinite(dense.reshape(-1))
    assert (all_terms["excluded"] == ~fin).all()
    np.testing.assert_allclose(all_terms["score"][fin], dense.reshape(-1)[fin], rtol=2e-4)
    old = E.pair_components(inp, 5, int(result.idx[5, 0]), p)
    assert old["score"] == pytest.approx(float(dense[5, result.idx[5, 0]]), rel=2e-4)
    assert set(old) >= {"teach_in", "distance_km", "distance_factor", "context_factor", "excluded"}


# ----------------------------------------------------------------------------------------- estimates


def _estimate_scenario(n: int = 60):
    """Kommune 0 entered 'strong in everything', Kommune 1 has the same levels only as an estimate."""
    rng = np.random.default_rng(1)
    t = 6
    S = ((rng.random((n, t)) < 0.3) * rng.integers(1, 4, (n, t))).astype(np.float32)
    N = ((rng.random((n, t)) < 0.4) * rng.integers(1, 4, (n, t))).astype(np.float32)
    S[:2], N[:2] = 3, 0
    N[2:, 0] = 3  # everyone needs what the two super profiles teach
    estimated = np.zeros(n, bool)
    estimated[1] = True
    return E.MatchInput(
        ags=[str(i) for i in range(n)],
        strength=S,
        need=N,
        lat=np.full(n, 50.0) + rng.uniform(0, 0.2, n),
        lon=np.full(n, 8.0) + rng.uniform(0, 0.2, n),
        estimated=estimated,
    )


def test_an_estimate_loses_to_an_entered_profile_and_holds_its_share():
    inp = _estimate_scenario()
    p = E.MatchParams(k=5)
    result = E.compute(inp, p)
    app = E.appearances(result.idx, inp.n)
    assert app[1] <= math.ceil(p.estimate_cap_factor * p.k) < math.ceil(p.cap_factor * p.k)
    assert app[0] == math.ceil(p.cap_factor * p.k)  # the entered one fills its capacity
    prep = E.prepare(inp, p)
    for i in range(2, inp.n):  # for everyone, the entered profile scores above the estimate
        t = E.pair_terms(prep, np.array([i, i]), np.array([0, 1]))
        assert t["score"][0] > t["score"][1]
        assert t["teach_in"][1] == pytest.approx(t["teach_in"][0] * p.estimate_discount)


def test_estimate_discount_keeps_scores_blocking_independent():
    inp = _world(2500, 8, estimated=0.2)
    a = E.compute(inp, E.MatchParams(k=10, block_rows=256, workers=2))
    b = E.compute(inp, E.MatchParams(k=10, block_rows=97, workers=1))
    np.testing.assert_array_equal(a.pool_score, b.pool_score)
    np.testing.assert_array_equal(a.idx, b.idx)


# ------------------------------------------------------------------------------------------ distance


def test_a_pair_beyond_both_reaches_sinks_below_one_within_them():
    S = np.array([[0, 0], [3, 0], [3, 0]], np.float32)
    N = np.array([[3, 0], [0, 0], [0, 0]], np.float32)
    inp = E.MatchInput(
        ags=list("ABC"),
        strength=S,
        need=N,
        lat=np.array([50.0, 50.2, 51.5]),  # B ~22 km, C ~167 km from A
        lon=np.array([8.0, 8.0, 8.0]),
        reach_km=np.array([200.0, 30.0, 30.0]),
    )
    p = E.MatchParams(k=2, cap_factor=None)
    prep = E.prepare(inp, p)
    t = E.pair_terms(prep, np.array([0, 0]), np.array([1, 2]))
    # A's own reach covers C, but C's does not: the geometric mean of the reaches decides
    d_c = E.haversine_km(50.0, 8.0, 51.5, 8.0)
    chord = 2 * math.sin(d_c / (2 * E.EARTH_RADIUS_KM)) * E.EARTH_RADIUS_KM
    assert t["log_distance"][1] == pytest.approx(-math.log(2) * chord**2 / (200 * 30), rel=1e-6)
    assert t["score"][0] > 2 * t["score"][1]
    assert E.compute(inp, p).idx[0].tolist() == [1, 2]


def test_reach_zero_counts_as_the_minimum_reach():
    inp = _random_input(30, seed=2)
    inp.reach_km = np.zeros(30)
    p = E.MatchParams()
    t = E.pair_terms(E.prepare(inp, p), np.array([0]), np.array([1]))
    inp.reach_km = np.full(30, p.min_reach_km)
    u = E.pair_terms(E.prepare(inp, p), np.array([0]), np.array([1]))
    assert t["log_distance"][0] == u["log_distance"][0]


def test_without_coordinates_not_at_the_top_of_everyones_lists():
    inp = _world(400, 12, supers=0)
    inp.lat[np.isnan(inp.lat)] = 51.0
    inp.lon[np.isnan(inp.lon)] = 8.5
    inp.strength[0], inp.need[0] = 3, 0  # claims every strength...
    inp.lat[0] = inp.lon[0] = np.nan  # ...and has no coordinates
    p = E.MatchParams(k=10, cap_factor=None)
    result = E.compute(inp, p)
    first = (result.idx[:, 0] == 0).mean()
    assert first < 0.02, first
    t = E.pair_terms(E.prepare(inp, p), np.array([1]), np.array([0]))
    assert t["log_distance"][0] == pytest.approx(p.unknown_distance_log)


# ----------------------------------------------------------------------------------------- diversity


def test_top_five_covers_different_needs_and_no_twin_profiles():
    """Row 0 needs topics 0..3; six candidates teach topic 0 best, four teach one other topic each."""
    t = 4
    n = 12
    S = np.zeros((n, t), np.float32)
    N = np.zeros((n, t), np.float32)
    N[0] = 3
    S[1:7, 0] = 3  # six twins teaching topic 0, all at the same level
    S[1:7, 1] = 1  # ... and a little of topic 1: a bit more score than the specialists
    for pos, topic in enumerate([1, 2, 3, 2]):
        S[7 + pos, topic] = 3
    inp = E.MatchInput(
        ags=[str(i) for i in range(n)],
        strength=S,
        need=N,
        lat=np.full(n, 50.0),
        lon=np.full(n, 8.0),
    )
    plain = E.compute(inp, E.MatchParams(k=5, cap_factor=None, diversity=0.0))
    assert set(plain.idx[0].tolist()) <= set(range(1, 7))  # by score alone: five twins
    div = E.compute(inp, E.MatchParams(k=5, cap_factor=None))
    top = div.idx[0].tolist()
    assert len(set(top) & set(range(1, 7))) == 1  # never two twins in the top five
    taught = {int(np.argmax(S[j])) for j in top}
    assert taught == {0, 1, 2, 3}  # every need covered
    # stored scores stay the pair scores
    prep = E.prepare(inp, E.MatchParams(k=5))
    again = E.pair_terms(prep, np.zeros(5, int), div.idx[0])["score"]
    np.testing.assert_allclose(div.score[0], again, rtol=2e-4)


def test_diversity_agrees_between_full_chord_and_update():
    inp = _world(120, 4, estimated=0.2, no_coords=0.1)
    p = E.MatchParams(k=5)
    full = E.compute(inp, p)
    blocks = [(rows, *E.score_block(inp, rows, p)) for rows in (slice(0, 50), np.arange(50, 120))]
    np.testing.assert_array_equal(E.finish_blocks(inp, blocks, p).idx, full.idx)
    inp.strength[7] = np.roll(inp.strength[7], 1)
    upd = E.update_one(inp, full, 7)
    again = E.compute(inp, p)
    np.testing.assert_array_equal(upd.pool_idx, again.pool_idx)
    np.testing.assert_array_equal(upd.idx, again.idx)


# ---------------------------------------------------------------------------------------- evaluation


def test_benchmark_directory_has_each_kreisfreie_stadt_once():
    from pathlib import Path

    from benchmarks.matching import load_germany

    path = Path(__file__).resolve().parents[1] / "data" / "gv-isys-auszug-2020q4.csv"
    ags, _names, kinds, _pop, _lat, _lon = load_germany(path)
    assert len(ags) == len(set(ags))
    assert "05111000" in ags  # Düsseldorf, a kreisfreie Stadt: there, once
    assert kinds[ags.index("05358000")] == "kreis"  # Kreis Düren stays a Kreis


def test_trust_report_figures():
    from matching.evaluation import Planted, diverse_top, trust_report

    n = 6
    S = np.zeros((n, 4), np.float32)
    N = np.zeros((n, 4), np.float32)
    N[0, :3] = 2
    S[1, 0] = S[2, 1] = S[3, 2] = 3
    inp = E.MatchInput(ags=[str(i) for i in range(n)], strength=S, need=N)
    idx = np.full((n, 3), -1, np.int32)
    idx[0] = [1, 2, 3]
    idx[1] = [0, 2, -1]
    assert diverse_top(inp, idx) == 1.0  # only row 0 needs three topics, and gets all three
    idx2 = idx.copy()
    idx2[0] = [1, 1, 1]
    assert diverse_top(inp, idx2) == 0.0
    lat = np.array([50.0, 50.1, 50.2, 51.0, 50.0, 50.0])
    lon = np.full(n, 8.0)
    est = np.array([False, False, True, True, False, False])
    rep = trust_report(
        inp,
        idx,
        np.full(n, 2),
        Planted([], {}),
        estimated=est,
        no_coord=np.array([True, False, False, False, False, False]),
        true_lat=lat,
        true_lon=lon,
    )
    assert rep["max_appearances"] == 2 and rep["cap"] == 2
    assert rep["never_suggested"] == pytest.approx(2 / 6)  # 4 and 5
    assert rep["estimate_slot_share"] == pytest.approx(3 / 5)  # 2, 3 and 2 of five slots
    assert rep["median_km_no_coordinates"] == pytest.approx(E.haversine_km(50.0, 8.0, 50.2, 8.0), rel=1e-6)


def test_update_one_reuses_the_diversified_order_and_equals_a_full_recompute():
    inp = _world(2500, 6, estimated=0.2, no_coords=0.05, supers=3)
    p = E.MatchParams(k=10)
    result = E.compute(inp, p)
    rng = np.random.default_rng(3)
    for i in (0, 17, 1234):
        inp.strength[i] = rng.integers(0, 4, inp.strength.shape[1])
        inp.need[i] = rng.integers(0, 4, inp.need.shape[1])
        result = E.update_one(inp, result, i)
    full = E.compute(inp, p)
    np.testing.assert_array_equal(result.pool_idx, full.pool_idx)
    np.testing.assert_array_equal(result.div_idx, full.div_idx)
    np.testing.assert_array_equal(result.idx, full.idx)
    # a result rebuilt from stored arrays (no diversified order kept) gives the same update
    r = result
    stored = E.MatchResult(r.idx, r.score, r.distance_km, r.pool_idx, r.pool_score, p)
    inp.strength[5] = np.roll(inp.strength[5], 3)
    np.testing.assert_array_equal(E.update_one(inp, stored, 5).idx, E.update_one(inp, result, 5).idx)
