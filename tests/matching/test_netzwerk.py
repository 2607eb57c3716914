"""Known-answer tests for the network engine: graph measures, coverage, GraphML and JSON export."""

from __future__ import annotations

import io
import itertools
import json

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.netzwerk import (
    EDGE_PARTNERSHIP,
    EDGE_PROJECT,
    analyse,
    build_graph,
    coverage_matrix,
    graph_to_graphml_bytes,
    graph_to_json,
    suggest_outside_partners,
)


def members(*ags: str) -> list[tuple[str, str]]:
    """Members named after their AGS in capitals, enough for graph tests."""
    return [(a, a.upper()) for a in ags]


def path_graph(*ags: str) -> nx.Graph:
    """Partnerships along a chain a-b-c-…"""
    return build_graph(members(*ags), list(itertools.pairwise(ags)))


# --- build_graph ----------------------------------------------------------------------------------


def test_build_graph_counts_partnership_and_each_shared_project_as_one_tie():
    g = build_graph(
        members("a", "b", "c"),
        partnerships=[("a", "b"), ("b", "a")],  # the same partnership twice counts once
        shared_projects={"p1": ["a", "b", "c"], "p2": ["a", "b"]},
    )
    assert g.edges["a", "b"]["weight"] == 3.0
    assert g.edges["a", "b"]["kinds"] == [EDGE_PARTNERSHIP, EDGE_PROJECT]
    assert g.edges["a", "b"]["projects"] == ["p1", "p2"]
    assert g.edges["a", "c"]["weight"] == 1.0
    assert g.edges["a", "c"]["kinds"] == [EDGE_PROJECT]
    assert g.edges["a", "c"]["partnership"] is False
    assert g.nodes["b"]["name"] == "B"


def test_build_graph_ignores_outsiders_and_self_loops():
    g = build_graph(
        members("a", "b"), partnerships=[("a", "x"), ("a", "a")], shared_projects={"p": ["a", "x"]}
    )
    assert set(g.nodes) == {"a", "b"}
    assert g.number_of_edges() == 0


# --- analyse --------------------------------------------------------------------------------------


def test_path_of_three_middle_is_the_only_broker_with_betweenness_one():
    result = analyse(path_graph("a", "b", "c"))
    assert result.brokers == [("b", pytest.approx(1.0))]
    assert result.density == pytest.approx(2 / 3)  # 2 edges of 3 possible
    assert result.components == [{"a", "b", "c"}]
    assert result.isolated == []


def test_path_of_five_betweenness_by_hand():
    result = analyse(path_graph("a", "b", "c", "d", "e"))
    # c lies on a–d, a–e, b–d, b–e: 4 of 6 pairs among the other four; b on a–c, a–d, a–e: 3 of 6.
    assert result.brokers[0] == ("c", pytest.approx(4 / 6))
    assert dict(result.brokers) == {
        "c": pytest.approx(4 / 6),
        "b": pytest.approx(3 / 6),
        "d": pytest.approx(3 / 6),
    }
    assert [a for a, _ in result.brokers] == ["c", "b", "d"]  # ties by AGS
    assert result.density == pytest.approx(4 / 10)


def test_star_centre_is_the_broker_and_leaves_are_not():
    g = build_graph(members("h", "l1", "l2", "l3", "l4"), [("h", f"l{i}") for i in range(1, 5)])
    result = analyse(g)
    assert result.brokers == [("h", pytest.approx(1.0))]
    assert result.density == pytest.approx(4 / 10)


def test_two_components_and_an_isolated_member():
    g = build_graph(members("a", "b", "c", "d", "e", "z"), [("a", "b"), ("b", "c"), ("d", "e")])
    result = analyse(g)
    assert result.components == [{"a", "b", "c"}, {"d", "e"}, {"z"}]
    assert result.isolated == ["z"]
    assert result.density == pytest.approx(3 / 15)
    assert result.n_members == 6 and result.n_edges == 3


def test_top_brokers_limits_the_list():
    result = analyse(path_graph("a", "b", "c", "d", "e"), top_brokers=1)
    assert result.brokers == [("c", pytest.approx(4 / 6))]


def test_communities_separate_two_cliques_joined_by_one_bridge():
    left = ["a1", "a2", "a3", "a4"]
    right = ["b1", "b2", "b3", "b4"]
    pairs = [(x, y) for grp in (left, right) for i, x in enumerate(grp) for y in grp[i + 1 :]]
    g = build_graph(members(*left, *right), [*pairs, ("a1", "b1")])
    result = analyse(g)
    assert sorted(map(sorted, result.communities)) == [left, right]
    assert {a for a, _ in result.brokers[:2]} == {"a1", "b1"}


def test_empty_graph_has_sensible_zero_values():
    result = analyse(build_graph([], []))
    assert result.density == 0.0
    assert result.components == [] and result.isolated == [] and result.brokers == []
    assert result.communities == []
    assert json.loads(json.dumps(result.to_json()))["n_members"] == 0


def test_single_member_is_isolated_with_density_zero():
    result = analyse(build_graph(members("a"), []))
    assert result.density == 0.0
    assert result.components == [{"a"}]
    assert result.isolated == ["a"]
    assert result.brokers == []


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=12), st.data())
def test_density_matches_definition_and_components_partition_nodes(n, data):
    ags = [f"k{i:02d}" for i in range(n)]
    possible = [(a, b) for i, a in enumerate(ags) for b in ags[i + 1 :]]
    edges = data.draw(st.lists(st.sampled_from(possible), unique=True) if possible else st.just([]))
    result = analyse(build_graph(members(*ags), edges))
    expected = 0.0 if n < 2 else len(edges) / (n * (n - 1) / 2)
    assert result.density == pytest.approx(expected)
    covered = [a for c in result.components for a in c]
    assert sorted(covered) == ags
    assert all(b > 0 for _, b in result.brokers)


# --- coverage -------------------------------------------------------------------------------------


def test_coverage_lists_teachers_strongest_first_and_uncovered_needs():
    cov = coverage_matrix(
        ["a", "b", "c"],
        strengths={"a": {"e-akte": 2}, "b": {"e-akte": 3, "chatbot": 1}, "x": {"open-data": 3}},
        needs={"c": {"e-akte": 2, "open-data": 1}, "b": {"chatbot": 2}, "a": {"glasfaserausbau": 0}},
    )
    assert cov.teachers_by_topic == {"chatbot": ["b"], "e-akte": ["b", "a"]}
    # open-data: only an outsider teaches it; chatbot: b teaches itself, which does not count.
    assert cov.uncovered_needs == {"chatbot": ["b"], "open-data": ["c"]}


def test_suggest_outside_partners_ranks_by_level_then_distance():
    partners = suggest_outside_partners(
        {"open-data": ["c"], "fim": ["c"]},
        {"x": {"open-data": 2}, "y": {"open-data": 3}, "z": {"open-data": 3}, "w": {"e-akte": 3}},
        distances_km={"x": 5.0, "y": 80.0, "z": 20.0},
        k=2,
    )
    assert [p.ags for p in partners["open-data"]] == ["z", "y"]
    assert partners["open-data"][0].level == 3 and partners["open-data"][0].distance_km == 20.0
    assert "fim" not in partners  # nobody teaches it


def test_suggest_outside_partners_unknown_distance_ranks_last_and_exclude_works():
    partners = suggest_outside_partners(
        {"open-data": ["c"]},
        {"x": {"open-data": 2}, "y": {"open-data": 2}, "z": {"open-data": 2}},
        distances_km={"y": 30.0},
        exclude={"z"},
    )
    assert [p.ags for p in partners["open-data"]] == ["y", "x"]


# --- export ---------------------------------------------------------------------------------------


def test_graphml_round_trip_keeps_nodes_edges_and_attributes():
    g = build_graph(
        members("05358028", "05358024", "05358008"),
        partnerships=[("05358028", "05358024")],
        shared_projects={"hund-1": ["05358028", "05358024", "05358008"]},
    )
    g.nodes["05358028"]["tags"] = {"andi", "kreis"}  # a set is not GraphML-safe by itself
    data = graph_to_graphml_bytes(g)
    assert data.startswith(b"<?xml")
    back = nx.read_graphml(io.BytesIO(data))
    assert set(back.nodes) == set(g.nodes)
    assert {frozenset(e) for e in back.edges} == {frozenset(e) for e in g.edges}
    edge = back.edges["05358028", "05358024"]
    assert edge["weight"] == 2.0
    assert edge["partnership"] is True
    assert edge["kinds"] == "partnerschaft,projekt"
    assert edge["projects"] == "hund-1"
    assert back.nodes["05358028"]["name"] == "05358028".upper()
    assert back.nodes["05358028"]["tags"] == "andi,kreis"


def test_graphml_unifies_mixed_numeric_types():
    g = nx.Graph()
    g.add_node("a", score=1)
    g.add_node("b", score=2.5)
    back = nx.read_graphml(io.BytesIO(graph_to_graphml_bytes(g)))
    assert back.nodes["a"]["score"] == 1.0 and back.nodes["b"]["score"] == 2.5


def test_graphml_of_empty_graph_is_readable():
    assert nx.read_graphml(io.BytesIO(graph_to_graphml_bytes(nx.Graph()))).number_of_nodes() == 0


def test_graph_json_is_deterministic_and_annotated():
    g = build_graph(members("a", "b", "c", "z"), [("a", "b"), ("b", "c")])
    result = analyse(g)
    first = graph_to_json(g, result, seed=7)
    assert first == graph_to_json(g, result, seed=7)
    json.dumps(first)  # plain JSON types only
    by_id = {n["id"]: n for n in first["nodes"]}
    assert set(by_id) == {"a", "b", "c", "z"}
    assert by_id["z"]["isolated"] is True and by_id["b"]["betweenness"] == pytest.approx(
        0.3333
    )  # a–c of 3 pairs
    assert by_id["a"]["community"] == by_id["b"]["community"] != by_id["z"]["community"]
    assert all(-1.0 <= n["x"] <= 1.0 and -1.0 <= n["y"] <= 1.0 for n in first["nodes"])
    assert [(link["source"], link["target"]) for link in first["links"]] == [("a", "b"), ("b", "c")]


def test_graph_json_handles_empty_and_single_node():
    assert graph_to_json(nx.Graph()) == {"nodes": [], "links": []}
    single = graph_to_json(build_graph(members("a"), []))
    assert [n["id"] for n in single["nodes"]] == ["a"] and single["links"] == []
