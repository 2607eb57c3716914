"""Network analysis for Kreis and network coordinators: who works with whom, who is isolated, who bridges.

A network is a graph of member Kommunen (nodes by AGS) with edges from partnerships and shared
projects. Pure networkx: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

import io
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx


EDGE_PARTNERSHIP = "partnerschaft"
EDGE_PROJECT = "projekt"


def build_graph(
    members: Sequence[tuple[str, str]],
    partnerships: Iterable[tuple[str, str]] = (),
    shared_projects: Mapping[str, Collection[str]] | None = None,
) -> nx.Graph:
    """Graph of the members: a partnership or each shared project adds 1 to an edge's weight.

    Edge attributes: `weight` (number of ties), `partnership` (bool), `projects` (sorted project ids),
    `kinds` (sorted subset of "partnerschaft", "projekt"). Ties to Kommunen outside `members` and
    self-loops are ignored: the graph describes this network only.
    """
    graph = _nx().Graph()
    for ags, name in members:
        graph.add_node(ags, name=name)

    def tie(a: str, b: str) -> dict[str, Any] | None:
        if a == b or a not in graph or b not in graph:
            return None
        if not graph.has_edge(a, b):
            graph.add_edge(a, b, weight=0.0, partnership=False, projects=[], kinds=[])
        return graph.edges[a, b]

    for a, b in partnerships:
        data = tie(a, b)
        if data is not None and not data["partnership"]:
            data["partnership"] = True
            data["weight"] += 1.0
    for project_id in sorted(shared_projects or {}, key=str):
        inside = sorted({a for a in (shared_projects or {})[project_id] if a in graph})
        for i, a in enumerate(inside):
            for b in inside[i + 1 :]:
                data = tie(a, b)
                if data is not None and project_id not in data["projects"]:
                    data["projects"].append(project_id)
                    data["weight"] += 1.0
    for _, _, data in graph.edges(data=True):
        data["projects"].sort(key=str)
        data["kinds"] = [
            kind
            for kind, present in ((EDGE_PARTNERSHIP, data["partnership"]), (EDGE_PROJECT, data["projects"]))
            if present
        ]
    return graph


def _nx():
    """networkx, imported where a graph is built or analysed (not at app start-up)."""
    import networkx

    return networkx


@dataclass(frozen=True)
class NetworkAnalysis:
    """The measures a coordinator reads off the network graph."""

    n_members: int
    n_edges: int
    density: float
    components: list[set[str]]
    isolated: list[str]
    brokers: list[tuple[str, float]]
    communities: list[set[str]]
    betweenness: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Plain-JSON form (sets become sorted lists)."""
        return {
            "n_members": self.n_members,
            "n_edges": self.n_edges,
            "density": self.density,
            "components": [sorted(c) for c in self.components],
            "isolated": list(self.isolated),
            "brokers": [{"ags": a, "betweenness": b} for a, b in self.brokers],
            "communities": [sorted(c) for c in self.communities],
        }


def _set_order(s: set[str]) -> tuple[int, str]:
    """Largest first, then by smallest AGS: a stable order for sets of members."""
    return (-len(s), min(s))


def analyse(graph: nx.Graph, *, top_brokers: int = 10, seed: int = 0) -> NetworkAnalysis:
    """Density, components, isolated members, brokers (betweenness > 0) and Louvain communities.

    Betweenness is normalised (networkx default: share of all other pairs' shortest paths through a
    node) and unweighted, since edge weights count ties, not distances.
    """
    n = graph.number_of_nodes()
    # nx.density is 0 for n ≤ 1; said explicitly so an empty or one-member network never divides by 0.
    density = float(_nx().density(graph)) if n > 1 else 0.0
    components = sorted((set(c) for c in _nx().connected_components(graph)), key=_set_order)
    isolated = sorted(_nx().isolates(graph))
    betweenness = _nx().betweenness_centrality(graph, normalized=True) if n else {}
    brokers = sorted(
        ((a, float(b)) for a, b in betweenness.items() if b > 1e-12), key=lambda x: (-x[1], x[0])
    )
    if graph.number_of_edges():
        communities = _nx().community.louvain_communities(graph, weight="weight", seed=seed)
        communities = sorted((set(c) for c in communities), key=_set_order)
    else:
        # Without edges every member is its own community; listing n singletons says nothing.
        communities = []
    return NetworkAnalysis(
        n_members=n,
        n_edges=graph.number_of_edges(),
        density=density,
        components=components,
        isolated=isolated,
        brokers=brokers[:top_brokers],
        communities=communities,
        betweenness={a: float(b) for a, b in betweenness.items()},
    )


@dataclass(frozen=True)
class Coverage:
    """Which topics the network can teach itself, and which members' needs nobody inside covers."""

    teachers_by_topic: dict[str, list[str]]
    uncovered_needs: dict[str, list[str]]


def coverage_matrix(
    members: Collection[str],
    strengths: Mapping[str, Mapping[str, int]],
    needs: Mapping[str, Mapping[str, int]],
    *,
    min_level: int = 1,
) -> Coverage:
    """Teachers per topic (strongest first) and, per topic, members whose need no other member teaches."""
    inside = set(members)
    teachers: dict[str, list[tuple[int, str]]] = {}
    for ags in inside:
        for slug, level in (strengths.get(ags) or {}).items():
            if level >= min_level:
                teachers.setdefault(slug, []).append((level, ags))
    teachers_by_topic = {
        slug: [a for _, a in sorted(rows, key=lambda r: (-r[0], r[1]))]
        for slug, rows in sorted(teachers.items())
    }
    uncovered: dict[str, list[str]] = {}
    for ags in sorted(inside):
        for slug, prio in (needs.get(ags) or {}).items():
            if prio < 1:
                continue
            # A Kommune cannot be its own teacher.
            if not any(t != ags for t in teachers_by_topic.get(slug, ())):
                uncovered.setdefault(slug, []).append(ags)
    return Coverage(teachers_by_topic=teachers_by_topic, uncovered_needs=dict(sorted(uncovered.items())))


@dataclass(frozen=True)
class OutsidePartner:
    """A Kommune outside the network that teaches a topic nobody inside covers."""

    ags: str
    level: int
    distance_km: float | None


def suggest_outside_partners(
    uncovered: Mapping[str, Collection[str]],
    outside_strengths: Mapping[str, Mapping[str, int]],
    distances_km: Mapping[str, float] | None = None,
    *,
    k: int = 3,
    exclude: Collection[str] = (),
) -> dict[str, list[OutsidePartner]]:
    """Per uncovered topic, up to k outside Kommunen that teach it: highest level, then nearest, then AGS."""
    distances_km = distances_km or {}
    skip = set(exclude)
    result: dict[str, list[OutsidePartner]] = {}
    for slug in sorted(uncovered):
        candidates = [
            OutsidePartner(ags, int(levels[slug]), distances_km.get(ags))
            for ags, levels in outside_strengths.items()
            if ags not in skip and levels.get(slug, 0) >= 1
        ]
        candidates.sort(
            key=lambda p: (-p.level, p.distance_km if p.distance_km is not None else math.inf, p.ags)
        )
        if candidates:
            result[slug] = candidates[:k]
    return result


def _graphml_value(value: Any) -> str | int | float | bool | None:
    """A value GraphML can store: bool/int/float/str; collections joined by commas; None dropped."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | str):
        return value
    if isinstance(value, Collection):
        return ",".join(
            str(v) for v in (sorted(value, key=str) if isinstance(value, set | frozenset) else value)
        )
    # numpy scalars and anything else with a numeric face
    if hasattr(value, "item"):
        return _graphml_value(value.item())
    return str(value)


def _unify(records: list[dict[str, Any]]) -> None:
    """Give each attribute one type across all records, as GraphML declares one type per key."""
    types: dict[str, set[type]] = {}
    for rec in records:
        for key, value in rec.items():
            types.setdefault(key, set()).add(type(value))
    for key, kinds in types.items():
        if len(kinds) <= 1:
            continue
        target: type = float if kinds <= {int, float} else str
        for rec in records:
            if key in rec:
                rec[key] = target(rec[key])


def graph_to_graphml_bytes(graph: nx.Graph) -> bytes:
    """GraphML for Gephi and yEd, with every attribute converted to a GraphML-safe type."""
    out = _nx().Graph()
    node_records = []
    for node, data in graph.nodes(data=True):
        rec = {k: v for k, v in ((k, _graphml_value(v)) for k, v in data.items()) if v is not None}
        rec.setdefault("label", str(data.get("name", node)))
        node_records.append((str(node), rec))
    edge_records = []
    for a, b, data in graph.edges(data=True):
        rec = {k: v for k, v in ((k, _graphml_value(v)) for k, v in data.items()) if v is not None}
        edge_records.append((str(a), str(b), rec))
    _unify([r for _, r in node_records])
    _unify([r for _, _, r in edge_records])
    out.add_nodes_from(node_records)
    out.add_edges_from(edge_records)
    buffer = io.BytesIO()
    _nx().write_graphml(out, buffer, encoding="utf-8")
    return buffer.getvalue()


def graph_to_json(
    graph: nx.Graph, analysis: NetworkAnalysis | None = None, *, seed: int = 0
) -> dict[str, list[dict[str, Any]]]:
    """Nodes and links with positions from a seeded spring layout, for drawing in the browser.

    Positions lie in [-1, 1]; the same graph and seed give the same picture. With an analysis, each
    node also carries its community index, betweenness and whether it is isolated.
    """
    positions = _nx().spring_layout(graph, seed=seed, weight="weight") if graph.number_of_nodes() else {}
    community_of: dict[str, int] = {}
    if analysis is not None:
        for index, community in enumerate(analysis.communities):
            for ags in community:
                community_of[ags] = index
    isolated = set(analysis.isolated) if analysis is not None else set()
    nodes = []
    for node in sorted(graph.nodes, key=str):
        x, y = positions.get(node, (0.0, 0.0))
        entry: dict[str, Any] = {
            "id": str(node),
            "name": str(graph.nodes[node].get("name", node)),
            "x": round(float(x), 4),
            "y": round(float(y), 4),
            "degree": int(graph.degree(node)),
        }
        if analysis is not None:
            entry["community"] = community_of.get(node)
            entry["betweenness"] = round(analysis.betweenness.get(node, 0.0), 4)
            entry["isolated"] = node in isolated
        nodes.append(entry)
    links = []
    for a, b, data in sorted(
        graph.edges(data=True), key=lambda e: (str(min(e[0], e[1])), str(max(e[0], e[1])))
    ):
        source, target = sorted((str(a), str(b)))
        links.append(
            {
                "source": source,
                "target": target,
                "weight": float(data.get("weight", 1.0)),
                "kinds": list(data.get("kinds", [])),
                "projects": [str(p) for p in data.get("projects", [])],
            }
        )
    return {"nodes": nodes, "links": links}
