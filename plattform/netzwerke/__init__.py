"""Networks of Kommunen and the coordinator's view of them (graph, coverage, duplication, exports)."""

from flask import Blueprint
from flask_login import current_user

from plattform.accounts.permissions import register_coordination_provider
from plattform.core.audit import register_action
from plattform.core.navigation import register_nav

bp = Blueprint("netzwerke", __name__, url_prefix="/netzwerke", cli_group="netzwerke")

register_nav("netzwerke.liste", "Netzwerke", 50, visible=lambda: current_user.is_authenticated)

from plattform.netzwerke import demo, sections, tasks, views  # noqa: E402, F401
from plattform.netzwerke.services import coordinated_members_query, network_memberships  # noqa: E402
from plattform.vorschlaege.services import register_network_provider  # noqa: E402

register_coordination_provider(coordinated_members_query)
register_action("netzwerk.coordinator_added", "Netzwerk-Koordination benannt")
register_action("netzwerk.member_removed", "Kommune aus Netzwerk entfernt")
register_action("netzwerk.member_restored", "Kommune wieder in Netzwerk aufgenommen")
register_action("netzwerk.exported", "Netzwerkdaten exportiert")
# Kommunen in one network get the engine's "shared network" bonus.
register_network_provider(network_memberships)
