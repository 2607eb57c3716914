"""The type test: points as in the study, nearest centre, confidence, mixed types, German errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching.taxonomy import DEFINING_GOALS, GOAL_CENTRES
from matching.typology import (
    MIXED_THRESHOLD,
    TypeResult,
    TypeTestError,
    classify,
    points_from_ranking,
)
from matching.vocabulary import GOALS, TYPE_LABELS_DE, TYPES

rankings = st.lists(st.sampled_from(GOALS), min_size=1, max_size=3, unique=True)


def _centre_top3(typ: str) -> list[str]:
    centre = GOAL_CENTRES[TYPES.index(typ)]
    return [GOALS[i] for i in np.argsort(-centre, kind="stable")[:3]]


def test_points_are_three_two_one():
    pts = points_from_ranking(["effizienz", "buergernaehe", "innovation"])
    assert pts[GOALS.index("effizienz")] == 3
    assert pts[GOALS.index("buergernaehe")] == 2
    assert pts[GOALS.index("innovation")] == 1
    assert pts.sum() == 6 and np.count_nonzero(pts) == 3


def test_fewer_goals_give_fewer_points():
    assert points_from_ranking(["wirtschaft"]).tolist() == [3 if g == "wirtschaft" else 0 for g in GOALS]
    assert points_from_ranking(["wirtschaft", "innovation"]).sum() == 5


@pytest.mark.parametrize("typ", TYPES)
def test_centre_top_three_lands_on_its_own_type(typ):
    result = classify(_centre_top3(typ))
    assert result.typ == typ
    assert not result.mixed
    assert result.label_de == TYPE_LABELS_DE[typ]
    assert result.confidence > 0.3


@pytest.mark.parametrize("typ", TYPES)
def test_leading_defining_goal_alone_gives_the_type(typ):
    # Each type's first defining goal (Tabelle 1) is the goal on which its centre is highest.
    first = DEFINING_GOALS[typ][0]
    assert int(np.argmax(GOAL_CENTRES[TYPES.index(typ)])) == GOALS.index(first)
    assert classify([first]).typ == typ


def test_defining_goals_pairs():
    assert classify(["rechtliche-vorgaben", "foerdermittel"]).typ == "bedaechtige"
    assert classify(["effizienz", "leistungsangebot"]).typ == "optimierer"
    assert classify(["buergernaehe", "attraktivitaet"]).typ == "serviceorientierte"
    assert classify(["daseinsvorsorge", "wirtschaft", "zivilgesellschaft"]).typ == "community-manager"


def test_order_matters():
    assert classify(["effizienz", "buergernaehe"]).typ == "optimierer"
    assert classify(["buergernaehe", "effizienz"]).typ == "serviceorientierte"


def test_mixed_case_between_optimierer_and_community_manager():
    result = classify(["effizienz", "daseinsvorsorge", "wirtschaft"])
    assert result.mixed
    assert {result.typ, result.second} == {"optimierer", "community-manager"}
    assert result.confidence < MIXED_THRESHOLD
    assert result.label_de == "zwischen Optimierer und Community Manager"


def test_distances_are_euclidean_to_table1_centres():
    ranking = ["buergernaehe", "effizienz", "attraktivitaet"]
    pts = points_from_ranking(ranking)
    result = classify(ranking)
    for k, typ in enumerate(TYPES):
        assert result.distances[typ] == pytest.approx(float(np.linalg.norm(pts - GOAL_CENTRES[k])))


@pytest.mark.parametrize(
    ("ranking", "field", "fragment"),
    [
        ([], "ziele", "mindestens ein"),
        (["effizienz", "innovation", "wirtschaft", "foerdermittel"], "ziele", "höchstens 3"),
        (["effizienz", "digitalisierung"], "ziel_2", "Unbekanntes Digitalisierungsziel"),
        (["effizienz", "innovation", "effizienz"], "ziel_3", "mehrfach"),
        ("effizienz", "ziele", "Liste"),
        ([3], "ziel_1", "Unbekanntes"),
    ],
)
def test_invalid_rankings_are_rejected_in_german(ranking, field, fragment):
    with pytest.raises(TypeTestError) as info:
        classify(ranking)
    assert info.value.field == field
    assert fragment in info.value.message_de
    assert isinstance(info.value, ValueError)


def test_result_is_frozen():
    result = classify(["effizienz"])
    assert isinstance(result, TypeResult)
    with pytest.raises(AttributeError):
        result.typ = "bedaechtige"  # type: ignore[misc]


@given(rankings)
def test_any_valid_ranking_classifies_consistently(ranking):
    result = classify(ranking)
    assert result.typ in TYPES and result.second in TYPES and result.typ != result.second
    assert 0.0 <= result.confidence <= 1.0
    ordered = sorted(result.distances.values())
    assert result.distances[result.typ] == ordered[0]
    assert result.distances[result.second] == ordered[1]
    assert all(d >= 0 for d in ordered)
    assert result.mixed == (result.confidence < MIXED_THRESHOLD)
    if result.mixed:
        assert result.label_de.startswith("zwischen ")
    else:
        assert result.label_de == TYPE_LABELS_DE[result.typ]


@given(rankings)
def test_points_sum_to_rank_points(ranking):
    pts = points_from_ranking(ranking)
    assert pts.sum() == sum((3, 2, 1)[: len(ranking)])
    assert sorted(pts[pts > 0].tolist(), reverse=True) == list((3, 2, 1)[: len(ranking)])


@given(rankings)
def test_moving_towards_a_centre_never_loses_that_type(ranking):
    # k-means assignment invariant: a point on the segment between a respondent and its own centre
    # is still nearest to that centre.
    result = classify(ranking)
    pts = points_from_ranking(ranking)
    own = GOAL_CENTRES[TYPES.index(result.typ)]
    mid = (pts + own) / 2
    dist = np.linalg.norm(GOAL_CENTRES - mid, axis=1)
    assert TYPES[int(np.argmin(dist))] == result.typ
