"""Synthetic profiles: valid, repeatable, and following the study's shares."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from matching.profiles import parse_profile, profile_to_dict
from matching.synthetic import KommuneFacts, draw_profiles, draw_profiles_with_types
from matching.taxonomy import TYPE_SHARE_BY_KIND
from matching.typology import classify
from matching.vocabulary import TYPES


def _kommunen(n: int, kind: str | None = None, seed: int = 0) -> list[KommuneFacts]:
    rng = np.random.default_rng(seed)
    kinds = ("kreis", "stadt", "gemeinde")
    return [
        KommuneFacts(
            ags=f"{i % 16 + 1:02d}{i:06d}",
            kind=kind or kinds[i % 3],
            population=int(rng.lognormal(8.5, 1.3)) + 100,
            lat=47.5 + rng.random() * 7,
            lon=6 + rng.random() * 9,
        )
        for i in range(n)
    ]


def test_repeatable_with_the_same_seed():
    ks = _kommunen(300)
    assert draw_profiles(ks, seed=42) == draw_profiles(ks, seed=42)
    assert draw_profiles(ks, seed=42) != draw_profiles(ks, seed=43)


def test_profiles_are_valid_and_sensible():
    ks = _kommunen(2000)
    profiles, types = draw_profiles_with_types(ks, seed=1)
    assert len(profiles) == len(types) == len(ks)
    assert [p.ags for p in profiles] == [k.ags for k in ks]
    for i, p in enumerate(profiles):
        assert parse_profile(profile_to_dict(p), record=i) == p  # passes the import validation
        assert not set(p.staerken) & set(p.bedarfe)  # no need for what one is strong in
        assert 1 <= len(p.ziele) <= 3
        assert p.offen_fuer
    assert 2 <= np.mean([len(p.staerken) for p in profiles]) <= 8
    assert 2 <= np.mean([len(p.bedarfe) for p in profiles]) <= 8
    assert any(p.projekte for p in profiles)


@pytest.mark.parametrize("kind", ["kreis", "stadt", "gemeinde"])
def test_type_shares_follow_table2(kind):
    n = 6000
    _, types = draw_profiles_with_types(_kommunen(n, kind=kind), seed=7)
    counts = Counter(types)
    for typ, share in zip(TYPES, TYPE_SHARE_BY_KIND[kind], strict=True):
        # 4 standard errors of a binomial share with n = 6000 is below 2.5 percentage points.
        assert counts[typ] / n * 100 == pytest.approx(share, abs=2.5)


def test_type_test_mostly_recovers_the_drawn_type():
    profiles, types = draw_profiles_with_types(_kommunen(3000), seed=3)
    hits = [classify(p.ziele).typ == t for p, t in zip(profiles, types, strict=True)]
    assert np.mean(hits) > 0.75


def test_types_differ_in_their_strengths():
    profiles, types = draw_profiles_with_types(_kommunen(8000), seed=5)
    by_type = {t: [p for p, tt in zip(profiles, types, strict=True) if tt == t] for t in TYPES}

    def rate(typ: str, topic: str) -> float:
        return np.mean([topic in p.staerken for p in by_type[typ]])

    # Community Manager teach local economy far more often than Bedächtige (Tabelle 14 + persona).
    assert rate("community-manager", "lokale-wirtschaft") > 2 * rate("bedaechtige", "lokale-wirtschaft")
    # Bedächtige want to learn data use more often than Serviceorientierte (persona card, Tabelle 11).
    need = {t: np.mean([("datennutzung" in p.bedarfe) for p in by_type[t]]) for t in TYPES}
    assert need["bedaechtige"] > 2 * need["serviceorientierte"]


def test_reach_grows_with_size():
    small = KommuneFacts("01000001", "gemeinde", 800, 54.0, 9.0)
    big = KommuneFacts("01000002", "stadt", 600_000, 54.0, 9.0)
    reach_small, reach_big = [], []
    for seed in range(20):
        a, b = draw_profiles([small, big], seed=seed)
        reach_small.append(a.reichweite_km)
        reach_big.append(b.reichweite_km)
    assert np.mean(reach_big) > np.mean(reach_small)


def test_unknown_kind_and_empty_input():
    assert draw_profiles([], seed=1) == []
    with pytest.raises(ValueError):
        draw_profiles([KommuneFacts("01000001", "dorf", 800, 54.0, 9.0)], seed=1)
