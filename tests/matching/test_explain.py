"""Explanations in German for both sides, from the score's components."""

from __future__ import annotations

import numpy as np

from matching.engine import MatchInput
from matching.explain import explain_pair
from matching.vocabulary import TOPIC_INDEX, TOPIC_SLUGS


def _pair() -> MatchInput:
    t = len(TOPIC_SLUGS)
    S, N = np.zeros((2, t), np.float32), np.zeros((2, t), np.float32)
    S[0, TOPIC_INDEX["digitallotsen"]] = 3
    N[1, TOPIC_INDEX["digitallotsen"]] = 3
    S[1, TOPIC_INDEX["it-sicherheit"]] = 2
    N[0, TOPIC_INDEX["it-sicherheit"]] = 2
    return MatchInput(
        ags=["05358004", "05358024"],
        strength=S,
        need=N,
        lat=np.array([50.87, 50.76]),
        lon=np.array([6.28, 6.28]),
        population=np.array([13900, 12600]),
        kreis=np.array([1, 1]),
        kind=np.array([0, 0]),
        type_idx=np.array([0, 2]),
    )


def test_both_sides_in_german():
    e = explain_pair(_pair(), 1, 0, ["Aldenhoven", "Kreuzau"])
    assert e.teaches_me == ["digitallotsen"]
    assert e.learns_from_me == ["it-sicherheit"]
    assert e.text_de_for_i.startswith(
        "Aldenhoven hat Erfahrung mit Digitallotsen, die Kreuzau aufbauen will; "
        "Kreuzau kann im Gegenzug bei IT-Sicherheit helfen; 12 km entfernt; ähnliche Größe"
    )
    assert "im selben Kreis" in e.text_de_for_i and "Kommunentypen ergänzen sich" in e.text_de_for_i
    assert e.text_de_for_j.startswith("Kreuzau hat Erfahrung mit IT-Sicherheit, die Aldenhoven aufbauen will")
    assert 11 < e.distance_km < 13
    assert e.parts["mutual"] > 0 and e.parts["score"] > 0


def test_one_way_and_empty_profiles():
    inp = _pair()
    inp.need[0] = 0
    e = explain_pair(inp, 0, 1, ["Aldenhoven", "Kreuzau"])
    assert e.text_de_for_i.startswith("Aldenhoven kann Kreuzau bei Digitallotsen unterstützen")
    inp.strength[:] = 0
    inp.need[:] = 0
    inp.lat[:] = np.nan
    e = explain_pair(inp, 0, 1, ["Aldenhoven", "Kreuzau"])
    assert "noch keine passenden Stärken und Bedarfe" in e.text_de_for_i
    assert e.distance_km is None and "km" not in e.text_de_for_i
