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


# --- A fitted map of a group of Kommunen (network members, suggested partners, a proposed group) ------

GROUP_WIDTH = 640
GROUP_MIN_HEIGHT, GROUP_MAX_HEIGHT = 320, 520
# At least this span (km) around the points, so two neighbours are not drawn at the edges.
GROUP_MIN_SPAN_KM = 30.0
KIND_ORDER = ("hintergrund", "mitglied", "partner", "nachnutzung", "federfuehrung", "selbst")


@dataclass(frozen=True)
class MapPoint:
    """A Kommune to mark: its name and its role on the map (mitglied, partner, nachnutzung,
    federfuehrung, selbst)."""

    lat: float
    lon: float
    label: str
    kind: str = "mitglied"


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    label: str
    kind: str
    label_x: float
    anchor: str  # "start" or "end": labels near the right edge are drawn to the left


@dataclass(frozen=True)
class GroupMap:
    """SVG data of a fitted map: the viewBox, the occupied background cells and the markers."""

    width: int
    height: int
    background: tuple[tuple[float, float], ...]
    markers: tuple[Marker, ...]
    scale_km: int
    scale_px: float


def group_map(points: list[MapPoint], background: list[tuple[float, float]] | tuple = ()) -> GroupMap | None:
    """Project the points (and the background lat/lon points inside their box) into an SVG box fitted
    to them. Pure: no database, no network. None when no point has coordinates."""
    located = [p for p in points if p.lat is not None and p.lon is not None]
    if not located:
        return None
    lats = [p.lat for p in located]
    lons = [p.lon for p in located]
    lat0 = (min(lats) + max(lats)) / 2
    cos0 = math.cos(math.radians(lat0))
    km_per_lat = 111.2
    km_per_lon = 111.2 * cos0
    # Box in km, padded by 12 % and to the minimum span.
    x_min, x_max = min(lons) * km_per_lon, max(lons) * km_per_lon
    y_min, y_max = min(lats) * km_per_lat, max(lats) * km_per_lat
    span_x = max(x_max - x_min, GROUP_MIN_SPAN_KM)
    span_y = max(y_max - y_min, GROUP_MIN_SPAN_KM)
    cx, cy = (x_min + x_max) / 2, (y_min + y_max) / 2
    span_x, span_y = span_x * 1.24, span_y * 1.24
    height = round(GROUP_WIDTH * span_y / span_x)
    if height > GROUP_MAX_HEIGHT:  # tall group: widen the box instead of drawing a tower
        span_x = span_y * GROUP_WIDTH / GROUP_MAX_HEIGHT
        height = GROUP_MAX_HEIGHT
    elif height < GROUP_MIN_HEIGHT:
        span_y = span_x * GROUP_MIN_HEIGHT / GROUP_WIDTH
        height = GROUP_MIN_HEIGHT
    px_per_km = GROUP_WIDTH / span_x

    def to_xy(lat: float, lon: float) -> tuple[float, float]:
        x = (lon * km_per_lon - (cx - span_x / 2)) * px_per_km
        y = ((cy + span_y / 2) - lat * km_per_lat) * px_per_km
        return round(x, 1), round(y, 1)

    cells: dict[tuple[int, int], tuple[float, float]] = {}
    for lat, lon in background:
        x, y = to_xy(lat, lon)
        if 0 <= x <= GROUP_WIDTH and 0 <= y <= height:
            cells.setdefault((int(x // 8), int(y // 8)), (x, y))
    markers = []
    for p in sorted(
        located, key=lambda p: (KIND_ORDER.index(p.kind) if p.kind in KIND_ORDER else 0, p.label)
    ):
        x, y = to_xy(p.lat, p.lon)
        right = x > GROUP_WIDTH * 0.7
        markers.append(
            Marker(x, y, p.label, p.kind, round(x - 8 if right else x + 8, 1), "end" if right else "start")
        )
    # A round scale bar of about a fifth of the width.
    target = span_x / 5
    scale_km = next((s for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500) if s >= target * 0.6), 500)
    return GroupMap(
        width=GROUP_WIDTH,
        height=height,
        background=tuple(cells.values()),
        markers=tuple(markers),
        scale_km=scale_km,
        scale_px=round(scale_km * px_per_km, 1),
    )


def directory_points(around: list[MapPoint]) -> list[tuple[float, float]]:
    """Lat/lon of the active Gemeinden of the directory near the points (the background of a group
    map: the occupied cells show where land and settlements are)."""
    located = [p for p in around if p.lat is not None and p.lon is not None]
    if not located:
        return []
    margin = 0.8  # degrees, more than the padding of the fitted box
    lats, lons = [p.lat for p in located], [p.lon for p in located]
    return [
        (lat, lon)
        for lat, lon in db.session.execute(
            sa.select(Kommune.lat, Kommune.lon).where(
                Kommune.active.is_(True),
                Kommune.ebene == "gemeinde",
                Kommune.lat.between(min(lats) - margin, max(lats) + margin),
                Kommune.lon.between(min(lons) - margin, max(lons) + margin),
            )
        )
    ]


def kommune_points(kommunen, kind: str = "mitglied") -> list[MapPoint]:
    """MapPoints of Kommunen with coordinates."""
    return [
        MapPoint(k.lat, k.lon, k.short_name, kind)
        for k in kommunen
        if k.lat is not None and k.lon is not None
    ]
