"""Constructed DB scenarios for project and network tests: Kommunen placed in km around Kreis Düren."""

from __future__ import annotations

import math

from matching.profiles import ProfileData, ProjectEntry
from plattform.profile.services import save_profile
from plattform.projekte.services import join_project, propose_project, set_status
from tests.factories import KommuneFactory

HUND = "hundesteuer-digital"
LAT0, LON0 = 50.80, 6.48


def at(dx_km: float, dy_km: float) -> tuple[float, float]:
    """Coordinates dx km east and dy km north of the centre."""
    return LAT0 + dy_km / 111.2, LON0 + dx_km / (111.2 * math.cos(math.radians(LAT0)))


def kommune_at(ags: str, name: str, dx: float, dy: float, *, kreis=None, **profile):
    """A Gemeinde at (dx, dy) km with a profile (staerken, bedarfe, projekte as dicts/tuples)."""
    lat, lon = at(dx, dy)
    kommune = KommuneFactory(ags=ags, name=name, lat=lat, lon=lon, kreis_id=kreis.id if kreis else None)
    projekte = tuple(ProjectEntry(t, s, f"{t} in {name}") for t, s in profile.pop("projekte", {}).items())
    save_profile(
        kommune,
        ProfileData(
            ags=ags,
            staerken=profile.pop("staerken", {}),
            bedarfe=profile.pop("bedarfe", {}),
            projekte=projekte,
            reichweite_km=profile.pop("reichweite_km", 40),
        ),
        notify=False,
    )
    return kommune


def ring_scenario(n: int = 8, spacing_km: float = 10.0):
    """n Kommunen of one Kreis on a ring needing the dog tax, number 3 experienced; three far away.

    Returns (kreis, ring, experienced, far): the far ones need the topic too but lie 150+ km apart.
    """
    kreis = KommuneFactory(ags="05358", ebene="kreis", kind="kreis", name="Düren", lat=LAT0, lon=LON0)
    radius = spacing_km / (2 * math.sin(math.pi / n))
    ring = []
    for k in range(n):
        angle = 2 * math.pi * k / n
        extra = {}
        if k == 3:
            extra = {"staerken": {HUND: 2}, "projekte": {HUND: "laufend"}}
        ring.append(
            kommune_at(
                f"0535800{k}",
                f"Ringgemeinde {k}",
                radius * math.cos(angle),
                radius * math.sin(angle),
                kreis=kreis,
                bedarfe={HUND: 2} if k != 3 else {},
                **extra,
            )
        )
    far = [kommune_at(f"0599900{i}", f"Fernort {i}", 150 + 200 * i, 150, bedarfe={HUND: 3}) for i in range(3)]
    return kreis, ring, ring[3], far


def open_project_scenario():
    """Aheim leads an open dog-tax project that Bedorf joined; Cestadt, Dorf and Edorf need the topic
    within 25 km and have no project — on their own they would make a group of three.

    Returns (project, aheim, bedorf, cestadt, dorf, edorf).
    """
    aheim = kommune_at("05358001", "Aheim", 0, 0, staerken={HUND: 2}, projekte={HUND: "laufend"})
    bedorf = kommune_at("05358002", "Bedorf", 8, 0, bedarfe={HUND: 2})
    others = [
        kommune_at(ags, name, dx, dy, bedarfe={HUND: 2})
        for ags, name, dx, dy in (
            ("05358003", "Cestadt", 16, 0),
            ("05358004", "Dorf", 12, 8),
            ("05358005", "Edorf", 20, 8),
        )
    ]
    project = propose_project(aheim, HUND, "Hundesteuer gemeinsam")
    join_project(project, bedorf.id)
    set_status(project, "offen")
    return (project, aheim, bedorf, *others)
