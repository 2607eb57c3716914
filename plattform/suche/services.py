"""Search services: filter Kommunen in SQL, then (for a distance filter) exactly in Python.

The distance filter first narrows the rows with a latitude/longitude bounding box in SQL and then
keeps those within the exact great-circle distance; the result is sorted by distance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from matching.geo import EARTH_RADIUS_KM, haversine_km
from plattform.extensions import db
from plattform.kommunen.models import Kommune
from plattform.kommunen.services import matchable_filter
from plattform.profile.models import Profile, ProfileTopic

# Population bands after the BBSR's town types (Landgemeinde, Klein-, Mittel-, Großstadt).
SIZE_BANDS: dict[str, tuple[int, int | None]] = {
    "unter-5000": (0, 5_000),
    "5000-20000": (5_000, 20_000),
    "20000-50000": (20_000, 50_000),
    "50000-100000": (50_000, 100_000),
    "ab-100000": (100_000, None),
}
TOPIC_ROLES = ("staerke", "bedarf", "beides")


@dataclass(frozen=True)
class SearchCriteria:
    """What the officer filters by; None or "" means "any"."""

    query: str | None = None  # name, AGS (or its prefix) or PLZ
    ebene: str | None = None  # "gemeinde" or "kreis"
    land: str | None = None
    kreis: str | None = None  # Kreisschlüssel (5 digits)
    typ: str | None = None
    thema: str | None = None
    rolle: str = "beides"  # the topic as strength, need, or either
    groesse: str | None = None
    max_km: float | None = None
    origin: Kommune | None = None  # distance is measured from here


@dataclass
class SearchHit:
    """One result row: the Kommune, its profile type, its distance, its level in the chosen topic."""

    kommune: Kommune
    typ: str | None = None
    distance_km: float | None = None
    staerke: int | None = None
    bedarf: int | None = None


@dataclass
class ResultPage:
    """One page of hits with what a pager needs."""

    items: list[SearchHit]
    page: int
    per_page: int
    total: int
    extra: dict = field(default_factory=dict)

    @property
    def pages(self) -> int:
        """Number of pages (at least 1)."""
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        """Whether there is a page before this one."""
        return self.page > 1

    @property
    def has_next(self) -> bool:
        """Whether there is a page after this one."""
        return self.page < self.pages


def bounding_box(lat: float, lon: float, km: float) -> tuple[float, float, float, float]:
    """Latitude/longitude box that contains every point within `km` of (lat, lon)."""
    dlat = math.degrees(km / EARTH_RADIUS_KM)
    cos_lat = max(math.cos(math.radians(lat)), 1e-6)
    dlon = min(180.0, math.degrees(km / (EARTH_RADIUS_KM * cos_lat)))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def _statement(c: SearchCriteria):
    """The SQL part of the search: every filter except the exact distance."""
    topic = None
    stmt = (
        sa.select(Kommune, Profile.typ)
        .outerjoin(Profile, Profile.kommune_id == Kommune.id)
        .where(matchable_filter())
    )
    query = (c.query or "").strip()
    if query.isdigit() and len(query) == 5:
        # Five digits are a PLZ or a Kreisschlüssel: show both.
        stmt = stmt.where(sa.or_(Kommune.plz == query, Kommune.ags.startswith(query)))
    elif query.isdigit():
        stmt = stmt.where(sa.or_(Kommune.ags.startswith(query), Kommune.plz.startswith(query)))
    elif query:
        stmt = stmt.where(Kommune.name_search.contains(query.lower(), autoescape=True))
    if c.ebene in ("gemeinde", "kreis"):
        stmt = stmt.where(Kommune.ebene == c.ebene)
    if c.land:
        stmt = stmt.where(Kommune.land_schluessel == c.land)
    if c.kreis:
        stmt = stmt.where(Kommune.ags.startswith(c.kreis))
    if c.typ:
        stmt = stmt.where(Profile.typ == c.typ)
    if c.groesse in SIZE_BANDS:
        low, high = SIZE_BANDS[c.groesse]
        stmt = stmt.where(Kommune.population >= low)
        if high is not None:
            stmt = stmt.where(Kommune.population < high)
    if c.thema:
        topic = aliased(ProfileTopic)
        cond = [topic.profile_id == Profile.id, topic.thema == c.thema]
        if c.rolle == "staerke":
            cond.append(topic.staerke > 0)
        elif c.rolle == "bedarf":
            cond.append(topic.bedarf > 0)
        else:
            cond.append(sa.or_(topic.staerke > 0, topic.bedarf > 0))
        stmt = stmt.join(topic, sa.and_(*cond)).add_columns(topic.staerke, topic.bedarf)
    if c.max_km is not None and c.origin is not None and c.origin.lat is not None:
        lat_min, lat_max, lon_min, lon_max = bounding_box(c.origin.lat, c.origin.lon, c.max_km)
        stmt = stmt.where(
            Kommune.lat.between(lat_min, lat_max),
            Kommune.lon.between(lon_min, lon_max),
            Kommune.id != c.origin.id,
        )
    return stmt, topic is not None


def _hit(row, with_topic: bool, origin: Kommune | None) -> SearchHit:
    """A result row as a hit, with the distance from the origin when both have coordinates."""
    kommune, typ = row[0], row[1]
    hit = SearchHit(kommune, typ)
    if with_topic:
        hit.staerke, hit.bedarf = row[2], row[3]
    if origin is not None and origin.lat is not None and kommune.lat is not None:
        hit.distance_km = haversine_km(origin.lat, origin.lon, kommune.lat, kommune.lon)
    return hit


def search(c: SearchCriteria, page: int = 1, per_page: int = 25) -> ResultPage:
    """Find Kommunen matching all criteria; by name, or by distance when a maximum distance is set."""
    page = max(1, page)
    stmt, with_topic = _statement(c)
    if c.max_km is not None and c.origin is not None and c.origin.lat is not None:
        hits = [_hit(row, with_topic, c.origin) for row in db.session.execute(stmt)]
        hits = [h for h in hits if h.distance_km is not None and h.distance_km <= c.max_km]
        hits.sort(key=lambda h: (h.distance_km, h.kommune.name))
        start = (page - 1) * per_page
        return ResultPage(hits[start : start + per_page], page, per_page, len(hits))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    query = (c.query or "").strip().lower()
    if query and not query.isdigit():  # the exact name first, then names starting with it
        stmt = stmt.order_by(
            sa.case((Kommune.name_search == query, 0), (Kommune.name_search.startswith(query), 1), else_=2)
        )
    rows = db.session.execute(
        stmt.order_by(Kommune.name_search, Kommune.ags).limit(per_page).offset((page - 1) * per_page)
    )
    return ResultPage([_hit(row, with_topic, c.origin) for row in rows], page, per_page, total)
