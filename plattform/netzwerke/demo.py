"""Demo data for networks and shared projects: kdvz (Kreis Düren) and ANDI, a coordinator, ties, projects.

Runs after the profile domain's demo step when that one is registered earlier, and works without it:
Kommunen without a profile get a small deterministic one. Every part checks what exists first, so
`demo seed` can run again.
"""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from flask import current_app

from matching.profiles import ProfileData, ProjectEntry
from plattform.accounts.demo import DEMO_PASSWORD
from plattform.accounts.services import create_user, get_user_by_email
from plattform.core.clock import utcnow
from plattform.core.demo import demo_step
from plattform.extensions import db
from plattform.kommunen.models import Kommune
from plattform.kommunen.services import get_by_ags
from plattform.kontakte.models import Partnership
from plattform.netzwerke.models import Netzwerk, NetzwerkKoordination, NetzwerkMitglied
from plattform.profile.services import get_profile, profile_saved, profile_to_data, save_profile
from plattform.projekte.models import SharedProject, SharedProjectMember
from plattform.projekte.proposals import kreis_display_name, recompute

KDVZ_NAME = "kdvz – Digitalisierung im Kreis Düren"
ANDI_NAME = "ANDI – Agiles Netzwerk Digitale Innovation"
# The Kreis Düren coordinator of the accounts demo also coordinates kdvz (one demo person, one login).
COORDINATOR_EMAIL = "kreis-dueren@kommunalmatch.demo"
COORDINATOR_PASSWORD = DEMO_PASSWORD
KREIS_DUEREN = "05358"
# The fifteen Gemeinden of Kreis Düren (GV-ISys 2020).
DUEREN_GEMEINDEN = tuple(f"05358{n:03d}" for n in range(4, 61, 4))
ANDI_CITIES = ("08311000", "08222000", "08435016", "08421000", "08335043", "08215017", "08212000")
HUND = "hundesteuer-digital"
# Kreuzau runs the dog-tax project already; these Gemeinden want to do the same, each on its own.
HUND_LEAD = "05358028"
HUND_NEEDS = (
    "05358004",
    "05358016",
    "05358020",
    "05358032",
    "05358036",
    "05358040",
    "05358048",
    "05358052",
    "05358056",
    "05358060",
)
PARTNERSHIPS = (
    ("05358008", "05358028"),  # Düren – Kreuzau
    ("05358028", "05358044"),  # Kreuzau – Nideggen
    ("05358008", "05358040"),  # Düren – Merzenich
    ("05358008", "05358032"),  # Düren – Langerwehe
    ("05358024", "05358036"),  # Jülich – Linnich
    ("05358024", "05358056"),  # Jülich – Titz
    ("05358024", "05358004"),  # Jülich – Aldenhoven
    ("05358004", "05358020"),  # Aldenhoven – Inden
    ("08212000", "08215017"),  # Karlsruhe – Ettlingen
    ("08222000", "08212000"),  # Mannheim – Karlsruhe
    ("08335043", "08435016"),  # Konstanz – Friedrichshafen
    ("08311000", "08212000"),  # Freiburg – Karlsruhe
)
PROJECTS = (
    (
        "e-akte",
        "E-Akte im Verbund",
        "Düren führt die E-Akte ein; die Nachbargemeinden nutzen Verfahren und Schulungen mit.",
        "05358008",
        ("05358008", "05358048", "05358052", "05358060", "05358040"),
        "aktiv",
    ),
    (
        "open-data",
        "Open-Data-Portal der ANDI-Städte",
        "Ein gemeinsames Portal und gemeinsame Datenmodelle.",
        "08421000",
        ("08421000", "08311000", "08335043", "08222000"),
        "offen",
    ),
)
# Fallback profiles for Kommunen the profile demo step did not cover.
_POOL = (
    "e-akte",
    "ozg-umsetzung",
    "it-sicherheit",
    "digitallotsen",
    "online-formulare",
    "e-payment",
    "glasfaserausbau",
    "open-data",
    "maengelmelder",
    "fortbildung-fachverfahren",
    "datenmanagement",
    "servicekonto-eid",
)


def _fallback_profile(ags: str, i: int) -> ProfileData:
    n = len(_POOL)
    staerken = {_POOL[i % n]: 1 + i % 3, _POOL[(i + 5) % n]: 2}
    bedarfe = {_POOL[(i + 3) % n]: 2, _POOL[(i + 8) % n]: 1}
    if i % 4 == 1:
        bedarfe["chatbot"] = 2  # a need few Kommunen can teach: shows partners outside the network
    bedarfe = {k: v for k, v in bedarfe.items() if k not in staerken}
    return ProfileData(
        ags=ags,
        ziele=("effizienz", "rechtliche-vorgaben", "foerdermittel"),
        handlungsfelder=("verwaltungshandeln", "digitale-infrastruktur"),
        staerken=staerken,
        bedarfe=bedarfe,
        reichweite_km=40,
    )


def _ensure_profiles(ags_list: tuple[str, ...]) -> list[int]:
    """Give every listed Kommune a profile; the dog-tax needs and Kreuzau's running project on top."""
    changed = []
    for i, ags in enumerate(ags_list):
        kommune = get_by_ags(ags)
        if kommune is None:
            continue
        profile = get_profile(kommune.id)
        if profile is None:
            data, estimated, is_demo = _fallback_profile(ags, i), False, True
        else:
            data, estimated, is_demo = profile_to_data(profile), profile.estimated, profile.is_demo
        new = data
        if ags in HUND_NEEDS and HUND not in data.bedarfe and HUND not in {p.thema for p in data.projekte}:
            new = dataclasses.replace(new, bedarfe={**new.bedarfe, HUND: 2})
        if ags == HUND_LEAD:
            projects = [p for p in new.projekte if p.thema != HUND]
            projects.append(ProjectEntry(HUND, "laufend", "Hundesteuer online"))
            new = dataclasses.replace(
                new,
                projekte=tuple(projects),
                staerken={**new.staerken, HUND: max(2, new.staerken.get(HUND, 0))},
            )
        if ags in HUND_NEEDS or ags == HUND_LEAD:
            # Close enough to reach each other: the Gemeinden lie 5–15 km apart.
            new = dataclasses.replace(new, reichweite_km=max(new.reichweite_km, 30))
        if profile is None or new != data:
            save_profile(kommune, new, estimated=estimated, is_demo=is_demo, notify=False)
            changed.append(kommune.id)
    return changed


def _ensure_network(name: str, art: str, beschreibung: str, ags_list: tuple[str, ...]) -> Netzwerk:
    netzwerk = db.session.scalar(sa.select(Netzwerk).where(Netzwerk.name == name))
    if netzwerk is None:
        netzwerk = Netzwerk(name=name, art=art, beschreibung=beschreibung)
        db.session.add(netzwerk)
        db.session.flush()
    present = {m.kommune_id for m in netzwerk.mitglieder}
    for ags in ags_list:
        kommune = get_by_ags(ags)
        if kommune is not None and kommune.id not in present:
            netzwerk.mitglieder.append(NetzwerkMitglied(kommune_id=kommune.id))
            present.add(kommune.id)
    db.session.flush()
    return netzwerk


def _ensure_coordinator(netzwerk: Netzwerk) -> None:
    user = get_user_by_email(COORDINATOR_EMAIL)
    if user is None and current_app.config.get("ENV_NAME") == "production":
        return  # no demo accounts in production (the accounts demo step refuses them too)
    if user is None:
        user = create_user(
            COORDINATOR_EMAIL, COORDINATOR_PASSWORD, "Koordination Kreis Düren (Demo)", confirmed=True
        )
    exists = db.session.scalar(
        sa.select(NetzwerkKoordination).where(
            NetzwerkKoordination.netzwerk_id == netzwerk.id, NetzwerkKoordination.user_id == user.id
        )
    )
    if exists is None:
        db.session.add(NetzwerkKoordination(netzwerk_id=netzwerk.id, user_id=user.id))
    db.session.flush()


def _ensure_partnerships() -> int:
    added = 0
    for a_ags, b_ags in PARTNERSHIPS:
        a, b = get_by_ags(a_ags), get_by_ags(b_ags)
        if a is None or b is None:
            continue
        lo, hi = Partnership.ordered(a.id, b.id)
        if (
            db.session.scalar(
                sa.select(Partnership).where(Partnership.kommune_a_id == lo, Partnership.kommune_b_id == hi)
            )
            is None
        ):
            db.session.add(Partnership(kommune_a_id=lo, kommune_b_id=hi))
            added += 1
    db.session.flush()
    return added


def _ensure_projects() -> int:
    added = 0
    for thema, titel, beschreibung, lead_ags, member_ags, status in PROJECTS:
        if db.session.scalar(sa.select(SharedProject).where(SharedProject.titel == titel)) is not None:
            continue
        lead = get_by_ags(lead_ags)
        members = [k for k in (get_by_ags(a) for a in member_ags) if k is not None]
        if lead is None:
            continue
        now = utcnow()
        project = SharedProject(
            thema=thema,
            titel=titel,
            beschreibung=beschreibung,
            lead_kommune_id=lead.id,
            status=status,
            created_at=now,
            updated_at=now,
        )
        project.members = [
            SharedProjectMember(kommune_id=k.id, status="beigetreten", joined_at=now) for k in members
        ]
        db.session.add(project)
        added += 1
    db.session.flush()
    return added


@demo_step("netzwerke")
def seed_networks() -> str:
    """Networks kdvz and ANDI with members, the kdvz coordinator, ties, projects and fresh proposals."""
    changed = _ensure_profiles(DUEREN_GEMEINDEN + ANDI_CITIES)
    if changed:
        profile_saved.send(None, kommune_ids=changed)
    kdvz = _ensure_network(
        KDVZ_NAME,
        "zweckverband",
        "Zweckverband der Gemeinden im Kreis Düren für gemeinsame IT und Digitalisierung.",
        DUEREN_GEMEINDEN,
    )
    _ensure_network(
        ANDI_NAME,
        "frei",
        "Freies Netzwerk baden-württembergischer Städte, die Digitalisierung agil erproben.",
        ANDI_CITIES,
    )
    _ensure_coordinator(kdvz)
    partnerships = _ensure_partnerships()
    projects = _ensure_projects()
    db.session.commit()
    stats = recompute()
    kreis = db.session.scalar(sa.select(Kommune).where(Kommune.ags == KREIS_DUEREN))
    where = f" im {kreis_display_name(kreis)}" if kreis else ""
    return (
        f"Netzwerke: kdvz ({len(kdvz.mitglieder)} Gemeinden{where}) "
        "und ANDI, "
        f"Koordination {COORDINATOR_EMAIL}; {partnerships} Partnerschaften, {projects} Projekte neu; "
        f"{stats['proposals']} Projektvorschläge."
    )
