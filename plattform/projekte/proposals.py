"""Shared-project proposals and duplication reports: profiles in, matching.projekte, rows out.

The engine (matching.projekte) works on arrays; this module translates stored profiles and Kommunen
into its TopicStates and the stored shared projects into its exclusions and open projects, runs it
and persists the latest result so pages read it without recomputing.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from matching.projekte import (
    STATUS_CODES,
    DuplicationEntry,
    KommuneProfile,
    OpenProject,
    TopicStates,
    duplication_report,
    propose_projects,
)
from matching.projekte import (
    ProjectProposal as EngineProposal,
)
from matching.vocabulary import TOPIC_LABELS_DE
from plattform.core.clock import utcnow
from plattform.extensions import db
from plattform.kommunen.models import Kommune, Land
from plattform.profile.models import Profile, ProfileProject, ProfileTopic
from plattform.projekte.models import (
    ProjectDuplication,
    ProjectProposal,
    ProjectProposalMember,
    SharedProject,
    SharedProjectMember,
)

log = logging.getLogger(__name__)


def kreis_display_name(kreis: Kommune) -> str:
    """ "Kreis Düren", "Landkreis Karlsruhe", "Städteregion Aachen", "Mannheim": unambiguous in a sentence."""
    return kreis.display_name


@dataclass(frozen=True)
class LoadedStates:
    """The engine input and the Kommunen behind its rows."""

    states: TopicStates
    kommunen: dict[str, Kommune]


def _profile_query(kommune_ids: Collection[int] | None):
    stmt = (
        sa.select(Profile)
        .join(Kommune, Kommune.id == Profile.kommune_id)
        .where(Kommune.active.is_(True))
        .options(
            selectinload(Profile.topics),
            selectinload(Profile.projects),
            selectinload(Profile.kommune).selectinload(Kommune.kreis),
        )
        .order_by(Kommune.ags)
    )
    if kommune_ids is not None:
        stmt = stmt.where(Profile.kommune_id.in_(list(kommune_ids)))
    return stmt


def kommune_profile(profile: Profile) -> KommuneProfile:
    """The engine's view of one stored profile and its Kommune."""
    k = profile.kommune
    projects: dict[str, str] = {}
    for p in profile.projects:
        # Several projects on one topic: the most advanced status counts.
        if p.thema in TOPIC_LABELS_DE and STATUS_CODES.get(p.status, 0) > STATUS_CODES.get(
            projects.get(p.thema), 0
        ):
            projects[p.thema] = p.status
    kreis = k.kreis.ags if k.kreis is not None else (k.ags if k.is_kreis else None)
    return KommuneProfile(
        ags=k.ags,
        name=k.short_name,
        lat=k.lat if k.lat is not None else math.nan,
        lon=k.lon if k.lon is not None else math.nan,
        reach_km=float(profile.reichweite_km or 50),
        kreis=kreis,
        land=k.land_schluessel,
        needs={t: v for t, v in profile.bedarfe.items() if t in TOPIC_LABELS_DE},
        strengths={t: v for t, v in profile.staerken.items() if t in TOPIC_LABELS_DE},
        projects=projects,
    )


def load_states(kommune_ids: Collection[int] | None = None) -> LoadedStates:
    """TopicStates of all profiled active Kommunen (or of the given ones), with the Kommune per AGS."""
    profiles = list(db.session.scalars(_profile_query(kommune_ids)))
    rows = [kommune_profile(p) for p in profiles]
    return LoadedStates(TopicStates.from_profiles(rows), {p.kommune.ags: p.kommune for p in profiles})


@dataclass(frozen=True)
class SharedProjectState:
    """What the engine needs to know about the stored shared projects."""

    # Topic → AGS of Kommunen already in a shared project on it (lead, joined or invited, any status).
    in_project: dict[str, set[str]]
    # The projects not closed, which nearby Kommunen are proposed to join.
    open_projects: list[OpenProject]


def shared_project_state() -> SharedProjectState:
    """Who is in which shared project, and the open projects with their lead and joined members."""
    member_stmt = (
        sa.select(SharedProject.id, SharedProject.thema, Kommune.ags, SharedProjectMember.status)
        .join(SharedProjectMember, SharedProjectMember.project_id == SharedProject.id)
        .join(Kommune, Kommune.id == SharedProjectMember.kommune_id)
    )
    lead_stmt = (
        sa.select(SharedProject.id, SharedProject.thema, SharedProject.status, SharedProject.titel, Kommune)
        .join(Kommune, Kommune.id == SharedProject.lead_kommune_id)
        .order_by(SharedProject.id)
    )
    in_project: dict[str, set[str]] = {}
    joined: dict[int, set[str]] = {}
    for pid, thema, ags, member_status in db.session.execute(member_stmt):
        in_project.setdefault(thema, set()).add(ags)
        if member_status == "beigetreten":
            joined.setdefault(pid, set()).add(ags)
    open_projects = []
    for pid, thema, status, titel, lead in db.session.execute(lead_stmt):
        in_project.setdefault(thema, set()).add(lead.ags)
        if status != "abgeschlossen":
            members = tuple(sorted(joined.get(pid, set()) | {lead.ags}))
            open_projects.append(OpenProject(pid, thema, titel, lead.ags, lead.short_name, members))
    return SharedProjectState(in_project, open_projects)


def shared_project_ags(kommune_ids: Collection[int] | None = None) -> dict[str, set[str]]:
    """Topic → AGS of Kommunen already in a shared project on it (joined or invited, any status)."""
    return shared_project_state().in_project


def compute_proposals(topics: Iterable[str] | None = None) -> tuple[LoadedStates, list[EngineProposal]]:
    """Run the engine over all profiles: Kommunen in a shared project on the topic are left out, those
    near an open project on it are proposed to join it."""
    loaded = load_states()
    topic_list = list(topics) if topics is not None else None
    if loaded.states.n == 0:
        return loaded, []
    shared = shared_project_state()
    proposals = propose_projects(
        loaded.states, topic_list, in_shared_project=shared.in_project, open_projects=shared.open_projects
    )
    return loaded, proposals


def duplication_by_kreis_and_land(
    loaded: LoadedStates, topics: Collection[str] | None = None
) -> list[tuple[str, DuplicationEntry]]:
    """The duplication report per Kreis and per Land (of the given topics), as (ebene, entry) pairs."""
    states = loaded.states
    if states.n == 0:
        return []
    topic_list = list(topics) if topics is not None else None
    in_project = shared_project_ags()
    kreis_keys = {k for k in (states.kreis or ()) if k}
    kreis_names = {
        k.ags: kreis_display_name(k)
        for k in db.session.scalars(sa.select(Kommune).where(Kommune.ags.in_(kreis_keys)))
    }
    land_names = dict(db.session.execute(sa.select(Land.schluessel, Land.name)).all())
    by_kreis = duplication_report(states, None, kreis_names, topics=topic_list, in_shared_project=in_project)
    by_land = duplication_report(
        states,
        dict(zip(states.ags, states.land or (None,) * states.n, strict=True)),
        land_names,
        topics=topic_list,
        in_shared_project=in_project,
        min_count=3,
    )
    return [("kreis", e) for e in by_kreis] + [("land", e) for e in by_land]


def topics_of(kommune_ids: Collection[int]) -> set[str]:
    """The topics whose stored proposals a profile edit of these Kommunen may change: the topics of
    their profiles now, and those of the stored proposals and duplication lines that name them."""
    ids = list(kommune_ids)
    topics = set(
        db.session.scalars(
            sa.select(ProfileTopic.thema)
            .join(Profile, Profile.id == ProfileTopic.profile_id)
            .where(Profile.kommune_id.in_(ids))
        )
    )
    topics |= set(
        db.session.scalars(
            sa.select(ProfileProject.thema)
            .join(Profile, Profile.id == ProfileProject.profile_id)
            .where(Profile.kommune_id.in_(ids))
        )
    )
    topics |= set(
        db.session.scalars(
            sa.select(ProjectProposal.thema)
            .join(ProjectProposalMember, ProjectProposalMember.proposal_id == ProjectProposal.id)
            .where(ProjectProposalMember.kommune_id.in_(ids))
        )
    )
    ags = set(db.session.scalars(sa.select(Kommune.ags).where(Kommune.id.in_(ids))))
    for thema, members in db.session.execute(sa.select(ProjectDuplication.thema, ProjectDuplication.ags)):
        if ags & set(members or ()):
            topics.add(thema)
    return {t for t in topics if t in TOPIC_LABELS_DE}


def recompute_for_kommunen(kommune_ids: Collection[int]) -> dict[str, int]:
    """After profile edits: recompute only the topics these Kommunen touch (see `topics_of`)."""
    topics = topics_of(kommune_ids)
    if not topics:
        return {"proposals": 0, "duplications": 0, "topics": 0}
    stats = recompute(topics)
    return {**stats, "topics": len(topics)}


def recompute(topics: Collection[str] | None = None) -> dict[str, int]:
    """Replace the stored proposals and duplication reports by a fresh run (one transaction).

    With `topics`, only the rows of those topics are replaced (the incremental update after a profile
    edit); the engine still sees every profile, so the groups are the same as in a full run.
    """
    topic_list = sorted(topics) if topics is not None else None
    loaded, proposals = compute_proposals(topic_list)
    duplications = duplication_by_kreis_and_land(loaded, topic_list)
    ids = {ags: k.id for ags, k in loaded.kommunen.items()}
    # The lead of an existing project need not have a profile.
    missing = {p.lead_ags for p in proposals} - ids.keys()
    if missing:
        ids.update(
            db.session.execute(sa.select(Kommune.ags, Kommune.id).where(Kommune.ags.in_(missing))).all()
        )
    now = utcnow()
    try:
        if topic_list is None:
            db.session.execute(sa.delete(ProjectProposalMember))
            db.session.execute(sa.delete(ProjectProposal))
            db.session.execute(sa.delete(ProjectDuplication))
        else:
            stale = sa.select(ProjectProposal.id).where(ProjectProposal.thema.in_(topic_list))
            db.session.execute(
                sa.delete(ProjectProposalMember).where(ProjectProposalMember.proposal_id.in_(stale))
            )
            db.session.execute(sa.delete(ProjectProposal).where(ProjectProposal.thema.in_(topic_list)))
            db.session.execute(sa.delete(ProjectDuplication).where(ProjectDuplication.thema.in_(topic_list)))
        for p in proposals:
            row = ProjectProposal(
                thema=p.thema,
                lead_kommune_id=ids[p.lead_ags],
                shared_project_id=p.existing_project_id,
                explanation_de=p.explanation_de,
                span_km=p.span_km,
                score=p.score,
                computed_at=now,
            )
            row.entries = [ProjectProposalMember(kommune_id=ids[a], rolle="mitglied") for a in p.members] + [
                ProjectProposalMember(kommune_id=ids[a], rolle="nachnutzung")
                for a in p.reuse_from
                if a not in p.members
            ]
            db.session.add(row)
        for ebene, e in duplications:
            db.session.add(
                ProjectDuplication(
                    ebene=ebene,
                    group_key=e.group,
                    group_name=e.group_name,
                    thema=e.thema,
                    count=e.count,
                    ags=list(e.ags),
                    text_de=e.text_de,
                    computed_at=now,
                )
            )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    log.info(
        "Projektvorschläge neu berechnet / proposals recomputed: %d, %d", len(proposals), len(duplications)
    )
    return {"proposals": len(proposals), "duplications": len(duplications)}


def proposals_for(kommune_ids: Collection[int], thema: str | None = None) -> list[ProjectProposal]:
    """Stored proposals in which one of the Kommunen is a member and which are still current for them.

    Proposals to join an existing project come first; best first within each kind.
    """
    if not kommune_ids:
        return []
    stmt = (
        sa.select(ProjectProposal)
        .where(
            ProjectProposal.id.in_(
                sa.select(ProjectProposalMember.proposal_id).where(
                    ProjectProposalMember.kommune_id.in_(list(kommune_ids)),
                    ProjectProposalMember.rolle == "mitglied",
                )
            )
        )
        .options(
            selectinload(ProjectProposal.entries).selectinload(ProjectProposalMember.kommune),
            selectinload(ProjectProposal.lead),
            selectinload(ProjectProposal.shared_project).selectinload(SharedProject.members),
            selectinload(ProjectProposal.shared_project).selectinload(SharedProject.lead),
        )
        .order_by(
            ProjectProposal.shared_project_id.is_(None),
            ProjectProposal.score.desc(),
            ProjectProposal.thema,
            ProjectProposal.id,
        )
    )
    if thema:
        stmt = stmt.where(ProjectProposal.thema == thema)
    return [p for p in db.session.scalars(stmt) if is_current(p, kommune_ids)]


def is_current(proposal: ProjectProposal, kommune_ids: Collection[int]) -> bool:
    """Whether a stored proposal still holds for these Kommunen.

    Proposals are stored nightly; a proposal to join a project no longer holds once the project is
    closed or every one of these Kommunen named in it has joined.
    """
    project = proposal.shared_project
    if proposal.shared_project_id is None:
        return True
    if project is None or project.is_closed:
        return False
    return any(k.id in kommune_ids and not project.has_joined(k.id) for k in proposal.member_kommunen)


def duplications_for_kreis(kreis_ags: str) -> list[ProjectDuplication]:
    """The stored duplication lines of one Kreis, largest first."""
    return list(
        db.session.scalars(
            sa.select(ProjectDuplication)
            .where(ProjectDuplication.ebene == "kreis", ProjectDuplication.group_key == kreis_ags)
            .order_by(ProjectDuplication.count.desc(), ProjectDuplication.thema)
        )
    )
