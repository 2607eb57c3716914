"""What the start page shows: counts read through each domain's own services, per role.

No query of its own: suggestions come from the dashboard's reader, requests from the contact
service, invitations from the project service, approvals from the permission rules and proposals
from the proposal store, so the start page never counts differently from the page it links to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from plattform.accounts.models import User
from plattform.accounts.permissions import (
    acting_kommune_ids,
    can_approve_anything,
    coordinated_kommune_ids,
    decidable_memberships_query,
)
from plattform.extensions import db
from plattform.kommunen.models import Kommune
from plattform.kommunen.services import kommunen_by_name


@dataclass
class KommuneSteps:
    """The next steps of one Kommune the user speaks for."""

    kommune: Kommune
    new_suggestions: int  # current suggestions the dashboard has not shown yet
    suggestions: int  # all current suggestions
    open_requests: int  # incoming contact requests waiting for an answer
    waiting_from: list[str] = field(default_factory=list)  # who sent them, oldest first


@dataclass
class Overview:
    """Everything the start page needs for one user."""

    kommunen: list[KommuneSteps] = field(default_factory=list)
    pending: list[Kommune] = field(default_factory=list)  # membership requests not yet decided
    invitations: list[dict] = field(default_factory=list)  # projekte.services.open_invitations
    approvals: int | None = None  # open membership requests the user may decide (None: not a role)
    proposals: int | None = None  # current project proposals for the coordinated Kommunen
    coordinated: int = 0  # Kommunen the user coordinates
    is_admin: bool = False

    @property
    def needs_kommune(self) -> bool:
        """A fresh account: it speaks for no Kommune, coordinates none and is not an administrator."""
        return not self.kommunen and not self.coordinated and not self.is_admin

    @property
    def is_coordinator(self) -> bool:
        """Whether the coordination block applies (coordinators and administrators)."""
        return self.approvals is not None


def kommune_steps(kommune: Kommune) -> KommuneSteps:
    """Suggestion and request counts of one Kommune, read by the dashboard's and the contact readers."""
    from plattform.kontakte.services import requests_of
    from plattform.vorschlaege.services import dashboard_list

    shown = dashboard_list(kommune.id)
    new = sum(1 for s in shown.suggestions if shown.last_shown.get(s.partner_id) is None)
    incoming, _outgoing = requests_of(kommune.id)
    waiting = sorted((r for r in incoming if r.status == "offen"), key=lambda r: (r.created_at, r.id))
    senders = [r.from_kommune.display_name for r in waiting]
    return KommuneSteps(kommune, new, len(shown.suggestions), len(waiting), senders)


def overview_for(user: User) -> Overview:
    """The start page of this user: own Kommunen, waiting requests, invitations, coordination work."""
    from plattform.projekte.proposals import proposals_for
    from plattform.projekte.services import open_invitations

    result = Overview(is_admin=bool(user.is_admin))
    acting = acting_kommune_ids(user)
    if acting:
        result.kommunen = [kommune_steps(k) for k in kommunen_by_name(acting)]
    result.pending = sorted(
        (m.kommune for m in user.memberships if m.status == "beantragt"), key=lambda k: k.name
    )
    result.invitations = open_invitations(user)
    coordinated = coordinated_kommune_ids(user)
    result.coordinated = len(coordinated)
    if can_approve_anything(user):
        result.approvals = len(db.session.scalars(decidable_memberships_query(user)).all())
        result.proposals = len(proposals_for(coordinated)) if coordinated else 0
    return result
