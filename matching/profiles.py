"""The profile format of a Kommune (DESIGN.md, "Data formats"): parsing, validation, serialisation.

One profile is one JSON object::

    {"ags": "05358028",
     "ziele": ["rechtliche-vorgaben", "foerdermittel", "effizienz"],
     "handlungsfelder": ["verwaltungshandeln", "digitale-infrastruktur", "sicherheit"],
     "staerken": {"ozg-umsetzung": 3, "it-sicherheit": 2},
     "bedarfe": {"glasfaserausbau": 3, "datennutzung": 2},
     "projekte": [{"thema": "hundesteuer-digital", "status": "laufend", "titel": "Hundesteuer online"}],
     "offen_fuer": ["lernpartnerschaft", "gemeinsames-projekt", "nachnutzung"],
     "reichweite_km": 60}

Only ``ags`` is required. Missing keys default to: no goals, fields, strengths, needs or projects;
``offen_fuer`` all three options; ``reichweite_km`` 50. A key ``name`` is accepted and ignored (people
like to keep the Kommune's name next to its AGS); any other unknown key is an error, so a typo such as
``staerke`` cannot silently drop data.

Spreadsheet column scheme (CSV and XLSX, one row per Kommune, see ``CSV_COLUMNS``):

- ``ags``: 8-digit AGS of a Gemeinde/Stadt, or the 5-digit Kreisschlüssel of a Kreis. A value that
  lost its leading zero in a spreadsheet (7 or 4 digits) is padded back.
- ``ziel_1``, ``ziel_2``, ``ziel_3``: goal slugs, most important first; may be left empty from the end.
- ``handlungsfelder``: field slugs separated by ``;`` (``a;b;c``).
- ``staerke:<topic>`` for every topic: empty, or the level 1–3 of what the Kommune can teach.
- ``bedarf:<topic>`` for every topic: empty, or the priority 1–3 of what it wants to learn.
- ``projekte``: ``thema|status|titel`` entries separated by ``;`` (an optional fourth part is a link);
  a title must not contain ``;`` or ``|``; without a title the topic's label is used.
- ``offen_fuer``: slugs of ``lernpartnerschaft``, ``gemeinsames-projekt``, ``nachnutzung`` separated by
  ``;``. Empty means all three.
- ``reichweite_km``: whole kilometres, 1–1000; empty means 50.
- ``name``: optional, ignored.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from matching.vocabulary import (
    GOAL_LABELS_DE,
    HANDLUNGSFELDER,
    LEVELS,
    OPEN_FOR,
    PROJECT_STATUSES,
    TOPIC_INDEX,
    TOPIC_LABELS_DE,
    TOPIC_SLUGS,
)

MAX_GOALS = 3
DEFAULT_REICHWEITE_KM = 50
# Germany spans about 900 km; a reach above 1000 km is a typo (metres, not kilometres).
MAX_REICHWEITE_KM = 1000
MAX_PROJECTS = 50
MAX_TITLE_LEN = 200
MAX_LINK_LEN = 500

PROFILE_KEYS: tuple[str, ...] = (
    "ags",
    "ziele",
    "handlungsfelder",
    "staerken",
    "bedarfe",
    "projekte",
    "offen_fuer",
    "reichweite_km",
)
IGNORED_KEYS: tuple[str, ...] = ("name",)

GOAL_COLUMNS: tuple[str, ...] = tuple(f"ziel_{i}" for i in range(1, MAX_GOALS + 1))
STAERKE_PREFIX = "staerke:"
BEDARF_PREFIX = "bedarf:"
CSV_COLUMNS: tuple[str, ...] = (
    "ags",
    *GOAL_COLUMNS,
    "handlungsfelder",
    *(STAERKE_PREFIX + s for s in TOPIC_SLUGS),
    *(BEDARF_PREFIX + s for s in TOPIC_SLUGS),
    "projekte",
    "offen_fuer",
    "reichweite_km",
)
CSV_IGNORED_COLUMNS: tuple[str, ...] = ("name",)

_AGS_RE = re.compile(r"^(\d{8}|\d{5})$")
_LINK_RE = re.compile(r"^https?://\S+$")


class ProfileFormatError(ValueError):
    """A profile record is invalid; names the record and the field so the user can fix the source."""

    def __init__(self, record: str, field: str, message_de: str) -> None:
        self.record = str(record)
        self.field = field
        self.message_de = message_de
        super().__init__(f"Datensatz {self.record}, Feld '{field}': {message_de}")


@dataclass(frozen=True)
class ProjectEntry:
    """A project a Kommune works on; the basis of shared-project proposals."""

    thema: str
    status: str
    titel: str
    link: str | None = None


@dataclass(frozen=True)
class ProfileData:
    """A validated profile of one Kommune, the engine's input (no database, no Flask)."""

    ags: str
    ziele: tuple[str, ...] = ()
    handlungsfelder: tuple[str, ...] = ()
    staerken: dict[str, int] = field(default_factory=dict)
    bedarfe: dict[str, int] = field(default_factory=dict)
    projekte: tuple[ProjectEntry, ...] = ()
    offen_fuer: tuple[str, ...] = OPEN_FOR
    reichweite_km: int = DEFAULT_REICHWEITE_KM


# --------------------------------------------------------------------------- JSON objects


def parse_profile(obj: Mapping[str, Any], *, record: str | int) -> ProfileData:
    """Validate one profile object and return it; raise ProfileFormatError naming record and field."""
    rec = str(record)
    if not isinstance(obj, Mapping):
        raise ProfileFormatError(rec, "-", "Ein Profil muss ein JSON-Objekt sein.")
    for key in obj:
        if key not in PROFILE_KEYS and key not in IGNORED_KEYS:
            raise ProfileFormatError(rec, str(key), f"Unbekanntes Feld {key!r}.")
    if "ags" not in obj:
        raise ProfileFormatError(rec, "ags", "Der Amtliche Gemeindeschlüssel (AGS) fehlt.")
    ags = _parse_ags(obj["ags"], rec)
    ziele = _parse_goals(obj.get("ziele", []), rec)
    felder = _parse_slug_list(
        obj.get("handlungsfelder", []), HANDLUNGSFELDER, rec, "handlungsfelder", "Handlungsfeld"
    )
    staerken = _parse_levels(obj.get("staerken", {}), rec, "staerken", "Stufe")
    bedarfe = _parse_levels(obj.get("bedarfe", {}), rec, "bedarfe", "Priorität")
    projekte = _parse_projects(obj.get("projekte", []), rec)
    if "offen_fuer" in obj:
        offen = _parse_slug_list(obj["offen_fuer"], OPEN_FOR, rec, "offen_fuer", "Kooperationsform")
        offen = tuple(o for o in OPEN_FOR if o in offen)  # canonical order
    else:
        offen = OPEN_FOR
    reach = _parse_reach(obj.get("reichweite_km", DEFAULT_REICHWEITE_KM), rec)
    return ProfileData(
        ags=ags,
        ziele=ziele,
        handlungsfelder=felder,
        staerken=staerken,
        bedarfe=bedarfe,
        projekte=projekte,
        offen_fuer=offen,
        reichweite_km=reach,
    )


def profile_to_dict(p: ProfileData) -> dict[str, Any]:
    """Serialise a profile to the JSON shape of DESIGN.md; parse_profile(profile_to_dict(p)) == p."""
    projekte = []
    for pr in p.projekte:
        entry: dict[str, Any] = {"thema": pr.thema, "status": pr.status, "titel": pr.titel}
        if pr.link:
            entry["link"] = pr.link
        projekte.append(entry)
    return {
        "ags": p.ags,
        "ziele": list(p.ziele),
        "handlungsfelder": list(p.handlungsfelder),
        "staerken": _sorted_levels(p.staerken),
        "bedarfe": _sorted_levels(p.bedarfe),
        "projekte": projekte,
        "offen_fuer": list(p.offen_fuer),
        "reichweite_km": p.reichweite_km,
    }


def _sorted_levels(levels: Mapping[str, int]) -> dict[str, int]:
    """Levels in vocabulary order, so exports are stable and diffable."""
    return {k: levels[k] for k in sorted(levels, key=lambda s: TOPIC_INDEX.get(s, len(TOPIC_INDEX)))}


def _parse_ags(value: Any, rec: str) -> str:
    """Check the AGS shape: 8 digits, or the 5-digit Kreisschlüssel of a Kreis, Land 01–16."""
    if not isinstance(value, str):
        raise ProfileFormatError(
            rec, "ags", f"Der AGS muss als Text angegeben werden (wegen führender Nullen), nicht {value!r}."
        )
    ags = value.strip()
    if not _AGS_RE.match(ags):
        raise ProfileFormatError(
            rec,
            "ags",
            f"AGS {ags!r} ist ungültig: erwartet werden 8 Ziffern (Gemeinde oder Stadt) "
            "oder 5 Ziffern (Kreisschlüssel eines Kreises).",
        )
    if not 1 <= int(ags[:2]) <= 16:
        raise ProfileFormatError(
            rec, "ags", f"AGS {ags!r} ist ungültig: die ersten beiden Ziffern (Land) liegen nicht bei 01–16."
        )
    return ags


def _parse_goals(value: Any, rec: str) -> tuple[str, ...]:
    """At most three distinct known goals, most important first."""
    if not isinstance(value, list | tuple):
        raise ProfileFormatError(rec, "ziele", "Die Ziele müssen eine Liste sein.")
    if len(value) > MAX_GOALS:
        raise ProfileFormatError(
            rec, "ziele", f"Höchstens {MAX_GOALS} Digitalisierungsziele erlaubt, angegeben sind {len(value)}."
        )
    seen: list[str] = []
    for goal in value:
        if not isinstance(goal, str) or goal not in GOAL_LABELS_DE:
            raise ProfileFormatError(rec, "ziele", f"Unbekanntes Digitalisierungsziel {goal!r}.")
        if goal in seen:
            raise ProfileFormatError(
                rec, "ziele", f"Das Ziel {goal!r} ({GOAL_LABELS_DE[goal]}) ist doppelt angegeben."
            )
        seen.append(goal)
    return tuple(seen)


def _parse_slug_list(
    value: Any, allowed: tuple[str, ...], rec: str, fname: str, what: str
) -> tuple[str, ...]:
    """A list of distinct slugs from ``allowed``."""
    if not isinstance(value, list | tuple):
        raise ProfileFormatError(rec, fname, f"{fname} muss eine Liste sein.")
    seen: list[str] = []
    for slug in value:
        if not isinstance(slug, str) or slug not in allowed:
            raise ProfileFormatError(rec, fname, f"Unbekanntes {what} {slug!r}.")
        if slug in seen:
            raise ProfileFormatError(rec, fname, f"{what} {slug!r} ist doppelt angegeben.")
        seen.append(slug)
    return tuple(seen)


def _parse_levels(value: Any, rec: str, fname: str, what: str) -> dict[str, int]:
    """A mapping topic slug -> level 1..3 (strengths: Stufe; needs: Priorität)."""
    if not isinstance(value, Mapping):
        raise ProfileFormatError(rec, fname, f"{fname} muss ein Objekt Thema → {what} sein.")
    out: dict[str, int] = {}
    for slug, level in value.items():
        fpath = f"{fname}.{slug}"
        if slug not in TOPIC_INDEX:
            raise ProfileFormatError(rec, fpath, f"Unbekanntes Thema {slug!r}.")
        # bool is an int subclass; True must not pass as level 1.
        if isinstance(level, bool) or not isinstance(level, int):
            raise ProfileFormatError(rec, fpath, f"{what} {level!r} ist keine ganze Zahl zwischen 1 und 3.")
        if level not in LEVELS:
            raise ProfileFormatError(rec, fpath, f"{what} {level} liegt nicht zwischen 1 und 3")
        out[slug] = level
    return _sorted_levels(out)


def _parse_projects(value: Any, rec: str) -> tuple[ProjectEntry, ...]:
    """A list of {thema, status, titel?, link?} objects."""
    if not isinstance(value, list | tuple):
        raise ProfileFormatError(rec, "projekte", "projekte muss eine Liste sein.")
    if len(value) > MAX_PROJECTS:
        raise ProfileFormatError(rec, "projekte", f"Höchstens {MAX_PROJECTS} Projekte erlaubt.")
    out = []
    for i, item in enumerate(value, start=1):
        base = f"projekte.{i}"
        if not isinstance(item, Mapping):
            raise ProfileFormatError(rec, base, "Ein Projekt muss ein Objekt mit thema und status sein.")
        for key in item:
            if key not in ("thema", "status", "titel", "link"):
                raise ProfileFormatError(rec, f"{base}.{key}", f"Unbekanntes Feld {key!r}.")
        thema = item.get("thema")
        if not isinstance(thema, str) or thema not in TOPIC_INDEX:
            raise ProfileFormatError(rec, f"{base}.thema", f"Unbekanntes Thema {thema!r}.")
        status = item.get("status")
        if not isinstance(status, str) or status not in PROJECT_STATUSES:
            raise ProfileFormatError(
                rec,
                f"{base}.status",
                f"Status {status!r} ist ungültig; erlaubt sind {', '.join(PROJECT_STATUSES)}.",
            )
        titel = item.get("titel")
        if titel is None or (isinstance(titel, str) and not titel.strip()):
            titel = TOPIC_LABELS_DE[thema]
        if not isinstance(titel, str):
            raise ProfileFormatError(rec, f"{base}.titel", "Der Titel muss ein Text sein.")
        titel = titel.strip()
        if len(titel) > MAX_TITLE_LEN:
            raise ProfileFormatError(
                rec, f"{base}.titel", f"Der Titel ist länger als {MAX_TITLE_LEN} Zeichen."
            )
        link = item.get("link")
        if link is not None and link != "":
            if not isinstance(link, str) or len(link) > MAX_LINK_LEN or not _LINK_RE.match(link.strip()):
                raise ProfileFormatError(
                    rec, f"{base}.link", f"Link {link!r} ist keine gültige http(s)-Adresse."
                )
            link = link.strip()
        else:
            link = None
        out.append(ProjectEntry(thema=thema, status=status, titel=titel, link=link))
    return tuple(out)


def _parse_reach(value: Any, rec: str) -> int:
    """Reach in whole kilometres, 1..MAX_REICHWEITE_KM."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ProfileFormatError(rec, "reichweite_km", f"Reichweite {value!r} ist keine Zahl (Kilometer).")
    if not 1 <= value <= MAX_REICHWEITE_KM:
        raise ProfileFormatError(
            rec,
            "reichweite_km",
            f"Reichweite {value:g} km ist nicht möglich: erlaubt sind 1 bis {MAX_REICHWEITE_KM} km.",
        )
    return round(value)


# --------------------------------------------------------------------------- spreadsheet rows


def profile_to_row(p: ProfileData) -> dict[str, str]:
    """Flatten a profile into the spreadsheet column scheme (every column of CSV_COLUMNS present)."""
    row = dict.fromkeys(CSV_COLUMNS, "")
    row["ags"] = p.ags
    for col, goal in zip(GOAL_COLUMNS, p.ziele, strict=False):
        row[col] = goal
    row["handlungsfelder"] = ";".join(p.handlungsfelder)
    for slug, level in p.staerken.items():
        row[STAERKE_PREFIX + slug] = str(level)
    for slug, level in p.bedarfe.items():
        row[BEDARF_PREFIX + slug] = str(level)
    parts = []
    for pr in p.projekte:
        bits = [pr.thema, pr.status, _cell_safe(pr.titel)]
        if pr.link:
            bits.append(pr.link)
        parts.append("|".join(bits))
    row["projekte"] = "; ".join(parts)
    row["offen_fuer"] = ";".join(p.offen_fuer)
    row["reichweite_km"] = str(p.reichweite_km)
    return row


def _cell_safe(text: str) -> str:
    """';' and '|' separate projects and their parts, so they cannot appear inside a title."""
    return text.replace(";", ",").replace("|", "/")


def _cell_text(value: Any) -> str:
    """Spreadsheet cell -> stripped text; 3.0 from Excel becomes '3'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _split_list(text: str) -> list[str]:
    """'a; b;c' -> ['a', 'b', 'c'] (',' accepted as well, slugs never contain one)."""
    return [s.strip() for s in re.split(r"[;,]", text) if s.strip()]


def row_to_profile(row: Mapping[str, Any], *, record: str | int) -> ProfileData:
    """Parse one spreadsheet row (column -> cell) into a profile; errors name the column."""
    rec = str(record)
    cells = {str(k).strip(): _cell_text(v) for k, v in row.items() if k is not None}
    for col in cells:
        if col not in CSV_COLUMNS and col not in CSV_IGNORED_COLUMNS:
            if cells[col] == "" and col == "":
                continue  # trailing empty column of a spreadsheet
            raise ProfileFormatError(rec, col, f"Unbekannte Spalte {col!r}.")
    obj: dict[str, Any] = {}
    ags = cells.get("ags", "")
    if ags.isdigit() and len(ags) in (4, 7):
        ags = "0" + ags  # the spreadsheet dropped the leading zero of Länder 01–09
    obj["ags"] = ags

    goals: list[str] = []
    gap_at = None
    for col in GOAL_COLUMNS:
        val = cells.get(col, "")
        if not val:
            gap_at = gap_at or col
            continue
        if gap_at:
            raise ProfileFormatError(rec, gap_at, f"{gap_at} ist leer, aber {col} ist angegeben.")
        if val not in GOAL_LABELS_DE:
            raise ProfileFormatError(rec, col, f"Unbekanntes Digitalisierungsziel {val!r}.")
        if val in goals:
            raise ProfileFormatError(
                rec, col, f"Das Ziel {val!r} ({GOAL_LABELS_DE[val]}) ist doppelt angegeben."
            )
        goals.append(val)
    obj["ziele"] = goals
    obj["handlungsfelder"] = _split_list(cells.get("handlungsfelder", ""))

    for prefix, key, what in ((STAERKE_PREFIX, "staerken", "Stufe"), (BEDARF_PREFIX, "bedarfe", "Priorität")):
        levels: dict[str, int] = {}
        for slug in TOPIC_SLUGS:
            col = prefix + slug
            val = cells.get(col, "")
            if not val:
                continue
            if not (val.isascii() and val.isdigit()):
                raise ProfileFormatError(rec, col, f"{what} {val!r} ist keine ganze Zahl zwischen 1 und 3.")
            if int(val) not in LEVELS:
                raise ProfileFormatError(rec, col, f"{what} {int(val)} liegt nicht zwischen 1 und 3")
            levels[slug] = int(val)
        obj[key] = levels

    projekte = []
    for entry in (e.strip() for e in cells.get("projekte", "").split(";")):
        if not entry:
            continue
        bits = [b.strip() for b in entry.split("|")]
        if len(bits) < 2 or len(bits) > 4:
            raise ProfileFormatError(
                rec, "projekte", f"Projekt {entry!r} hat nicht die Form thema|status|titel."
            )
        item: dict[str, Any] = {"thema": bits[0], "status": bits[1]}
        if len(bits) > 2:
            item["titel"] = bits[2]
        if len(bits) > 3:
            item["link"] = bits[3]
        projekte.append(item)
    obj["projekte"] = projekte
    if cells.get("offen_fuer", ""):
        obj["offen_fuer"] = _split_list(cells["offen_fuer"])
    reach = cells.get("reichweite_km", "")
    if reach:
        try:
            if not reach.isascii():  # float() reads Arabic-Indic or full-width digits too
                raise ValueError(reach)
            obj["reichweite_km"] = float(reach.replace(",", "."))
        except ValueError:
            raise ProfileFormatError(
                rec, "reichweite_km", f"Reichweite {reach!r} ist keine Zahl (Kilometer)."
            ) from None
    try:
        return parse_profile(obj, record=rec)
    except ProfileFormatError as exc:
        raise ProfileFormatError(rec, _column_for(exc.field), exc.message_de) from None


def _column_for(json_field: str) -> str:
    """Map a JSON field path of parse_profile onto the spreadsheet column the user has to fix."""
    if json_field.startswith("staerken."):
        return STAERKE_PREFIX + json_field.removeprefix("staerken.")
    if json_field.startswith("bedarfe."):
        return BEDARF_PREFIX + json_field.removeprefix("bedarfe.")
    if json_field.startswith("projekte"):
        return "projekte"
    if json_field == "ziele":
        return GOAL_COLUMNS[0]
    return json_field
