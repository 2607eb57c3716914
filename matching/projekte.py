"""Shared-project proposals and duplication reports ("one does it, many reuse it").

For each topic the Kommunen that need it or plan/run a project on it and lie close together are
grouped (Louvain communities on a proximity graph); the most experienced Kommune is proposed as
lead, nearby Kommunen that already finished it as sources for Nachnutzung. Where an open shared
project on the topic already runs nearby, the Kommunen close to it are proposed to join it instead
of forming a group of their own. Pure numpy/scikit-learn/networkx: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from matching.geo import EARTH_RADIUS_KM, haversine_km
from matching.vocabulary import PROJECT_STATUSES, TOPIC_LABELS_DE, TOPIC_SLUGS

# Project status codes of the status matrix; 0 means "no project on this topic".
STATUS_NONE = 0
STATUS_CODES: dict[str | None, int] = {None: STATUS_NONE, "geplant": 1, "laufend": 2, "abgeschlossen": 3}
STATUS_GEPLANT, STATUS_LAUFEND, STATUS_ABGESCHLOSSEN = 1, 2, 3
assert tuple(s for s in STATUS_CODES if s) == PROJECT_STATUSES

# Experience weight of a project status, added to the strength level (0..3): a finished project is
# hands-on experience with exactly this procedure, worth as much as the top self-declared strength.
_STATUS_EXPERIENCE = np.array([0.0, 0.0, 1.0, 3.0])


@dataclass(frozen=True)
class KommuneProfile:
    """One Kommune's position and per-topic state, the convenient form for small inputs and tests."""

    ags: str
    name: str
    lat: float
    lon: float
    reach_km: float = 40.0
    kreis: str | None = None
    land: str | None = None
    needs: Mapping[str, int] = field(default_factory=dict)
    strengths: Mapping[str, int] = field(default_factory=dict)
    projects: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TopicStates:
    """All Kommunen × topics as arrays (need, strength 0..3; project status code), fast for ~11,000 rows."""

    ags: tuple[str, ...]
    names: tuple[str, ...]
    lat: np.ndarray
    lon: np.ndarray
    reach_km: np.ndarray
    need: np.ndarray
    strength: np.ndarray
    project: np.ndarray
    kreis: tuple[str | None, ...] | None = None
    land: tuple[str | None, ...] | None = None
    topics: tuple[str, ...] = TOPIC_SLUGS

    def __post_init__(self) -> None:
        n, t = len(self.ags), len(self.topics)
        if len(set(self.ags)) != n:
            raise ValueError("AGS must be unique")
        if len(self.names) != n:
            raise ValueError(f"names: expected {n} entries, got {len(self.names)}")
        for name in ("lat", "lon", "reach_km"):
            arr = np.asarray(getattr(self, name), dtype=float)
            if arr.shape != (n,):
                raise ValueError(f"{name}: expected shape ({n},), got {arr.shape}")
            object.__setattr__(self, name, arr)
        for name in ("need", "strength", "project"):
            arr = np.asarray(getattr(self, name), dtype=np.int8).reshape(n, t)
            hi = 3
            if arr.size and (arr.min() < 0 or arr.max() > hi):
                raise ValueError(f"{name}: values must lie in 0..{hi}")
            object.__setattr__(self, name, arr)
        for name in ("kreis", "land"):
            value = getattr(self, name)
            if value is not None and len(value) != n:
                raise ValueError(f"{name}: expected {n} entries, got {len(value)}")
        unknown = [s for s in self.topics if s not in TOPIC_LABELS_DE]
        if unknown:
            raise ValueError(f"unknown topic slugs: {unknown}")

    @property
    def n(self) -> int:
        """Number of Kommunen."""
        return len(self.ags)

    @classmethod
    def from_profiles(
        cls, profiles: Sequence[KommuneProfile], topics: Sequence[str] = TOPIC_SLUGS
    ) -> TopicStates:
        """Build the arrays from per-Kommune profiles, rejecting unknown slugs and levels by name."""
        topics = tuple(topics)
        index = {slug: i for i, slug in enumerate(topics)}
        n, t = len(profiles), len(topics)
        need = np.zeros((n, t), dtype=np.int8)
        strength = np.zeros((n, t), dtype=np.int8)
        project = np.zeros((n, t), dtype=np.int8)
        for row, p in enumerate(profiles):
            for label, source, target in (("needs", p.needs, need), ("strengths", p.strengths, strength)):
                for slug, level in source.items():
                    if slug not in index:
                        raise ValueError(f"{p.ags}: {label}: unknown topic {slug!r}")
                    if not isinstance(level, int) or not 0 <= level <= 3:
                        raise ValueError(f"{p.ags}: {label}[{slug}]: level must be 0..3, got {level!r}")
                    target[row, index[slug]] = level
            for slug, status in p.projects.items():
                if slug not in index:
                    raise ValueError(f"{p.ags}: projects: unknown topic {slug!r}")
                if status not in PROJECT_STATUSES:
                    raise ValueError(f"{p.ags}: projects[{slug}]: unknown status {status!r}")
                project[row, index[slug]] = STATUS_CODES[status]
        return cls(
            ags=tuple(p.ags for p in profiles),
            names=tuple(p.name for p in profiles),
            lat=np.array([p.lat for p in profiles], dtype=float),
            lon=np.array([p.lon for p in profiles], dtype=float),
            reach_km=np.array([p.reach_km for p in profiles], dtype=float),
            need=need,
            strength=strength,
            project=project,
            kreis=tuple(p.kreis for p in profiles),
            land=tuple(p.land for p in profiles),
            topics=topics,
        )

    def interested(self, topic_col: int) -> np.ndarray:
        """Who works on the topic: needs it (need ≥ 1) or has a planned or running project."""
        status = self.project[:, topic_col]
        return (self.need[:, topic_col] >= 1) | (status == STATUS_GEPLANT) | (status == STATUS_LAUFEND)

    def experience(self, topic_col: int) -> np.ndarray:
        """Strength level plus the weight of the project status: who is best placed to lead."""
        return self.strength[:, topic_col].astype(float) + _STATUS_EXPERIENCE[self.project[:, topic_col]]


@dataclass(frozen=True)
class OpenProject:
    """An existing shared project that Kommunen can still join (any status but closed)."""

    id: int
    thema: str
    titel: str
    lead_ags: str
    lead_name: str
    # AGS of the Kommunen that joined, the lead included; those with a row in the states anchor
    # the project's place ("in der Nähe" means near one of them).
    members: tuple[str, ...]


@dataclass(frozen=True)
class ProjectProposal:
    """A proposed shared project: who joins, who leads, whose finished solution can be reused.

    With `existing_project_id` set, the proposal is to join that open project: `members` are then
    the Kommunen nearby that could join it (not its current members) and `lead_ags` its lead.
    """

    thema: str
    lead_ags: str
    members: tuple[str, ...]
    reuse_from: tuple[str, ...]
    explanation_de: str
    span_km: float
    score: float
    existing_project_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of `projekte suggest --json`."""
        return {
            "thema": self.thema,
            "lead_ags": self.lead_ags,
            "members": list(self.members),
            "reuse_from": list(self.reuse_from),
            "explanation_de": self.explanation_de,
            "span_km": round(self.span_km, 1),
            "score": round(self.score, 3),
            "existing_project_id": self.existing_project_id,
        }


@dataclass(frozen=True)
class DuplicationEntry:
    """How many Kommunen of one group (Kreis, Land, network) work separately on one topic."""

    group: str
    group_name: str
    thema: str
    count: int
    ags: tuple[str, ...]
    text_de: str

    def to_json(self) -> dict[str, Any]:
        """Plain-JSON form for APIs and the CLI."""
        return {
            "group": self.group,
            "group_name": self.group_name,
            "thema": self.thema,
            "count": self.count,
            "ags": list(self.ags),
            "text_de": self.text_de,
        }


@dataclass(frozen=True)
class _Pairs:
    """All unordered pairs (i < j) within a radius, with their distance: the sparse proximity structure."""

    i: np.ndarray
    j: np.ndarray
    d: np.ndarray


def _near_pairs(states: TopicStates, radius_km: float) -> _Pairs:
    """Pairs of Kommunen within radius_km via a haversine BallTree, never all n² pairs."""
    valid = np.flatnonzero(np.isfinite(states.lat) & np.isfinite(states.lon))
    if valid.size < 2:
        empty = np.zeros(0, dtype=np.int64)
        return _Pairs(empty, empty, np.zeros(0))
    coords = np.radians(np.column_stack([states.lat[valid], states.lon[valid]]))
    from sklearn.neighbors import BallTree  # here, not at import: scikit-learn costs seconds to load

    tree = BallTree(coords, metric="haversine")
    neighbours, dists = tree.query_radius(coords, r=radius_km / EARTH_RADIUS_KM, return_distance=True)
    counts = np.fromiter((len(x) for x in neighbours), dtype=np.int64, count=len(neighbours))
    src = np.repeat(np.arange(valid.size), counts)
    dst = np.concatenate(neighbours).astype(np.int64)
    dist = np.concatenate(dists) * EARTH_RADIUS_KM
    keep = src < dst
    return _Pairs(valid[src[keep]], valid[dst[keep]], dist[keep])


def _bisect(nodes: list[int], x: np.ndarray, y: np.ndarray, cap: int) -> list[list[int]]:
    """Cut a too-large community at the median of its longer extent until every part fits into cap."""
    if len(nodes) <= cap:
        return [nodes]
    idx = np.asarray(nodes)
    xs, ys = x[idx], y[idx]
    axis = xs if np.ptp(xs) >= np.ptp(ys) else ys
    # Node id as tie-break keeps the cut deterministic.
    order = idx[np.lexsort((idx, axis))]
    half = len(order) // 2
    return _bisect(order[:half].tolist(), x, y, cap) + _bisect(order[half:].tolist(), x, y, cap)


def _knn_edges(
    ei: np.ndarray, ej: np.ndarray, ed: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keep each node's k closest edges (union over both ends): a sparse graph Louvain handles fast."""
    src = np.concatenate([ei, ej])
    dst = np.concatenate([ej, ei])
    dist = np.concatenate([ed, ed])
    order = np.lexsort((dst, dist, src))
    src, dst, dist = src[order], dst[order], dist[order]
    starts = np.flatnonzero(np.r_[True, src[1:] != src[:-1]])
    rank = np.arange(src.size) - np.repeat(starts, np.diff(np.r_[starts, src.size]))
    keep = rank < k
    a, b, d = src[keep], dst[keep], dist[keep]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    _, first = np.unique(lo.astype(np.int64) * (int(hi.max()) + 1) + hi, return_index=True)
    return lo[first], hi[first], d[first]


def _louvain_first_level(
    nodes: list[int], adjacency: Mapping[int, Mapping[int, float]], resolution: float, seed: int
) -> list[set[int]]:
    """The first level of networkx's Louvain, ported step for step for a simple undirected graph.

    `adjacency` is the graph as networkx stores it (nodes in insertion order, each node's neighbours
    in the order the edges were added). The port repeats what nx.community.louvain_partitions does
    up to its first yield: it copies the graph (which reorders the neighbours), draws the node order
    with random.Random(seed).shuffle and moves nodes with the same float operations in the same
    order, so the communities are identical. It skips what that level never uses and what cost most
    of the time: the modularity of the singleton partition, networkx graph objects and views.
    """
    # louvain_partitions: graph = copy of G, edges added in G.edges() order (each edge once, from
    # the first of its ends in node order)
    adj: dict[int, dict[int, float]] = {u: {} for u in nodes}
    seen: set[int] = set()
    for u, nbrs_u in adjacency.items():
        for v, w in nbrs_u.items():
            if v not in seen:
                adj[u][v] = w
                adj[v][u] = w
        seen.add(u)
    degrees = {u: sum(adj[u].values()) for u in nodes}  # G.degree(weight="weight"), no self-loops
    m = sum(degrees.values()) / 2  # graph.size(weight="weight")
    if m == 0:
        return [{u} for u in nodes]
    # _one_level(graph, m, partition, resolution, is_directed=False, seed); its defaultdict of
    # neighbour-community weights is a plain dict here with the same insertion order (the node's
    # own community, read first, is appended last when no neighbour shares it)
    partition = [{u} for u in nodes]
    node2com = {u: i for i, u in enumerate(nodes)}
    stot = list(degrees.values())
    nbr_items = {u: [(v, w) for v, w in adj[u].items() if v != u] for u in nodes}
    rand_nodes = list(nodes)
    random.Random(seed).shuffle(rand_nodes)
    two_m2 = 2 * m**2
    nb_moves = 1
    while nb_moves > 0:
        nb_moves = 0
        for u in rand_nodes:
            best_mod = 0
            own = best_com = node2com[u]
            weights2com: dict[int, float] = {}
            get = weights2com.get
            for nbr, wt in nbr_items[u]:
                c = node2com[nbr]
                weights2com[c] = get(c, 0.0) + wt
            degree = degrees[u]
            stot[own] -= degree
            if own not in weights2com:
                weights2com[own] = 0.0
            remove_cost = -weights2com[own] / m + resolution * (stot[own] * degree) / two_m2
            for nbr_com, wt in weights2com.items():
                gain = remove_cost + wt / m - resolution * (stot[nbr_com] * degree) / two_m2
                if gain > best_mod:
                    best_mod = gain
                    best_com = nbr_com
            stot[best_com] += degree
            if best_com != own:
                partition[own].discard(u)
                partition[best_com].add(u)
                nb_moves += 1
                node2com[u] = best_com
    return [c for c in partition if c]


def _louvain_up_to(
    nodes: list[int],
    edges: list[tuple[int, int, float]],
    adjacency: Mapping[int, Mapping[int, float]],
    cap: int,
    resolution: float,
    seed: int,
) -> list[set[int]]:
    """The coarsest Louvain level whose communities all fit into cap (or the finest level).

    Higher levels only merge communities into blobs we would cut again, and computing them is the
    expensive part on large components, so the level walk stops at the first one that overflows.
    Levels are nested (each merges whole communities of the one before): when the first level
    already overflows (the usual case on a large component), it is the answer, computed by the
    lean port above; otherwise networkx walks the levels.
    """
    first = _louvain_first_level(nodes, adjacency, resolution, seed)
    if max(len(c) for c in first) > cap:
        return first
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(nodes)
    graph.add_weighted_edges_from(edges)
    chosen: list[set[int]] | None = None
    for partition in nx.community.louvain_partitions(
        graph, weight="weight", resolution=resolution, seed=seed
    ):
        if chosen is not None and max(len(c) for c in partition) > cap:
            break
        chosen = partition
    return chosen or [set(graph)]


def _groups_for_topic(
    states: TopicStates,
    pairs: _Pairs,
    edge_ok: np.ndarray,
    mask: np.ndarray,
    max_km: float,
    min_size: int,
    cap: int,
    seed: int,
    resolution: float,
    knn: int,
) -> list[list[int]]:
    """Group the masked Kommunen: components of the proximity graph; large ones split by Louvain.

    Louvain runs on the k-nearest-neighbour subgraph (fast); a community still larger than cap is cut
    by position; every resulting part is a connected piece, so each member has a neighbour within the
    distance bound in its group.
    """
    n = states.n
    sel = edge_ok & mask[pairs.i] & mask[pairs.j]
    ei, ej, ed = pairs.i[sel], pairs.j[sel], pairs.d[sel]
    if ei.size == 0:
        return []
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    adj = coo_matrix((np.ones(ei.size), (ei, ej)), shape=(n, n))
    _, labels = connected_components(adj, directed=False)
    sizes = np.bincount(labels[mask], minlength=labels.max() + 1)
    groups: list[list[int]] = []
    big_labels = []
    for lab in np.flatnonzero(sizes >= min_size):
        members = np.flatnonzero(mask & (labels == lab))
        if members.size <= cap:
            groups.append(members.tolist())
        else:
            big_labels.append(int(lab))
    if not big_labels:
        return groups
    in_big = np.isin(labels[ei], big_labels)
    ki, kj, kd = _knn_edges(ei[in_big], ej[in_big], ed[in_big], knn)
    # Closer pairs weigh more, so communities follow geography.
    weights = 1.0 - kd / (max_km + 1.0)
    edge_label = labels[ki]
    # Planar coordinates (km) for cutting oversized communities.
    x = np.radians(states.lon) * np.cos(np.radians(np.nan_to_num(states.lat))) * EARTH_RADIUS_KM
    y = np.radians(states.lat) * EARTH_RADIUS_KM
    for lab in big_labels:
        members = np.flatnonzero(mask & (labels == lab)).tolist()
        on = edge_label == lab
        # The graph as plain dicts, in networkx's layout (nodes, then each edge at both ends in
        # the order added): a networkx graph is only built when Louvain needs more than one level.
        edges = list(zip(ki[on].tolist(), kj[on].tolist(), weights[on].tolist(), strict=True))
        adjacency: dict[int, dict[int, float]] = {u: {} for u in members}
        for u, v, w in edges:
            adjacency[u][v] = w
            adjacency[v][u] = w
        communities = _louvain_up_to(members, edges, adjacency, cap, resolution, seed)
        parts: list[list[int]] = []
        for community in sorted(communities, key=min):
            for chunk in _bisect(sorted(community), x, y, cap):
                # A cut may disconnect a chunk; keep each connected piece on its own.
                parts.extend(sorted(p) for p in _chunk_components(adjacency, chunk))
        kept = [p for p in parts if len(p) >= min_size]
        leftovers = [v for p in parts if len(p) < min_size for v in p]
        groups.extend(_attach_leftovers(kept, leftovers, adjacency, cap))
    return groups


def _chunk_components(adjacency: Mapping[int, Mapping[int, float]], chunk: list[int]) -> list[set[int]]:
    """Connected pieces of the subgraph induced by chunk, in networkx's order.

    Same result and order as nx.connected_components(G.subgraph(chunk)): a subgraph view walks its
    node set (built from chunk) when that is less than half the graph, else the graph's nodes.
    """
    inside = set(v for v in chunk)  # noqa: C401 - built element by element, like networkx's filter
    order = inside if 2 * len(inside) < len(adjacency) else [v for v in adjacency if v in inside]
    seen: set[int] = set()
    out = []
    for start in order:
        if start in seen:
            continue
        comp = {start}
        level = [start]
        while level and len(comp) < len(inside):
            nxt = []
            for v in level:
                for w in adjacency[v]:
                    if w in inside and w not in comp:
                        comp.add(w)
                        nxt.append(w)
            level = nxt
        seen |= comp
        out.append(comp)
    return out


def _attach_leftovers(
    groups: list[list[int]], leftovers: list[int], adjacency: Mapping[int, Mapping[int, float]], cap: int
) -> list[list[int]]:
    """Put Kommunen cut off in too-small pieces into the adjacent group with room (heaviest edge)."""
    owner = {v: g for g, members in enumerate(groups) for v in members}
    for v in sorted(leftovers):
        best: tuple[float, int] | None = None
        for u, weight in adjacency[v].items():
            g = owner.get(u)
            if g is not None and len(groups[g]) < cap:
                cand = (-weight, g)
                if best is None or cand < best:
                    best = cand
        if best is not None:
            groups[best[1]].append(v)
            owner[v] = best[1]
    return [sorted(g) for g in groups]


def _radius_text(km: float) -> int:
    """Round a radius up to whole kilometres (at least 1) for the German text."""
    return max(1, math.ceil(km - 1e-9))


def _lead_clause(name: str, status: int, strength: int) -> str:
    """Why this Kommune should lead, in German."""
    if status == STATUS_ABGESCHLOSSEN:
        return f"{name} hat das Projekt bereits abgeschlossen und kann die Federführung übernehmen"
    if status == STATUS_LAUFEND:
        return f"{name} hat bereits ein laufendes Projekt und kann die Federführung übernehmen"
    if strength >= 1:
        return f"{name} bringt Erfahrung mit (Stärke {strength} von 3) und kann die Federführung übernehmen"
    return f"Vorschlag für die Federführung: {name}"


def propose_projects(
    states: TopicStates,
    topics: Iterable[str] | None = None,
    *,
    max_km: float = 40.0,
    min_size: int = 3,
    max_size: int = 12,
    reuse_km: float | None = None,
    max_reuse: int = 3,
    in_shared_project: Mapping[str, Collection[str]] | None = None,
    open_projects: Sequence[OpenProject] = (),
    seed: int = 0,
    resolution: float = 1.0,
    knn: int = 8,
) -> list[ProjectProposal]:
    """Propose shared projects per topic for Kommunen that work on it separately and lie close together.

    Edge between i and j when their distance ≤ min(reach_i, reach_j, max_km). Groups hold min_size to
    max_size Kommunen; one seat is kept for an experienced lead from outside the interested set (a
    Kommune nearby that finished the project or has strength ≥ 2). `in_shared_project` maps topic →
    AGS already in a shared project on it; they are left out, as are the members of `open_projects`.
    An interested Kommune with an edge to a member of an open project on the topic is proposed to
    join that project (one proposal per project, with `existing_project_id`; a single Kommune is
    enough) and is not put into a new group on the topic. Sorted by score, best first.
    """
    if min_size < 2 or max_size < min_size + 1:
        raise ValueError("need 2 ≤ min_size < max_size")
    reuse_km = max_km if reuse_km is None else reuse_km
    topic_list = list(states.topics if topics is None else topics)
    col = {slug: i for i, slug in enumerate(states.topics)}
    for slug in topic_list:
        if slug not in col:
            raise ValueError(f"unknown topic {slug!r}")
    n = states.n
    pairs = _near_pairs(states, max(max_km, reuse_km))
    reach = states.reach_km
    edge_ok = pairs.d <= np.minimum(np.minimum(reach[pairs.i], reach[pairs.j]), max_km)
    reuse_ok = pairs.d <= reuse_km
    # Directed view for "who is near a member" look-ups.
    di = np.concatenate([pairs.i, pairs.j])
    dj = np.concatenate([pairs.j, pairs.i])
    dd = np.concatenate([pairs.d, pairs.d])
    d_edge_ok = np.concatenate([edge_ok, edge_ok])
    d_reuse_ok = np.concatenate([reuse_ok, reuse_ok])
    ags_index = {a: k for k, a in enumerate(states.ags)}
    projects_by_topic: dict[str, list[OpenProject]] = defaultdict(list)
    for project in open_projects:
        projects_by_topic[project.thema].append(project)

    proposals: list[ProjectProposal] = []
    for slug in topic_list:
        t = col[slug]
        projects = projects_by_topic.get(slug, [])
        excluded = np.zeros(n, dtype=bool)
        taken = (in_shared_project or {}).get(slug, ())
        for a in [*taken, *(a for p in projects for a in (p.lead_ags, *p.members))]:
            if a in ags_index:
                excluded[ags_index[a]] = True
        mask = states.interested(t) & ~excluded
        joinable = np.zeros(n, dtype=bool)
        if projects and mask.any():
            # Directed pairs from any Kommune to an interested one within both reaches.
            to_interested = d_edge_ok & mask[dj]
            src, dst = di[to_interested], dj[to_interested]
            for project in projects:
                anchors = [ags_index[a] for a in {project.lead_ags, *project.members} if a in ags_index]
                joiners = np.unique(dst[np.isin(src, anchors)])
                if joiners.size:
                    proposals.append(_join_proposal(states, slug, t, project, anchors, joiners.tolist()))
                    joinable[joiners] = True
        group_mask = mask & ~joinable
        if group_mask.sum() < min_size:
            continue
        groups = _groups_for_topic(
            states, pairs, edge_ok, group_mask, max_km, min_size, max_size - 1, seed, resolution, knn
        )
        if not groups:
            continue
        exp = states.experience(t)
        status = states.project[:, t]
        strength = states.strength[:, t]
        lab = np.full(n, -1, dtype=np.int64)
        for g, members in enumerate(groups):
            lab[members] = g
        # Outside Kommunen that can lead (finished it, or strength ≥ 2) or be reused (finished it);
        # those proposed to join an open project are not "outside".
        can_lead = ~mask & ~excluded & ((status == STATUS_ABGESCHLOSSEN) | (strength >= 2))
        finished = ~mask & (status == STATUS_ABGESCHLOSSEN)
        near = lab[di] >= 0
        lead_sel = near & d_edge_ok & can_lead[dj]
        reuse_sel = near & d_reuse_ok & finished[dj]
        lead_cands: dict[int, dict[int, int]] = defaultdict(dict)
        for g, c in zip(lab[di[lead_sel]].tolist(), dj[lead_sel].tolist(), strict=True):
            lead_cands[g][c] = lead_cands[g].get(c, 0) + 1
        reuse_cands: dict[int, dict[int, float]] = defaultdict(dict)
        for g, c, d in zip(
            lab[di[reuse_sel]].tolist(), dj[reuse_sel].tolist(), dd[reuse_sel].tolist(), strict=True
        ):
            reuse_cands[g][c] = min(d, reuse_cands[g].get(c, math.inf))

        for g, members in enumerate(groups):
            proposals.append(
                _make_proposal(
                    states, slug, t, members, lead_cands.get(g, {}), reuse_cands.get(g, {}), exp, max_reuse
                )
            )
    proposals.sort(key=lambda p: (-p.score, p.thema, p.lead_ags))
    return proposals


def _join_proposal(
    states: TopicStates,
    slug: str,
    t: int,
    project: OpenProject,
    anchors: list[int],
    joiners: list[int],
) -> ProjectProposal:
    """Propose to the Kommunen near an open project on the topic that they join it."""
    ags = states.ags
    near = sorted(joiners, key=lambda k: ags[k])
    place = sorted({*anchors, *near})
    lat, lon = states.lat[place], states.lon[place]
    span = float(np.nanmax(haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])))
    size = len({project.lead_ags, *project.members})
    names = ", ".join(states.names[k] for k in near)
    verb = "kann" if len(near) == 1 else "können"
    text = (
        f"Zu {TOPIC_LABELS_DE[slug]} gibt es schon ein gemeinsames Projekt in der Nähe: „{project.titel}“ "
        f"(Federführung: {project.lead_name}, {size} {'Mitglied' if size == 1 else 'Mitglieder'}). "
        f"{names} {verb} ihm beitreten, statt getrennt daran zu arbeiten."
    )
    need_sum = float(states.need[near, t].sum())
    running = float(np.isin(states.project[near, t], (STATUS_GEPLANT, STATUS_LAUFEND)).sum())
    # Like a new group's score; the project's members stand in for an experienced lead.
    score = need_sum + running + float(size)
    return ProjectProposal(
        thema=slug,
        lead_ags=project.lead_ags,
        members=tuple(ags[k] for k in near),
        reuse_from=(),
        explanation_de=text,
        span_km=span,
        score=score,
        existing_project_id=project.id,
    )


def _make_proposal(
    states: TopicStates,
    slug: str,
    t: int,
    members: list[int],
    lead_cands: Mapping[int, int],
    reuse_cands: Mapping[int, float],
    exp: np.ndarray,
    max_reuse: int,
) -> ProjectProposal:
    """Choose the lead and reuse sources of one group and write its German explanation."""
    ags = states.ags
    # Most experience first; ties by AGS so the result never depends on input order.
    best_member = min(members, key=lambda k: (-exp[k], ags[k]))
    lead = best_member
    if lead_cands:
        best_outside = min(lead_cands, key=lambda k: (-exp[k], -lead_cands[k], ags[k]))
        if exp[best_outside] > exp[best_member]:
            lead = best_outside
    group = sorted({*members, lead}, key=lambda k: ags[k])
    reuse = sorted((k for k in reuse_cands if k != lead), key=lambda k: (reuse_cands[k], ags[k]))[:max_reuse]

    lat, lon = states.lat[group], states.lon[group]
    span = float(haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :]).max())
    centre_lat, centre_lon = float(lat.mean()), float(lon.mean())
    radius = float(haversine_km(centre_lat, centre_lon, lat, lon).max())

    label = TOPIC_LABELS_DE[slug]
    status = int(states.project[lead, t])
    strength = int(states.strength[lead, t])
    text = (
        f"{len(members)} Kommunen im Umkreis von {_radius_text(radius)} km arbeiten getrennt an {label}; "
        f"{_lead_clause(states.names[lead], status, strength)}."
    )
    if reuse:
        names = ", ".join(states.names[k] for k in reuse)
        verb = "hat" if len(reuse) == 1 else "haben"
        text += f" Zur Nachnutzung: {names} {verb} das Projekt bereits abgeschlossen."
    need_sum = float(states.need[members, t].sum())
    running = float(np.isin(states.project[members, t], (STATUS_GEPLANT, STATUS_LAUFEND)).sum())
    # More members with stronger needs, an experienced lead and reusable solutions make a better project.
    score = need_sum + running + float(exp[lead]) + 2.0 * len(reuse)
    return ProjectProposal(
        thema=slug,
        lead_ags=ags[lead],
        members=tuple(ags[k] for k in group),
        reuse_from=tuple(ags[k] for k in reuse),
        explanation_de=text,
        span_km=span,
        score=score,
    )


_IM_PREFIXES = ("Kreis ", "Landkreis ", "Rhein-", "Netzwerk ", "Verbund ", "Zweckverband ", "Amt ", "Land ")
_IN_DER_PREFIXES = ("Städteregion ", "Region ", "Verbandsgemeinde ", "Samtgemeinde ", "Stadt ", "Gemeinde ")


def location_phrase_de(name: str) -> str:
    """German "im Kreis Düren" / "in der Städteregion Aachen" / "in Bayern" for a group name."""
    if name.startswith(("im ", "in ", "bei ")):
        return name
    if name.startswith(_IM_PREFIXES) or name.endswith(("kreis", "-Kreis")):
        return f"im {name}"
    if name.startswith(_IN_DER_PREFIXES):
        return f"in der {name}"
    return f"in {name}"


def duplication_report(
    states: TopicStates,
    group_by: Mapping[str, str | None] | None = None,
    group_names: Mapping[str, str] | None = None,
    *,
    topics: Iterable[str] | None = None,
    min_count: int = 2,
    in_shared_project: Mapping[str, Collection[str]] | None = None,
) -> list[DuplicationEntry]:
    """Per group and topic, the Kommunen that work on it separately, where at least min_count do.

    `group_by` maps AGS → group key (Kreis, Land or network id; default: the Kreis of `states`);
    `group_names` maps key → display name ("Kreis Düren"). Kommunen listed in `in_shared_project`
    (topic → AGS) already cooperate on that topic and are not counted. Largest groups first.
    """
    if group_by is None:
        kreis = states.kreis or (None,) * states.n
        group_by = dict(zip(states.ags, kreis, strict=True))
    keys = [group_by.get(a) for a in states.ags]
    has_key = np.array([k is not None for k in keys], dtype=bool)
    key_list = sorted({k for k in keys if k is not None})
    key_code = {k: c for c, k in enumerate(key_list)}
    codes = np.array([key_code[k] if k is not None else -1 for k in keys], dtype=np.int64)
    names = group_names or {}
    col = {slug: i for i, slug in enumerate(states.topics)}
    ags_index = {a: k for k, a in enumerate(states.ags)}
    entries: list[DuplicationEntry] = []
    for slug in states.topics if topics is None else topics:
        if slug not in col:
            raise ValueError(f"unknown topic {slug!r}")
        mask = states.interested(col[slug]) & has_key
        for a in (in_shared_project or {}).get(slug, ()):
            if a in ags_index:
                mask[ags_index[a]] = False
        if not mask.any():
            continue
        counts = np.bincount(codes[mask], minlength=len(key_list))
        for c in np.flatnonzero(counts >= min_count):
            key = key_list[c]
            members = np.flatnonzero(mask & (codes == c))
            name = names.get(key, key)
            text = (
                f"{len(members)} Kommunen {location_phrase_de(name)} arbeiten getrennt an "
                f"{TOPIC_LABELS_DE[slug]}"
            )
            entries.append(
                DuplicationEntry(
                    group=key,
                    group_name=name,
                    thema=slug,
                    count=len(members),
                    ags=tuple(sorted(states.ags[k] for k in members)),
                    text_de=text,
                )
            )
    entries.sort(key=lambda e: (-e.count, e.group, e.thema))
    return entries
