"""Shared-project lifecycle: propose, create from a proposal, join, leave, hand over the lead, close.

Permission checks live in the views (plattform.accounts.permissions); these functions enforce the
rules of the project itself and raise ProjectError with a German message that is safe to show.
The caller commits.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from matching.vocabulary import TOPIC_LABELS_DE
from plattform.core.clock import utcnow
from plattform.extensions import db
from plattform.kommunen.models import Kommune
from plattform.projekte.models import (
    PROJECT_STATUSES,
    ProjectEvent,
    ProjectProposal,
    SharedProject,
    SharedProjectMember,
)
from plattform.projekte.notices import remember_notice


class ProjectError(ValueError):
    """A project action that cannot be carried out; the message is German and safe to show."""


def get_project(project_id: int) -> SharedProject | None:
    """A project with lead and members loaded."""
    return db.session.scalar(
        sa.select(SharedProject)
        .where(SharedProject.id == project_id)
        .options(selectinload(SharedProject.members).selectinload(SharedProjectMember.kommune))
    )


def list_projects(status: str | None = None, thema: str | None = None) -> list[SharedProject]:
    """All shared projects, newest first, optionally by status and topic."""
    stmt = sa.select(SharedProject).options(
        selectinload(SharedProject.members), selectinload(SharedProject.lead)
    )
    if status:
        stmt = stmt.where(SharedProject.status == status)
    if thema:
        stmt = stmt.where(SharedProject.thema == thema)
    return list(db.session.scalars(stmt.order_by(SharedProject.created_at.desc(), SharedProject.id.desc())))


def projects_of(kommune_id: int) -> list[SharedProject]:
    """The projects a Kommune leads, joined or is invited to."""
    member_ids = sa.select(SharedProjectMember.project_id).where(SharedProjectMember.kommune_id == kommune_id)
    return list(
        db.session.scalars(
            sa.select(SharedProject)
            .where(sa.or_(SharedProject.id.in_(member_ids), SharedProject.lead_kommune_id == kommune_id))
            .options(selectinload(SharedProject.members))
            .order_by(SharedProject.created_at.desc(), SharedProject.id.desc())
        )
    )


def record_event(project: SharedProject, kind: str, kommune_id: int | None, when=None) -> None:
    """Note a change in the project (read by the digest and the lead's notices)."""
    db.session.add(
        ProjectEvent(project=project, kind=kind, kommune_id=kommune_id, created_at=when or utcnow())
    )


def open_invitations(user) -> list[dict]:
    """What is open for the user's Kommunen: project invitations and network invitations, oldest first.

    Each entry: {"art": "projekt"|"netzwerk", "kommune": Kommune, "titel": str, "url": path,
    "seit": datetime, "objekt": SharedProjectMember | NetzwerkEinladung}. For the start page (H14).
    """
    from plattform.accounts.permissions import acting_kommune_ids
    from plattform.netzwerke.models import NetzwerkEinladung

    ids = acting_kommune_ids(user)
    if not ids:
        return []
    entries = []
    members = db.session.scalars(
        sa.select(SharedProjectMember)
        .join(SharedProject, SharedProject.id == SharedProjectMember.project_id)
        .where(
            SharedProjectMember.kommune_id.in_(ids),
            SharedProjectMember.status == "eingeladen",
            SharedProject.status != "abgeschlossen",
        )
        .options(selectinload(SharedProjectMember.project), selectinload(SharedProjectMember.kommune))
    )
    for m in members:
        entries.append(
            {
                "art": "projekt",
                "kommune": m.kommune,
                "titel": m.project.titel,
                "url": f"/projekte/{m.project_id}",
                "seit": m.invited_at or m.project.created_at,
                "objekt": m,
            }
        )
    einladungen = db.session.scalars(
        sa.select(NetzwerkEinladung).where(
            NetzwerkEinladung.status == "offen",
            sa.or_(NetzwerkEinladung.kommune_id.in_(ids), NetzwerkEinladung.email == user.email.lower()),
        )
    )
    for e in einladungen:
        entries.append(
            {
                "art": "netzwerk",
                "kommune": e.kommune,
                "titel": e.netzwerk.name,
                "url": f"/netzwerke/einladung/{e.token}",
                "seit": e.created_at,
                "objekt": e,
            }
        )
    from plattform.digest.services import aware

    return sorted(entries, key=lambda e: (aware(e["seit"]), e["art"], e["titel"]))


def invite_kommunen(project: SharedProject, kommunen: list[Kommune]) -> list[Kommune]:
    """Invite more Kommunen into a running project; returns those newly invited (others are skipped)."""
    if project.is_closed:
        raise ProjectError(_("Dieses Projekt ist abgeschlossen; es kann niemand mehr eingeladen werden."))
    now = utcnow()
    invited = []
    for kommune in kommunen:
        if project.member_for(kommune.id) is not None or kommune.id == project.lead_kommune_id:
            continue
        project.members.append(
            SharedProjectMember(kommune_id=kommune.id, status="eingeladen", invited_at=now)
        )
        record_event(project, "eingeladen", kommune.id, now)
        invited.append(kommune)
    project.updated_at = now
    db.session.flush()
    for kommune in invited:
        remember_notice("projekt_einladung", project.id, kommune.id)
    return invited


def _check_topic(thema: str) -> None:
    if thema not in TOPIC_LABELS_DE:
        raise ProjectError(_("Unbekanntes Thema „%(thema)s“.", thema=thema))


def propose_project(
    lead: Kommune, thema: str, titel: str, beschreibung: str = "", *, user_id: int | None = None
) -> SharedProject:
    """A Kommune proposes a project from scratch: it leads and is its first member (status vorgeschlagen)."""
    _check_topic(thema)
    if not titel.strip():
        raise ProjectError(_("Bitte geben Sie einen Titel an."))
    now = utcnow()
    project = SharedProject(
        thema=thema,
        titel=titel.strip(),
        beschreibung=(beschreibung or "").strip(),
        lead_kommune_id=lead.id,
        status="vorgeschlagen",
        created_by_id=user_id,
        created_at=now,
        updated_at=now,
    )
    project.members = [SharedProjectMember(kommune_id=lead.id, status="beigetreten", joined_at=now)]
    db.session.add(project)
    record_event(project, "beigetreten", lead.id, now)
    db.session.flush()
    return project


def may_create_from(
    proposal: ProjectProposal, *, is_admin: bool, acting: set[int], coordinated: set[int]
) -> bool:
    """Who may turn a proposal into a project: an officer of a member, the lead's coordination, admins.

    Nobody, when the proposal is to join an existing project: a second project would split the work.
    """
    if proposal.shared_project_id is not None:
        return False
    members = {k.id for k in proposal.member_kommunen}
    return is_admin or bool(members & acting) or proposal.lead_kommune_id in coordinated


def may_join_from(proposal: ProjectProposal, kommunen: list[Kommune]) -> list[Kommune]:
    """Which of the given Kommunen (those the user acts for) can join the project a proposal points to.

    They must be named in the proposal and not have joined yet; none once the project is closed.
    """
    project = proposal.shared_project
    if project is None or project.is_closed:
        return []
    named = {k.id for k in proposal.member_kommunen}
    return [k for k in kommunen if k.id in named and not project.has_joined(k.id)]


def create_from_proposal(
    proposal: ProjectProposal, *, acting_kommune_id: int | None, user_id: int | None = None
) -> SharedProject:
    """Turn a stored proposal into an open project: lead as proposed, the other members invited.

    The Kommune of the person who clicks (if it is in the proposal) joins at once; everyone else
    named in the proposal — the proposed lead included — is invited and joins with one click, so no
    Kommune becomes a member without one of its own officers agreeing. The proposal row is removed:
    its Kommunen now work on the topic together and the next recompute leaves them out.
    """
    if proposal.shared_project_id is not None:
        raise ProjectError(
            _("Zu diesem Vorschlag gibt es schon ein gemeinsames Projekt. Bitte treten Sie ihm bei.")
        )
    member_ids = [k.id for k in proposal.member_kommunen]
    if acting_kommune_id is not None and acting_kommune_id not in member_ids:
        raise ProjectError(_("Ihre Kommune gehört nicht zu diesem Vorschlag."))
    label = TOPIC_LABELS_DE.get(proposal.thema, proposal.thema)
    now = utcnow()
    project = SharedProject(
        thema=proposal.thema,
        titel=f"{label} gemeinsam",
        beschreibung=proposal.explanation_de,
        lead_kommune_id=proposal.lead_kommune_id,
        status="offen",
        created_by_id=user_id,
        created_at=now,
        updated_at=now,
    )
    project.members = [
        SharedProjectMember(
            kommune_id=kid,
            status="beigetreten" if kid == acting_kommune_id else "eingeladen",
            invited_at=now,
            joined_at=now if kid == acting_kommune_id else None,
        )
        for kid in member_ids
    ]
    db.session.add(project)
    for kid in member_ids:
        record_event(project, "beigetreten" if kid == acting_kommune_id else "eingeladen", kid, now)
    db.session.delete(proposal)
    db.session.flush()
    for kid in member_ids:
        if kid != acting_kommune_id:
            remember_notice("projekt_einladung", project.id, kid)
    return project


def join_project(project: SharedProject, kommune_id: int) -> SharedProjectMember:
    """A Kommune joins (or accepts its invitation); refused once the project is closed."""
    if project.is_closed:
        raise ProjectError(
            _(
                "Dieses Projekt ist abgeschlossen; ein Beitritt ist nicht mehr möglich. "
                "Das Ergebnis steht auf der Projektseite."
            )
        )
    member = project.member_for(kommune_id)
    if member is not None and member.status == "beigetreten":
        raise ProjectError(_("Ihre Kommune ist bereits Mitglied dieses Projekts."))
    now = utcnow()
    if member is None:
        member = SharedProjectMember(kommune_id=kommune_id, status="beigetreten", joined_at=now)
        project.members.append(member)
    else:
        member.status = "beigetreten"
        member.joined_at = now
    project.updated_at = now
    record_event(project, "beigetreten", kommune_id, now)
    db.session.flush()
    remember_notice("projekt_beitritt", project.id, kommune_id)
    return member


def leave_project(project: SharedProject, kommune_id: int) -> None:
    """A Kommune leaves (or declines its invitation); the lead must hand over first."""
    if project.is_closed:
        raise ProjectError(_("Aus einem abgeschlossenen Projekt kann man nicht mehr austreten."))
    member = project.member_for(kommune_id)
    if member is None:
        raise ProjectError(_("Ihre Kommune ist nicht Mitglied dieses Projekts."))
    if kommune_id == project.lead_kommune_id:
        raise ProjectError(
            _(
                "Die federführende Kommune kann nicht austreten. Übergeben Sie zuerst die Federführung "
                "an ein anderes Mitglied."
            )
        )
    was_member = member.status == "beigetreten"
    project.members.remove(member)
    project.updated_at = utcnow()
    if was_member:  # a declined invitation is not news for the others
        record_event(project, "ausgetreten", kommune_id, project.updated_at)
    db.session.flush()


def hand_over_lead(project: SharedProject, new_lead_id: int) -> None:
    """Give the lead to another Kommune that joined the project."""
    if project.is_closed:
        raise ProjectError(_("Das Projekt ist abgeschlossen; die Federführung kann nicht mehr wechseln."))
    if new_lead_id == project.lead_kommune_id:
        raise ProjectError(_("Diese Kommune hat die Federführung bereits."))
    member = project.member_for(new_lead_id)
    if member is None or member.status != "beigetreten":
        raise ProjectError(_("Die Federführung kann nur an ein beigetretenes Mitglied übergeben werden."))
    project.lead_kommune_id = new_lead_id
    project.updated_at = utcnow()
    db.session.flush()


def set_status(project: SharedProject, status: str) -> None:
    """Move a running project between vorgeschlagen, offen and aktiv (closing has its own step)."""
    if status not in PROJECT_STATUSES or status == "abgeschlossen":
        raise ProjectError(_("Unbekannter Status."))
    if project.is_closed:
        raise ProjectError(_("Das Projekt ist bereits abgeschlossen."))
    project.status = status
    project.updated_at = utcnow()
    db.session.flush()


def close_project(project: SharedProject, ergebnis: str, nachnutzung: bool) -> None:
    """Close the project with its result, and say whether others may reuse it (Nachnutzung)."""
    if project.is_closed:
        raise ProjectError(_("Das Projekt ist bereits abgeschlossen."))
    if not (ergebnis or "").strip():
        raise ProjectError(_("Bitte beschreiben Sie das Ergebnis."))
    now = utcnow()
    project.status = "abgeschlossen"
    project.ergebnis = ergebnis.strip()
    project.nachnutzung = bool(nachnutzung)
    project.closed_at = project.updated_at = now
    # Open invitations lapse with the project.
    for member in [m for m in project.members if m.status == "eingeladen"]:
        project.members.remove(member)
    record_event(project, "abgeschlossen", project.lead_kommune_id, now)
    db.session.flush()


def shared_project_members_by_project(kommune_ids: set[int]) -> dict[int, list[int]]:
    """Project id → joined member Kommune ids, for projects with at least one of the given Kommunen."""
    rows = db.session.execute(
        sa.select(SharedProjectMember.project_id, SharedProjectMember.kommune_id).where(
            SharedProjectMember.status == "beigetreten",
            SharedProjectMember.project_id.in_(
                sa.select(SharedProjectMember.project_id).where(
                    SharedProjectMember.kommune_id.in_(list(kommune_ids))
                )
            ),
        )
    ).all()
    result: dict[int, list[int]] = {}
    for pid, kid in rows:
        result.setdefault(pid, []).append(kid)
    return result
