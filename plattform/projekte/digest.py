"""The projekte domain's part of the weekly digest: new project proposals and changes in my projects.

Proposals are recomputed (nightly and after profile edits), so a proposal is recognised by its topic,
lead and target project: the section remembers every current one and announces each once. Changes
come from the project events of the window [since, until) and are remembered by event id.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import selectinload

from matching.vocabulary import TOPIC_LABELS_DE
from plattform.accounts.models import User
from plattform.accounts.permissions import acting_kommune_ids
from plattform.digest.registry import DigestItem, DigestSection, register_digest_section
from plattform.extensions import db
from plattform.projekte.models import ProjectEvent, SharedProject, SharedProjectMember
from plattform.projekte.proposals import kreis_display_name, proposals_for

PROJECTS = "projekte"
EVENT_OVERLAP = timedelta(days=1)


def proposal_key(proposal) -> str:
    """What identifies a proposal across recomputes: topic, lead and the project it points to."""
    return f"vorschlag:{proposal.thema}:{proposal.lead_kommune_id}:{proposal.shared_project_id or '-'}"


def _topic(thema: str) -> str:
    return _(TOPIC_LABELS_DE.get(thema, thema))


def _name(kommune) -> str:
    """ "Kreis Düren" rather than "Düren" (which is also the town)."""
    return kreis_display_name(kommune) if kommune.is_kreis else kommune.short_name


def _names(kommunen) -> str:
    return ", ".join(_name(k) for k in kommunen)


def _proposal_items(proposals, known: set[str], ids: set[int]) -> list[DigestItem]:
    items = []
    for p in proposals:
        key = proposal_key(p)
        if key in known:
            continue
        mine = [k for k in p.member_kommunen if k.id in ids]
        others = [k for k in p.member_kommunen if k.id not in ids]
        if p.shared_project is not None:
            text = _(
                "%(kommune)s kann dem Projekt „%(titel)s“ (%(thema)s) beitreten; Federführung: %(lead)s.",
                kommune=_names(mine),
                titel=p.shared_project.titel,
                thema=_topic(p.thema),
                lead=_name(p.lead),
            )
            path = f"/projekte/{p.shared_project_id}"
        else:
            text = _(
                "Gemeinsames Projekt %(thema)s für %(kommune)s mit %(andere)s; Federführung: %(lead)s.",
                thema=_topic(p.thema),
                kommune=_names(mine),
                andere=_names(others) or "–",
                lead=_name(p.lead),
            )
            path = f"/projekte/vorschlaege?thema={p.thema}"
        if p.reuse_kommunen:
            text += " " + _("Nachnutzen lässt sich die Lösung von %(namen)s.", namen=_names(p.reuse_kommunen))
        items.append(DigestItem(text_de=text, url_path=path, link_de=_("Vorschlag ansehen"), key=key))
    return items


def _event_text(event: ProjectEvent) -> str | None:
    name = _name(event.kommune) if event.kommune is not None else _("Eine Kommune")
    titel = event.project.titel
    if event.kind == "beigetreten":
        return _("%(name)s ist dem Projekt „%(titel)s“ beigetreten.", name=name, titel=titel)
    if event.kind == "ausgetreten":
        return _("%(name)s hat das Projekt „%(titel)s“ verlassen.", name=name, titel=titel)
    if event.kind == "abgeschlossen":
        if event.project.ergebnis:
            return _(
                "Das Projekt „%(titel)s“ ist abgeschlossen; das Ergebnis ist veröffentlicht.", titel=titel
            )
        return _("Das Projekt „%(titel)s“ ist abgeschlossen.", titel=titel)
    if event.kind == "eingeladen":
        return _("%(name)s ist zum Projekt „%(titel)s“ eingeladen.", name=name, titel=titel)
    return None


def _my_project_ids(ids: set[int]) -> sa.Select:
    """Projects the Kommunen lead, joined or are invited to."""
    return sa.select(SharedProject.id).where(
        sa.or_(
            SharedProject.lead_kommune_id.in_(ids),
            SharedProject.id.in_(
                sa.select(SharedProjectMember.project_id).where(SharedProjectMember.kommune_id.in_(ids))
            ),
        )
    )


def projects_section(user: User, since: datetime, until: datetime) -> DigestSection | None:
    """New proposals for the user's Kommunen, invitations, and what changed in their projects."""
    from plattform.digest.services import previous_listed_keys

    ids = acting_kommune_ids(user)
    if not ids:
        return None
    known = previous_listed_keys(user.id, PROJECTS, until)
    proposals = proposals_for(ids)
    proposal_keys = {proposal_key(p) for p in proposals}
    items = _proposal_items(proposals, known, ids)
    new_proposals = len(items)

    events = db.session.scalars(
        sa.select(ProjectEvent)
        .where(
            ProjectEvent.project_id.in_(_my_project_ids(ids)),
            # A day's overlap with the previous window: an event stored while that digest was being
            # sent is not lost, and its remembered key keeps it from being told twice.
            ProjectEvent.created_at >= since - EVENT_OVERLAP,
            ProjectEvent.created_at < until,
        )
        .options(selectinload(ProjectEvent.project), selectinload(ProjectEvent.kommune))
        .order_by(ProjectEvent.created_at, ProjectEvent.id)
    ).all()
    event_keys = set()
    changes = 0
    for event in events:
        key = f"ereignis:{event.id}"
        event_keys.add(key)
        own = event.kommune_id in ids and event.kind != "abgeschlossen"
        if key in known or (own and event.kind != "eingeladen"):
            continue  # nothing twice; what the user's own Kommune did is no news to them
        if event.kind == "eingeladen" and event.kommune_id not in ids:
            continue  # others' invitations are the lead's business, not news
        text = _event_text(event)
        if text is None:
            continue
        link = _("Einladung ansehen") if event.kind == "eingeladen" else _("Projekt ansehen")
        items.append(
            DigestItem(text_de=text, url_path=f"/projekte/{event.project_id}", link_de=link, key=key)
        )
        changes += 1
    if not items:
        return None
    summaries = []
    if new_proposals:
        summaries.append(
            ngettext("%(num)d neuer Projektvorschlag", "%(num)d neue Projektvorschläge", new_proposals)
        )
    if changes:
        summaries.append(ngettext("%(num)d Projektneuigkeit", "%(num)d Projektneuigkeiten", changes))
    return DigestSection(
        title_de=_("Gemeinsame Projekte"),
        items=items,
        summary_de=", ".join(summaries),
        # Every proposal ever announced stays remembered (a recompute may drop and bring it back);
        # events are remembered for the next window's overlap.
        keys=sorted({k for k in known if k.startswith("vorschlag:")} | proposal_keys | event_keys),
    )


register_digest_section(PROJECTS, 30, projects_section)
