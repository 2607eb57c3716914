"""Rows to the JSON shapes of the OpenAPI description (components/schemas of plattform/api/openapi.py)."""

from __future__ import annotations

from datetime import datetime

from matching.profiles import profile_to_dict
from matching.vocabulary import TOPIC_LABELS_DE
from plattform.api.services import as_utc
from plattform.kommunen.models import Kommune
from plattform.kontakte.models import ContactRequest
from plattform.kontakte.services import ContactPerson
from plattform.netzwerke.models import Netzwerk
from plattform.profile.models import Profile
from plattform.profile.services import profile_to_data, profile_type_label
from plattform.projekte.models import SharedProject


def iso(value: datetime | None) -> str | None:
    """RFC 3339 with offset (SQLite returns naive UTC datetimes)."""
    value = as_utc(value)
    return value.isoformat() if value else None


def kommune_ref(kommune: Kommune) -> dict:
    """AGS and name: how other objects point to a Kommune."""
    return {"ags": kommune.ags, "name": kommune.name}


def kommune_summary(kommune: Kommune) -> dict:
    """A search hit."""
    return {
        "ags": kommune.ags,
        "name": kommune.name,
        "short_name": kommune.short_name,
        "ebene": kommune.ebene,
        "kind": kommune.kind,
        "kind_label": kommune.kind_label,
        "land": kommune.land_schluessel,
        "land_name": kommune.land.name if kommune.land else kommune.land_schluessel,
        "kreis_ags": kommune.kreis.ags if kommune.kreis is not None else None,
        "population": kommune.population,
        "lat": kommune.lat,
        "lon": kommune.lon,
        "active": kommune.active,
    }


def kommune_detail(
    kommune: Kommune, gemeinden: list[Kommune], partner: list[Kommune], has_profile: bool
) -> dict:
    """A Kommune's public facts, its Kreis, its Gemeinden and its learning partners."""
    return {
        **kommune_summary(kommune),
        "kreis": kommune_ref(kommune.kreis) if kommune.kreis is not None else None,
        "area_km2": kommune.area_km2,
        "plz": kommune.plz,
        "verstaedterung": kommune.verstaedterung_label,
        "stand": kommune.stand,
        "gemeinden": [kommune_ref(g) for g in gemeinden],
        "hat_profil": has_profile,
        "partner": [kommune_ref(p) for p in partner],
    }


def profile_public(profile: Profile) -> dict:
    """The public part of a profile: what the Kommune page shows, in the DESIGN.md format."""
    return {
        "kommune": kommune_ref(profile.kommune),
        "typ": profile.typ,
        "typ_label": profile_type_label(profile),
        "geschaetzt": bool(profile.estimated),
        "demodaten": bool(profile.is_demo),
        "aktualisiert_am": iso(profile.updated_at),
        "profil": profile_to_dict(profile_to_data(profile)),
    }


def contact_person(person: ContactPerson) -> dict:
    """An officer's contact details (only ever shown to partners)."""
    return {
        "name": person.name,
        "funktion": person.funktion,
        "email": person.email,
        "telefon": person.telefon,
    }


def contact_request(req: ContactRequest, contacts: list[ContactPerson] | None = None) -> dict:
    """A contact request; the other side's officers only when the caller may see them."""
    return {
        "id": req.id,
        "status": req.status,
        "von": kommune_ref(req.from_kommune),
        "an": kommune_ref(req.to_kommune),
        "nachricht": req.message or "",
        "erstellt_am": iso(req.created_at),
        "beantwortet_am": iso(req.answered_at),
        "kontaktpersonen": None if contacts is None else [contact_person(p) for p in contacts],
    }


def project(p: SharedProject) -> dict:
    """A shared project with its lead and members."""
    return {
        "id": p.id,
        "thema": p.thema,
        "thema_label": TOPIC_LABELS_DE.get(p.thema, p.thema),
        "titel": p.titel,
        "beschreibung": p.beschreibung or "",
        "status": p.status,
        "status_label": p.status_label,
        "nachnutzung": bool(p.nachnutzung),
        "ergebnis": p.ergebnis,
        "federfuehrung": kommune_ref(p.lead),
        "mitglieder": [{**kommune_ref(m.kommune), "status": m.status} for m in p.members],
        "erstellt_am": iso(p.created_at),
        "aktualisiert_am": iso(p.updated_at),
        "abgeschlossen_am": iso(p.closed_at),
    }


def network(n: Netzwerk, coordinates: bool) -> dict:
    """A network with its members."""
    members = sorted((m.kommune for m in n.mitglieder), key=lambda k: (k.name_search, k.ags))
    return {
        "id": n.id,
        "name": n.name,
        "art": n.art,
        "art_label": n.art_label,
        "beschreibung": n.beschreibung or "",
        "kreis": kommune_ref(n.kreis) if n.kreis is not None else None,
        "mitglieder": [kommune_ref(k) for k in members],
        "koordination": coordinates,
    }
