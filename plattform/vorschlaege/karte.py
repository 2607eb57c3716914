"""/vorschlaege/karte: the Kommune's suggested partners on a map, with the table as its text
alternative (issue 15 item 5). The drawing is plattform.kommunen.map; no tile server."""

from __future__ import annotations

from flask import render_template
from flask_login import login_required

from plattform.kommunen.map import MapPoint, directory_points, group_map
from plattform.kontakte.views import acting_kommunen, selected_kommune
from plattform.vorschlaege import bp
from plattform.vorschlaege.services import dashboard_list


@bp.get("/karte")
@login_required
def karte():
    """The current suggestions of one of the user's Kommunen (?kommune=ID) as a map and a table."""
    kommunen = acting_kommunen()
    kommune = selected_kommune(kommunen)  # 403 without a Kommune or for another one
    suggestions = dashboard_list(kommune.id).suggestions
    points = [MapPoint(kommune.lat, kommune.lon, kommune.short_name, "selbst")] + [
        MapPoint(s.partner.lat, s.partner.lon, s.partner.short_name, "partner") for s in suggestions
    ]
    points = [p for p in points if p.lat is not None and p.lon is not None]
    return render_template(
        "vorschlaege/karte.html",
        kommune=kommune,
        kommunen=kommunen,
        suggestions=suggestions,
        partner_map=group_map(points, directory_points(points)) if points else None,
    )
