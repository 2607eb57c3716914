"""Directory services: import the official extract (upsert by key), search, load the demo region."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import lazyload

from plattform.core.clock import utcnow
from plattform.extensions import db
from plattform.kommunen.gvisys import GvIsysExtract, read_gv_isys
from plattform.kommunen.models import (
    KREIS_KINDS_MATCHABLE,
    DirectoryImport,
    GemeindefreiesGebiet,
    Gemeindeverband,
    Kommune,
    Land,
)

log = logging.getLogger(__name__)

DEMO_REGION_PATH = Path(__file__).resolve().parent / "data" / "demo-region-gv-isys.csv"
SOURCE_NAME = "Statistisches Bundesamt (Destatis), Gemeindeverzeichnis-Informationssystem GV-ISys"
_QUARTER_END = {"1": "31.03.", "2": "30.06.", "3": "30.09.", "4": "31.12."}


@dataclass(frozen=True)
class ImportStats:
    """What an import changed."""

    kreise: int
    gemeinden: int
    inserted: int
    updated: int
    deactivated: int
    gemeindefrei: int


def stand_from_filename(name: str) -> str | None:
    """Derive the territorial status ("Gebietsstand 31.12.2020") from a Destatis file name."""
    match = re.search(r"(\d{4})[-_ ]?q([1-4])", name.lower())
    if match:
        return f"Gebietsstand {_QUARTER_END[match.group(2)]}{match.group(1)}"
    match = re.search(r"(\d{2})(\d{2})(\d{4})", name)  # e.g. AuszugGV4QAktuell_31122020
    return f"Gebietsstand {match.group(1)}.{match.group(2)}.{match.group(3)}" if match else None


def stand_date(stand: str | None) -> date | None:
    """The date of a Gebietsstand written by stand_from_filename ("Gebietsstand 31.12.2020"), else None."""
    match = re.fullmatch(r"Gebietsstand (\d{2})\.(\d{2})\.(\d{4})", stand or "")
    if match is None:
        return None
    day, month, year = (int(g) for g in match.groups())
    return date(year, month, day)


def import_gv_file(path: str | Path) -> ImportStats:
    """Import a GV-ISys extract all-or-nothing: validate the whole file, then upsert in one transaction."""
    extract = read_gv_isys(path)  # raises GvIsysError before anything is written
    try:
        stats = _upsert(extract, stand_from_filename(Path(path).name))
        db.session.add(
            DirectoryImport(
                filename=Path(path).name,
                kreise=stats.kreise,
                gemeinden=stats.gemeinden,
                inserted=stats.inserted,
                updated=stats.updated,
                deactivated=stats.deactivated,
            )
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    log.info("Verzeichnis importiert / directory imported: %s %s", Path(path).name, stats)
    return stats


def _kreis_facts(extract: GvIsysExtract) -> dict[str, dict]:
    """Population, area and population-weighted centre of each Kreis from its Gemeinden."""
    facts: dict[str, dict] = {}
    for g in extract.kommunen:
        f = facts.setdefault(g.kreis_schluessel, {"pop": 0, "area": 0.0, "wlat": 0.0, "wlon": 0.0, "w": 0})
        f["pop"] += g.population or 0
        f["area"] += g.area_km2 or 0.0
        if g.lat is not None and g.lon is not None:
            weight = max(g.population or 0, 1)
            f["wlat"] += g.lat * weight
            f["wlon"] += g.lon * weight
            f["w"] += weight
    return facts


def _upsert(extract: GvIsysExtract, stand: str | None) -> ImportStats:
    """Insert new keys, update known ones, deactivate vanished ones (mergers keep their history)."""
    session = db.session
    for land in extract.laender:
        session.merge(Land(schluessel=land.schluessel, name=land.name))
    session.flush()
    known_laender = {row[0] for row in session.execute(sa.select(Land.schluessel))}
    for key in {k.schluessel[:2] for k in extract.kreise} - known_laender:
        session.add(Land(schluessel=key, name=f"Land {key}"))

    existing_gv = {row[0] for row in session.execute(sa.select(Gemeindeverband.ars))}
    gv_rows = [
        {
            "ars": gv.ars,
            "name": gv.name,
            "kind_code": gv.kind_code,
            "kreis_schluessel": gv.ars[:5],
            "active": True,
        }
        for gv in extract.gemeindeverbaende
    ]
    _bulk_upsert(Gemeindeverband, gv_rows, existing_gv, key="ars")
    present_gv = {r["ars"] for r in gv_rows}
    gone_gv = existing_gv - present_gv
    if gone_gv:
        session.execute(
            sa.update(Gemeindeverband).where(Gemeindeverband.ars.in_(gone_gv)).values(active=False)
        )

    existing = dict(session.execute(sa.select(Kommune.ags, Kommune.id)).all())
    facts = _kreis_facts(extract)
    inserted = updated = 0
    kreis_rows = []
    for k in extract.kreise:
        f = facts.get(k.schluessel, {"pop": None, "area": None, "w": 0})
        kreis_rows.append(
            {
                "ags": k.schluessel,
                "ars": None,
                "ebene": "kreis",
                "name": k.name,
                "name_search": k.name.lower(),
                "kind": k.kind,
                "land_schluessel": k.schluessel[:2],
                "kreis_id": None,
                "gemeindeverband_ars": None,
                "population": f["pop"],
                "male": None,
                "female": None,
                "area_km2": round(f["area"], 2) if f["area"] is not None else None,
                "plz": None,
                "lat": f["wlat"] / f["w"] if f["w"] else None,
                "lon": f["wlon"] / f["w"] if f["w"] else None,
                "verstaedterung": None,
                "stand": stand,
                "active": True,
            }
        )
    i, u = _bulk_upsert(Kommune, kreis_rows, existing.keys(), key="ags", ids=existing)
    inserted, updated = inserted + i, updated + u
    kreis_ids = dict(
        session.execute(sa.select(Kommune.ags, Kommune.id).where(Kommune.ebene == "kreis")).all()
    )
    existing = dict(session.execute(sa.select(Kommune.ags, Kommune.id)).all())
    gemeinde_rows = [
        {
            "ags": g.ags,
            "ars": g.ars,
            "ebene": "gemeinde",
            "name": g.name,
            "name_search": g.name.lower(),
            "kind": g.kind,
            "land_schluessel": g.ags[:2],
            "kreis_id": kreis_ids[g.kreis_schluessel],
            "gemeindeverband_ars": g.gemeindeverband_ars,
            "population": g.population,
            "male": g.male,
            "female": g.female,
            "area_km2": g.area_km2,
            "plz": g.plz,
            "lat": g.lat,
            "lon": g.lon,
            "verstaedterung": g.verstaedterung,
            "stand": stand,
            "active": True,
        }
        for g in extract.kommunen
    ]
    i, u = _bulk_upsert(Kommune, gemeinde_rows, existing.keys(), key="ags", ids=existing)
    inserted, updated = inserted + i, updated + u

    present = {r["ags"] for r in kreis_rows} | {r["ags"] for r in gemeinde_rows}
    gone = [kid for ags, kid in existing.items() if ags not in present]
    deactivated = 0
    if gone:
        for start in range(0, len(gone), 500):
            chunk = gone[start : start + 500]
            result = session.execute(
                sa.update(Kommune).where(Kommune.id.in_(chunk), Kommune.active.is_(True)).values(active=False)
            )
            deactivated += result.rowcount or 0

    existing_free = {row[0] for row in session.execute(sa.select(GemeindefreiesGebiet.ags))}
    free_rows = [
        {
            "ags": g.ags,
            "name": g.name,
            "land_schluessel": g.ags[:2],
            "kreis_schluessel": g.kreis_schluessel,
            "area_km2": g.area_km2,
            "lat": g.lat,
            "lon": g.lon,
            "active": True,
        }
        for g in extract.gemeinden
        if g.gemeindefrei
    ]
    _bulk_upsert(GemeindefreiesGebiet, free_rows, existing_free, key="ags")
    return ImportStats(
        kreise=len(kreis_rows),
        gemeinden=len(gemeinde_rows),
        inserted=inserted,
        updated=updated,
        deactivated=deactivated,
        gemeindefrei=len(free_rows),
    )


def _bulk_upsert(
    model, rows: list[dict], existing_keys, *, key: str, ids: dict | None = None
) -> tuple[int, int]:
    """Insert rows whose key is new and update only those whose values changed (executemany)."""
    existing_keys = set(existing_keys)
    new = [r for r in rows if r[key] not in existing_keys]
    candidates = [r for r in rows if r[key] in existing_keys]
    changed: list[dict] = []
    if candidates:
        columns = list(candidates[0].keys())
        table = model.__table__
        current = {
            row[0]: row[1:]
            for row in db.session.execute(sa.select(table.c[key], *[table.c[c] for c in columns]))
        }
        for r in candidates:
            before = current.get(r[key])
            if before is None or any(not _same(a, r[c]) for a, c in zip(before, columns, strict=True)):
                changed.append({**r, "id": ids[r[key]]} if ids is not None else r)
    if new:
        db.session.execute(sa.insert(model), new)
    if changed:
        if ids is not None:
            now = utcnow()
            changed = [{**r, "updated_at": now} for r in changed]
        db.session.execute(sa.update(model), changed)
    return len(new), len(changed)


def _same(a, b) -> bool:
    """Compare stored and incoming values; floats within rounding noise of the database."""
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and abs(a - b) < 1e-9
    return a == b


def load_demo_region() -> ImportStats:
    """Load the demo region shipped with the project (Kreis Düren, its neighbours, the ANDI cities)."""
    return import_gv_file(DEMO_REGION_PATH)


def matchable_filter():
    """SQL condition for the Kommunen that have profiles and get suggestions."""
    return sa.and_(
        Kommune.active.is_(True),
        sa.or_(Kommune.ebene == "gemeinde", Kommune.kind.in_(KREIS_KINDS_MATCHABLE)),
    )


def is_matchable(kommune: Kommune) -> bool:
    """Whether the Kommune has a profile of its own and gets suggestions (see Kommune.is_matchable)."""
    return kommune.is_matchable


def city_row_of(kommune: Kommune) -> Kommune | None:
    """The Gemeinde row of a kreisfreie Stadt's Kreis row (08212 → 08212000), else None."""
    if is_matchable(kommune):
        return None
    return db.session.scalars(
        sa.select(Kommune)
        .where(Kommune.ags.startswith(kommune.ags), Kommune.ebene == "gemeinde")
        .order_by(Kommune.active.desc(), Kommune.ags)
        .limit(1)
    ).first()


def not_matchable_message(kommune: Kommune) -> str:
    """Why the Kreis row of a kreisfreie Stadt cannot be chosen (type test, profile, membership),
    pointing to the city's own row."""
    city = city_row_of(kommune)
    if city is None:
        return _(
            "%(name)s (%(ags)s) ist die Kreisebene einer kreisfreien Stadt und bekommt keine Vorschläge.",
            name=kommune.name,
            ags=kommune.ags,
        )
    return _(
        "%(name)s (%(ags)s) ist die Kreisebene der kreisfreien Stadt und bekommt keine Vorschläge. Typtest, "
        "Profil und Mitgliedschaft gehören zur Stadt selbst: %(city)s (%(city_ags)s).",
        name=kommune.name,
        ags=kommune.ags,
        city=city.name,
        city_ags=city.ags,
    )


def search_kommunen(query: str = "", land: str | None = None, kreis: str | None = None):
    """Build the directory query: name, AGS prefix or PLZ; optional Land and Kreis filters."""
    stmt = sa.select(Kommune).where(Kommune.active.is_(True))
    query = (query or "").strip()
    if query:
        if query.isdigit() and len(query) == 5:
            # Five digits are a PLZ or a Kreisschlüssel: show both.
            stmt = stmt.where(sa.or_(Kommune.plz == query, Kommune.ags.startswith(query)))
        elif query.isdigit():
            stmt = stmt.where(sa.or_(Kommune.ags.startswith(query), Kommune.plz.startswith(query)))
        else:
            stmt = stmt.where(Kommune.name_search.contains(query.lower(), autoescape=True))
    if land:
        stmt = stmt.where(Kommune.land_schluessel == land)
    if kreis:
        stmt = stmt.where(sa.or_(Kommune.ags == kreis, Kommune.ags.startswith(kreis)))
    # Exact name matches first, then Kreise before their Gemeinden, then alphabetically.
    if query and not query.isdigit():
        stmt = stmt.order_by(sa.case((Kommune.name_search == query.lower(), 0), else_=1))
    return stmt.order_by(Kommune.name_search, Kommune.ags)


def kreis_options(land: str | None = None) -> list[tuple[str, str]]:
    """(AGS, name) of the active Kreise, optionally of one Land: the Kreis filter's ~400 options,
    read as two columns (the filter pages ask for them on every request)."""
    stmt = sa.select(Kommune.ags, Kommune.name).where(Kommune.ebene == "kreis", Kommune.active.is_(True))
    if land:
        stmt = stmt.where(Kommune.land_schluessel == land)
    return [tuple(row) for row in db.session.execute(stmt.order_by(Kommune.name_search))]


def kommunen_by_name(ids: Iterable[int]) -> list[Kommune]:
    """The Kommunen with these ids, by name (a user's Kommunen: asked on every member page)."""
    ids = list(ids)
    if not ids:
        return []
    return list(db.session.scalars(_kommunen_by_name_query(), {"ids": ids}))


@functools.cache
def _kommunen_by_name_query() -> sa.Select:
    # built once (it runs on every member page); their Land is loaded only where it is shown
    ids = sa.bindparam("ids", expanding=True)
    return (
        sa.select(Kommune).where(Kommune.id.in_(ids)).order_by(Kommune.name).options(lazyload(Kommune.land))
    )


def get_by_ags(ags: str) -> Kommune | None:
    """Find an active or historic Kommune by its AGS (or 5-digit Kreisschlüssel)."""
    return db.session.execute(sa.select(Kommune).where(Kommune.ags == ags)).scalar_one_or_none()


def latest_import() -> DirectoryImport | None:
    """The most recent directory import, for the source line."""
    return db.session.execute(
        sa.select(DirectoryImport).order_by(DirectoryImport.imported_at.desc()).limit(1)
    ).scalar_one_or_none()
