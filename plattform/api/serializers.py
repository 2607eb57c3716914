"""Rows to the JSON shapes of plattform/api/schemas.py (English snake_case; the profile document German)."""

from __future__ import annotations

from datetime import datetime

from matching.profiles import ProfileData, mentioned_fields, profile_to_dict
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
        "level": kommune.ebene,
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
        "postcode": kommune.plz,
        "urbanisation": kommune.verstaedterung_label,
        "directory_date": kommune.stand,
        "gemeinden": [kommune_ref(g) for g in gemeinden],
        "has_profile": has_profile,
        "partners": [kommune_ref(p) for p in partner],
    }


def profile_public(profile: Profile) -> dict:
    """The public part of a profile: what the Kommune page shows, in the DESIGN.md format."""
    return {
        "kommune": kommune_ref(profile.kommune),
        "type": profile.typ,
        "type_label": profile_type_label(profile),
        "estimated": bool(profile.estimated),
        "demo": bool(profile.is_demo),
        "updated_at": iso(profile.updated_at),
        "profile": profile_to_dict(profile_to_data(profile)),
    }


def contact_person(person: ContactPerson) -> dict:
    """An officer's contact details (only ever shown to partners)."""
    return {
        "name": person.name,
        "role": person.funktion,
        "email": person.email,
        "phone": person.telefon,
    }


def contact_request(req: ContactRequest, contacts: list[ContactPerson] | None = None) -> dict:
    """A contact request; the other side's officers only when the caller may see them."""
    return {
        "id": req.id,
        "status": req.status,
        "from_kommune": kommune_ref(req.from_kommune),
        "to_kommune": kommune_ref(req.to_kommune),
        "message": req.message or "",
        "created_at": iso(req.created_at),
        "answered_at": iso(req.answered_at),
        "contacts": None if contacts is None else [contact_person(p) for p in contacts],
    }


def project(p: SharedProject) -> dict:
    """A shared project with its lead and members."""
    return {
        "id": p.id,
        "topic": p.thema,
        "topic_label": TOPIC_LABELS_DE.get(p.thema, p.thema),
        "title": p.titel,
        "description": p.beschreibung or "",
        "status": p.status,
        "status_label": p.status_label,
        "reuse": bool(p.nachnutzung),
        "result": p.ergebnis,
        "lead": kommune_ref(p.lead),
        "members": [{**kommune_ref(m.kommune), "status": m.status} for m in p.members],
        "created_at": iso(p.created_at),
        "updated_at": iso(p.updated_at),
        "closed_at": iso(p.closed_at),
    }


def network(n: Netzwerk, coordinates: bool) -> dict:
    """A network with its members."""
    members = sorted((m.kommune for m in n.mitglieder), key=lambda k: (k.name_search, k.ags))
    return {
        "id": n.id,
        "name": n.name,
        "kind": n.art,
        "kind_label": n.art_label,
        "description": n.beschreibung or "",
        "kreis": kommune_ref(n.kreis) if n.kreis is not None else None,
        "members": [kommune_ref(k) for k in members],
        "coordinated_by_you": coordinates,
    }


def suggestion(item: dict) -> dict:
    """A suggestion of ``suggestion_items`` as the API declares it: `explanation` in the request's
    language (Accept-Language), `facts` as data, `explanation_de` (deprecated) in German."""
    return item


__all__ = ["ProfileData", "mentioned_fields"]
