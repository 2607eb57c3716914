"""The "Gemeinsame Projekte" block on a Kommune's page."""

from __future__ import annotations

from plattform.kommunen.models import Kommune
from plattform.kommunen.sections import register_kommune_section
from plattform.projekte.services import projects_of


def kommune_projects_context(kommune: Kommune) -> dict | None:
    """The Kommune's shared projects with its role in each; hidden when there are none."""
    rows = []
    for project in projects_of(kommune.id):
        member = project.member_for(kommune.id)
        if project.lead_kommune_id == kommune.id:
            role = "lead"
        elif member is not None and member.status == "eingeladen":
            role = "invited"
        else:
            role = "member"
        rows.append((project, role))
    if not rows:
        return None
    return {"kommune": kommune, "rows": rows}


register_kommune_section("projekte/_kommune_section.html", kommune_projects_context, 40)
