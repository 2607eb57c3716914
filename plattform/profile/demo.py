"""Demo profiles for the demo region: drawn from the study's figures, plus two written from a real story.

Every Kommune of the demo region gets a profile drawn with ``matching.synthetic`` (seeded, so a second
`demo seed` writes the same profiles), marked ``is_demo`` and shown as "Demodaten". Kreuzau and
Aldenhoven get hand-written profiles after the kdvz report on their cooperation (seed 004): both have
a Digitalisierungsbeauftragte; Aldenhoven has trained Digitallotsen, Kreuzau wants to build a team of
them and can in return share its digital strategy with a Maßnahmenplan. Profiles a person saved
(not demo data) are never overwritten.
"""

from __future__ import annotations

import sqlalchemy as sa

from matching.profiles import ProfileData, ProjectEntry
from matching.synthetic import KommuneFacts, draw_profiles
from plattform.core.demo import demo_step
from plattform.extensions import db
from plattform.kommunen.gvisys import read_gv_isys
from plattform.kommunen.models import Kommune
from plattform.kommunen.services import DEMO_REGION_PATH, matchable_filter
from plattform.profile.bulk import import_profiles
from plattform.profile.models import Profile

DEMO_SEED = 2020  # the study's year; any fixed number keeps the demo repeatable
KREUZAU = "05358028"
ALDENHOVEN = "05358004"
_STADT_KINDS = ("stadt", "grosse-kreisstadt", "kreisfreie-stadt", "stadtkreis")

# The kdvz story (seed 004), as profiles the matching demo can tell.
STORY_PROFILES: dict[str, ProfileData] = {
    KREUZAU: ProfileData(
        ags=KREUZAU,
        ziele=("effizienz", "leistungsangebot", "buergernaehe"),
        handlungsfelder=("verwaltungshandeln", "digitale-infrastruktur"),
        staerken={"digitalisierungsstrategie": 3, "cdo-rolle": 2, "mitarbeitendenbeteiligung": 2},
        bedarfe={"digitallotsen": 3, "fuehrung-digital": 2, "prozessmanagement": 1},
        projekte=(
            ProjectEntry("digitalisierungsstrategie", "laufend", "Digitalstrategie mit Maßnahmenplan"),
            ProjectEntry("digitallotsen", "geplant", "Team von Digitallotsinnen und Digitallotsen aufbauen"),
        ),
        offen_fuer=("lernpartnerschaft", "gemeinsames-projekt", "nachnutzung"),
        reichweite_km=30,
    ),
    ALDENHOVEN: ProfileData(
        ags=ALDENHOVEN,
        ziele=("buergernaehe", "effizienz", "attraktivitaet"),
        handlungsfelder=("verwaltungshandeln", "bildung-kultur-wissenschaft"),
        staerken={"digitallotsen": 3, "cdo-rolle": 2, "digitale-arbeitsweisen": 2, "fuehrung-digital": 2},
        bedarfe={"digitalisierungsstrategie": 3, "e-akte": 2},
        projekte=(
            ProjectEntry(
                "digitallotsen", "abgeschlossen", "Inhouse-Ausbildung zu Digitallotsinnen und Digitallotsen"
            ),
            ProjectEntry("e-akte", "geplant", "Einführung der E-Akte"),
        ),
        offen_fuer=("lernpartnerschaft", "gemeinsames-projekt", "nachnutzung"),
        reichweite_km=30,
    ),
}


def _kind(kommune: Kommune) -> str:
    """The study's kind of Kommune (Tabelle 2): kreis, stadt or gemeinde."""
    if kommune.ebene == "kreis":
        return "kreis"
    return "stadt" if kommune.kind in _STADT_KINDS else "gemeinde"


def demo_kommunen() -> list[Kommune]:
    """The matchable Kommunen of the shipped demo region that are in the directory, by AGS."""
    extract = read_gv_isys(DEMO_REGION_PATH)
    keys = {g.ags for g in extract.kommunen} | {k.schluessel for k in extract.kreise}
    stmt = sa.select(Kommune).where(Kommune.ags.in_(keys), matchable_filter()).order_by(Kommune.ags)
    return list(db.session.scalars(stmt))


def demo_profiles(kommunen: list[Kommune]) -> list[ProfileData]:
    """One profile per Kommune: drawn (seeded) from the study, the story's two written by hand."""
    facts = [
        KommuneFacts(
            ags=k.ags, kind=_kind(k), population=k.population or 0, lat=k.lat or 0.0, lon=k.lon or 0.0
        )
        for k in kommunen
    ]
    return [STORY_PROFILES.get(p.ags, p) for p in draw_profiles(facts, seed=DEMO_SEED)]


@demo_step("profile")
def seed_demo_profiles() -> str:
    """Give every Kommune of the demo region a demo profile (repeatable; own profiles stay)."""
    kommunen = demo_kommunen()
    own = set(
        db.session.scalars(
            sa.select(Profile.kommune_id).where(
                Profile.is_demo.is_(False), Profile.kommune_id.in_([k.id for k in kommunen])
            )
        )
    )
    keep_ags = {k.ags for k in kommunen if k.id in own}
    profiles = [p for p in demo_profiles(kommunen) if p.ags not in keep_ags]
    count = import_profiles(profiles, is_demo=True)
    story = [name for ags, name in ((KREUZAU, "Kreuzau"), (ALDENHOVEN, "Aldenhoven")) if ags not in keep_ags]
    line = f"Demo-Profile: {count} Kommunen (Demodaten, Seed {DEMO_SEED})"
    if story:
        line += f"; {' und '.join(story)} nach dem kdvz-Bericht"
    if keep_ags:
        line += f"; {len(keep_ags)} eigene Profile unverändert"
    return line + "."
