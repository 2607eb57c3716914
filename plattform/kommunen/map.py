"""A small position map drawn as inline SVG: no tile server, no third-party request."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import sqlalchemy as sa

from plattform.extensions import db
from plattform.kommunen.models import Kommune

# Bounding box of Germany (lon/lat), with a little margin.
LON_MIN, LON_MAX, LAT_MIN, LAT_MAX = 5.7, 15.2, 47.2, 55.1
WIDTH = 240
_COS = math.cos(math.radians((LAT_MIN + LAT_MAX) / 2))
HEIGHT = round(WIDTH * (LAT_MAX - LAT_MIN) / ((LON_MAX - LON_MIN) * _COS))


@dataclass(frozen=True)
class MapData:
    """Points to draw: the background of Kreis centres, the neighbours, and the Kommune itself."""

    width: int
    height: int
    background: tuple[tuple[float, float], ...]
    neighbours: tuple[tuple[float, float], ...]
    marker: tuple[float, float] | None


def project(lat: float, lon: float) -> tuple[float, float]:
    """Equirectangular projection into the SVG box, good enough at this scale."""
    x = (lon - LON_MIN) / (LON_MAX - LON_MIN) * WIDTH
    y = (LAT_MAX - lat) / (LAT_MAX - LAT_MIN) * HEIGHT
    return round(x, 1), round(y, 1)


@lru_cache(maxsize=4)
def _background(_version: int) -> tuple[tuple[float, float], ...]:
    rows = db.session.execute(
        sa.select(Kommune.lat, Kommune.lon).where(
            Kommune.active.is_(True), Kommune.lat.is_not(None), Kommune.ebene == "gemeinde"
        )
    ).all()
    # Thin the Gemeinden to a grid so the outline of Germany shows without 11,000 circles.
    cells: dict[tuple[int, int], tuple[float, float]] = {}
    for lat, lon in rows:
        x, y = project(lat, lon)
        cells.setdefault((int(x // 4), int(y // 4)), (x, y))
    return tuple(cells.values())


def position_map(kommune: Kommune, neighbours: list[Kommune]) -> MapData | None:
    """Map data for a Kommune's page, or None when it has no coordinates."""
    if kommune.lat is None or kommune.lon is None:
        return None
    version = db.session.scalar(sa.select(sa.func.count(Kommune.id))) or 0
    return MapData(
        width=WIDTH,
        height=HEIGHT,
        background=_background(version),
        neighbours=tuple(
            project(n.lat, n.lon) for n in neighbours if n.lat is not None and n.id != kommune.id
        ),
        marker=project(kommune.lat, kommune.lon),
    )
