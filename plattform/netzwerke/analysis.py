"""The coordinator's view of a network: graph measures, topic coverage, duplication, proposals, exports.

Rows in, matching.netzwerk / matching.projekte, plain data out; the views only render it.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

if TYPE_CHECKING:
    import networkx as nx

from matching.geo import haversine_km
from matching.netzwerk import (
    Coverage,
    NetworkAnalysis,
    OutsidePartner,
    analyse,
    build_graph,
    coverage_matrix,
    graph_to_graphml_bytes,
    graph_to_json,
    suggest_outside_partners,
)
from matching.projekte import DuplicationEntry, duplication_report
from matching.vocabulary import TOPIC_LABELS_DE
from plattform.core import formatting
from plattform.core.exports import csv_bytes
from plattform.core.text import append_text_row
from plattform.extensions import db
from plattform.kommunen.models import Kommune
from plattform.kontakte.models import Partnership
from plattform.netzwerke.models import Netzwerk
from plattform.profile.models import Profile, ProfileTopic
from plattform.projekte.models import ProjectProposal, ProjectProposalMember, SharedProject
from plattform.projekte.proposals import is_current, load_states, shared_project_ags
from plattform.projekte.services import shared_project_members_by_project


@dataclass(frozen=True)
class Edge:
    """A tie between two members, for the table alternative of the graph."""

    a: Kommune
    b: Kommune
    partnership: bool
    projects: list[SharedProject]


@dataclass(frozen=True)
class GraphView:
    """Everything the graph page shows."""

    members: list[Kommune]
    graph: nx.Graph
    analysis: NetworkAnalysis
    edges: list[Edge]
    json: dict
    by_ags: dict[str, Kommune]

    def names(self, ags_list) -> list[str]:
        """Short names for a collection of AGS, alphabetically."""
        return sorted(self.by_ags[a].short_name for a in ags_list)


def _members(netzwerk: Netzwerk) -> list[Kommune]:
    return sorted((m.kommune for m in netzwerk.mitglieder), key=lambda k: (k.name_search, k.ags))


def network_graph(netzwerk: Netzwerk) -> GraphView:
    """The members' graph (partnerships, joined shared projects) and its measures."""
    members = _members(netzwerk)
    ids = {k.id for k in members}
    by_id = {k.id: k for k in members}
    by_ags = {k.ags: k for k in members}
    partnerships: list[tuple[str, str]] = []
    if ids:
        rows = db.session.execute(
            sa.select(Partnership.kommune_a_id, Partnership.kommune_b_id).where(
                Partnership.kommune_a_id.in_(ids), Partnership.kommune_b_id.in_(ids)
            )
        ).all()
        partnerships = [(by_id[a].ags, by_id[b].ags) for a, b in rows]
    project_members = shared_project_members_by_project(ids) if ids else {}
    shared = {pid: [by_id[k].ags for k in kids if k in by_id] for pid, kids in project_members.items()}
    graph = build_graph([(k.ags, k.short_name) for k in members], partnerships, shared)
    result = analyse(graph)
    projects = {
        p.id: p
        for p in db.session.scalars(
            sa.select(SharedProject).where(SharedProject.id.in_(list(project_members)))
        )
    }
    edges = [
        Edge(
            a=by_ags[a],
            b=by_ags[b],
            partnership=bool(data["partnership"]),
            projects=[projects[pid] for pid in data["projects"] if pid in projects],
        )
        for a, b, data in sorted(
            graph.edges(data=True), key=lambda e: (by_ags[e[0]].name_search, by_ags[e[1]].name_search)
        )
    ]
    return GraphView(members, graph, result, edges, graph_to_json(graph, result), by_ags)


@dataclass(frozen=True)
class CoverageView:
    """The topic coverage of a network: who teaches what, which needs nobody inside covers."""

    members: list[Kommune]
    by_ags: dict[str, Kommune]
    coverage: Coverage
    needs_by_topic: dict[str, list[tuple[str, int]]]
    strengths: dict[str, dict[str, int]]
    outside: dict[str, list[OutsidePartner]]
    outside_kommunen: dict[str, Kommune]
    profiled: int

    def names(self, ags_list) -> list[str]:
        """Short names of members for a collection of AGS, alphabetically."""
        return sorted(self.by_ags[a].short_name for a in ags_list if a in self.by_ags)

    @property
    def topics(self) -> list[str]:
        """Topics anyone in the network teaches or needs, by German label."""
        slugs = set(self.coverage.teachers_by_topic) | set(self.needs_by_topic)
        return sorted(slugs, key=lambda s: TOPIC_LABELS_DE.get(s, s).lower())


def _centre(members: list[Kommune]) -> tuple[float, float] | None:
    points = [(k.lat, k.lon) for k in members if k.lat is not None and k.lon is not None]
    if not points:
        return None
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


def network_coverage(netzwerk: Netzwerk, *, k: int = 3) -> CoverageView:
    """Coverage matrix of the members and, for uncovered needs, the best partners outside."""
    members = _members(netzwerk)
    by_ags = {m.ags: m for m in members}
    profiles = (
        list(
            db.session.scalars(
                sa.select(Profile)
                .where(Profile.kommune_id.in_([m.id for m in members]))
                .options(selectinload(Profile.topics), selectinload(Profile.kommune))
            )
        )
        if members
        else []
    )
    strengths = {p.kommune.ags: p.staerken for p in profiles}
    needs = {p.kommune.ags: p.bedarfe for p in profiles}
    coverage = coverage_matrix(list(by_ags), strengths, needs)
    needs_by_topic: dict[str, list[tuple[str, int]]] = {}
    for ags, topic_needs in needs.items():
        for slug, prio in topic_needs.items():
            needs_by_topic.setdefault(slug, []).append((ags, prio))
    for rows in needs_by_topic.values():
        rows.sort(key=lambda r: (-r[1], by_ags[r[0]].name_search))

    outside: dict[str, list[OutsidePartner]] = {}
    outside_kommunen: dict[str, Kommune] = {}
    if coverage.uncovered_needs:
        rows = db.session.execute(
            sa.select(Kommune, ProfileTopic.thema, ProfileTopic.staerke)
            .join(Profile, Profile.kommune_id == Kommune.id)
            .join(ProfileTopic, ProfileTopic.profile_id == Profile.id)
            .where(
                ProfileTopic.thema.in_(list(coverage.uncovered_needs)),
                ProfileTopic.staerke >= 1,
                Kommune.active.is_(True),
                Kommune.id.not_in([m.id for m in members]),
            )
        ).all()
        outside_strengths: dict[str, dict[str, int]] = {}
        for kommune, thema, level in rows:
            outside_strengths.setdefault(kommune.ags, {})[thema] = level
            outside_kommunen[kommune.ags] = kommune
        centre = _centre(members)
        distances = {}
        if centre is not None:
            for ags, kommune in outside_kommunen.items():
                if kommune.lat is not None and kommune.lon is not None:
                    distances[ags] = float(haversine_km(centre[0], centre[1], kommune.lat, kommune.lon))
        outside = suggest_outside_partners(coverage.uncovered_needs, outside_strengths, distances, k=k)
    return CoverageView(
        members, by_ags, coverage, needs_by_topic, strengths, outside, outside_kommunen, len(profiles)
    )


def network_duplication(netzwerk: Netzwerk) -> list[DuplicationEntry]:
    """Topics that several members work on separately (members already in a shared project not counted)."""
    ids = [m.kommune_id for m in netzwerk.mitglieder]
    if not ids:
        return []
    loaded = load_states(ids)
    if loaded.states.n == 0:
        return []
    key = f"netzwerk-{netzwerk.id}"
    return duplication_report(
        loaded.states,
        dict.fromkeys(loaded.states.ags, key),
        {key: f"Netzwerk {netzwerk.name}"},
        in_shared_project=shared_project_ags(),
    )


def network_proposals(netzwerk: Netzwerk, *, min_inside: int = 2) -> list[ProjectProposal]:
    """Stored proposals with at least min_inside members of this network, best first."""
    ids = {m.kommune_id for m in netzwerk.mitglieder}
    if not ids:
        return []
    proposals = db.session.scalars(
        sa.select(ProjectProposal)
        .where(
            ProjectProposal.id.in_(
                sa.select(ProjectProposalMember.proposal_id).where(
                    ProjectProposalMember.kommune_id.in_(list(ids)), ProjectProposalMember.rolle == "mitglied"
                )
            )
        )
        .options(
            selectinload(ProjectProposal.entries).selectinload(ProjectProposalMember.kommune),
            selectinload(ProjectProposal.lead),
            selectinload(ProjectProposal.shared_project).selectinload(SharedProject.members),
            selectinload(ProjectProposal.shared_project).selectinload(SharedProject.lead),
        )
        .order_by(ProjectProposal.score.desc(), ProjectProposal.thema, ProjectProposal.id)
    )
    return [
        p
        for p in proposals
        if sum(k.id in ids for k in p.member_kommunen) >= min_inside and is_current(p, ids)
    ]


# --- exports -------------------------------------------------------------------------------------

MEMBER_COLUMNS = (
    "ags",
    "name",
    "art",
    "einwohner",
    "verbindungen",
    "partnerschaften",
    "gemeinsame_projekte",
    "betweenness",
    "gemeinschaft",
    "isoliert",
)
COVERAGE_COLUMNS = (
    "thema",
    "bezeichnung",
    "koennen_ags",
    "koennen",
    "bedarf_ags",
    "bedarf",
    "innen_abgedeckt",
)


def member_rows(view: GraphView) -> list[dict]:
    """One row per member with its ties and graph measures."""
    community = {a: i + 1 for i, c in enumerate(view.analysis.communities) for a in c}
    isolated = set(view.analysis.isolated)
    rows = []
    for k in view.members:
        ties = [d for _, _, d in view.graph.edges(k.ags, data=True)]
        rows.append(
            {
                "ags": k.ags,
                "name": k.name,
                "art": k.kind_label,
                "einwohner": k.population,
                "verbindungen": view.graph.degree(k.ags),
                "partnerschaften": sum(1 for d in ties if d["partnership"]),
                "gemeinsame_projekte": len({p for d in ties for p in d["projects"]}),
                "betweenness": round(view.analysis.betweenness.get(k.ags, 0.0), 4),
                "gemeinschaft": community.get(k.ags),
                "isoliert": "ja" if k.ags in isolated else "nein",
            }
        )
    return rows


def coverage_rows(view: CoverageView) -> list[dict]:
    """One row per topic anyone in the network teaches or needs."""
    rows = []
    for slug in view.topics:
        teachers = view.coverage.teachers_by_topic.get(slug, [])
        needing = [a for a, _ in view.needs_by_topic.get(slug, [])]
        uncovered = view.coverage.uncovered_needs.get(slug, [])
        rows.append(
            {
                "thema": slug,
                "bezeichnung": TOPIC_LABELS_DE.get(slug, slug),
                "koennen_ags": ";".join(teachers),
                "koennen": "; ".join(
                    f"{view.by_ags[a].short_name} ({view.strengths[a][slug]})" for a in teachers
                ),
                "bedarf_ags": ";".join(needing),
                "bedarf": "; ".join(view.by_ags[a].short_name for a in needing),
                "innen_abgedeckt": "nein" if uncovered else ("ja" if needing else "–"),
            }
        )
    return rows


def to_csv(rows: list[dict], columns: tuple[str, ...]) -> bytes:
    """CSV in the platform's one dialect (plattform.core.exports: ';', UTF-8 with BOM, CR LF)."""
    return csv_bytes(rows, columns)


def to_xlsx(sheets: list[tuple[str, tuple[str, ...], list[dict]]]) -> bytes:
    """A workbook with one sheet per table, bold header row."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, columns, rows in sheets:
        sheet = workbook.create_sheet(title)
        sheet.append(list(columns))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            append_text_row(sheet, [row.get(c) for c in columns])
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def graphml(view: GraphView) -> bytes:
    """GraphML for Gephi, with the measures as node attributes."""
    graph = view.graph.copy()
    community = {a: i + 1 for i, c in enumerate(view.analysis.communities) for a in c}
    for ags, data in graph.nodes(data=True):
        data["betweenness"] = float(view.analysis.betweenness.get(ags, 0.0))
        data["gemeinschaft"] = int(community.get(ags, 0))
        data["isoliert"] = ags in set(view.analysis.isolated)
        data["einwohner"] = int(view.by_ags[ags].population or 0)
    return graph_to_graphml_bytes(graph)


def density_percent(analysis: NetworkAnalysis) -> str:
    """Density as a percentage in the page's language ("13,3 %", "13.3%")."""
    value = 0.0 if math.isnan(analysis.density) else analysis.density * 100
    return formatting.percent(value, 1)


DUPLICATION_SORTS = ("thema", "anzahl")


@dataclass(frozen=True)
class DuplicationRow:
    """One line of the duplication table: a topic several members work on separately."""

    thema: str
    label: str
    count: int
    kommunen: list[str]
    experienced: list[str]


def duplication_rows(
    entries: list[DuplicationEntry], view: CoverageView, sort: str = "anzahl", descending: bool = True
) -> list[DuplicationRow]:
    """The duplication entries as table rows, sorted on the server (works without JavaScript)."""
    rows = [
        DuplicationRow(
            thema=e.thema,
            label=TOPIC_LABELS_DE.get(e.thema, e.thema),
            count=e.count,
            kommunen=view.names(e.ags),
            experienced=view.names(view.coverage.teachers_by_topic.get(e.thema, [])),
        )
        for e in entries
    ]
    return sort_duplication_rows(rows, sort, descending)


def duplication_sort(args) -> tuple[str, bool]:
    """The table's sort key and direction from request arguments (`sort`, `richtung`): by number of
    Kommunen, largest first, unless asked otherwise; by topic ascending when only `sort=thema` is given."""
    sort = args.get("sort") if args.get("sort") in DUPLICATION_SORTS else "anzahl"
    descending = args.get("richtung", "ab" if sort == "anzahl" else "auf") == "ab"
    return sort, descending


def sort_duplication_rows(rows: list[DuplicationRow], sort: str, descending: bool) -> list[DuplicationRow]:
    """Sort duplication rows by topic or by number of Kommunen (the network, Kreis and Land tables)."""
    if sort == "thema":
        return sorted(rows, key=lambda r: r.label.lower(), reverse=descending)
    return sorted(rows, key=lambda r: (r.count, r.label.lower()), reverse=descending)
