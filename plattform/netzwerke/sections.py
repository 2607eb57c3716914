"""The "Netzwerke" block on a Kommune's page: its networks, and open invitations for its officers."""

from __future__ import annotations

from flask_login import current_user

from plattform.accounts.permissions import can_act_for
from plattform.kommunen.models import Kommune
from plattform.kommunen.sections import register_kommune_section
from plattform.netzwerke.services import is_coordinator, networks_of_kommune, open_invitations_for_kommune


def kommune_networks_context(kommune: Kommune) -> dict | None:
    """Networks of the Kommune (linked for their coordinators); invitations only for its own officers."""
    networks = networks_of_kommune(kommune.id)
    invitations = open_invitations_for_kommune(kommune.id) if can_act_for(current_user, kommune.id) else []
    if not networks and not invitations:
        return None
    return {
        "networks": [(n, is_coordinator(current_user, n)) for n in networks],
        "invitations": invitations,
    }


register_kommune_section("netzwerke/_kommune_section.html", kommune_networks_context, 35)
