"""matching/projekte.py ports networkx's Louvain first level "step for step" for speed. This pins the
port to networkx itself on random weighted graphs: a networkx release within the allowed range that
changed the first level (and so the project proposals) fails here, not silently in production."""

from __future__ import annotations

import random

import networkx as nx
import pytest

from matching.projekte import _louvain_first_level


def _random_graph(seed: int) -> nx.Graph:
    """A weighted graph with shuffled node labels, several components and isolated nodes."""
    rng = random.Random(seed)
    n = rng.randint(2, 80)
    labels = rng.sample(range(10_000), n)
    graph = nx.Graph()
    graph.add_nodes_from(labels)  # insertion order = the order the port receives
    p = rng.choice((0.02, 0.05, 0.1, 0.3))
    for i in range(n):
        for j in range(i + 1, n):
            if rng.random() < p:
                a, b = (labels[i], labels[j]) if rng.random() < 0.5 else (labels[j], labels[i])
                graph.add_edge(a, b, weight=rng.choice((1.0, 0.5, rng.uniform(0.01, 5.0))))
    return graph


def _canonical(partition) -> list[list[int]]:
    return sorted(sorted(c) for c in partition)


@pytest.mark.parametrize("seed", range(60))
def test_port_equals_networkx_first_level(seed):
    graph = _random_graph(seed)
    resolution = (1.0, 0.5, 1.7)[seed % 3]
    louvain_seed = seed * 7 + 1
    expected = next(
        nx.community.louvain_partitions(graph, weight="weight", resolution=resolution, seed=louvain_seed)
    )
    adjacency = {u: {v: d["weight"] for v, d in nbrs.items()} for u, nbrs in graph.adj.items()}
    got = _louvain_first_level(list(graph.nodes), adjacency, resolution, louvain_seed)
    assert _canonical(got) == _canonical(expected)


def test_the_comparison_can_fail():
    """A different seed gives a different first level on some graph (the test is not vacuous)."""
    differs = False
    for seed in range(40):
        graph = _random_graph(seed)
        if graph.number_of_edges() < 20:
            continue
        adjacency = {u: {v: d["weight"] for v, d in nbrs.items()} for u, nbrs in graph.adj.items()}
        ours = _louvain_first_level(list(graph.nodes), adjacency, 1.0, 1)
        theirs = next(nx.community.louvain_partitions(graph, weight="weight", resolution=1.0, seed=2))
        differs |= _canonical(ours) != _canonical(theirs)
    assert differs
