"""Reader for the Destatis GV-ISys quarterly extract (Gemeindeverzeichnis), CSV and XLSX.

Pure parsing, no database: the importer service turns the records into rows. The file is read whole
and validated before anything is written, so that an import is all-or-nothing.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

# Column order of the published extract; the XLSX carries the same columns below its header block.
COLUMNS: tuple[str, ...] = (
    "satzart",
    "textkennzeichen",
    "land",
    "rb",
    "kreis",
    "vb",
    "gemeinde",
    "gemeindename",
    "flaeche",
    "bevoelkerung",
    "maennlich",
    "weiblich",
    "jekm2",
    "postleitzahl",
    "laengengrad",
    "breitengrad",
    "schluessel",
    "bezeichnung",
    "verstaedterungschluessel",
    "verstaedterungbezeichnung",
)

SATZART_LAND, SATZART_RB, SATZART_REGION, SATZART_KREIS, SATZART_GV, SATZART_GEMEINDE = (
    10,
    20,
    30,
    40,
    50,
    60,
)

# Textkennzeichen → kind slug (Destatis record description, Satzart 40 and 60).
KREIS_KINDS: dict[str, str] = {
    "41": "kreisfreie-stadt",
    "42": "stadtkreis",
    "43": "kreis",
    "44": "landkreis",
    "45": "regionalverband",
}
GEMEINDE_KINDS: dict[str, str] = {
    "60": "markt",
    "61": "kreisfreie-stadt",
    "62": "stadtkreis",
    "63": "stadt",
    "64": "gemeinde",
    "65": "gemeindefreies-gebiet",
    "66": "gemeindefreies-gebiet",
    "67": "grosse-kreisstadt",
}
GEMEINDEFREI_CODES = frozenset({"65", "66"})


class GvIsysError(ValueError):
    """A malformed extract: names file, line and reason, in German and English."""

    def __init__(self, path: str, line: int | None, reason_de: str, reason_en: str):
        self.path, self.line, self.reason_de, self.reason_en = path, line, reason_de, reason_en
        where = f"{path}, Zeile {line}" if line else path
        super().__init__(f"{where}: {reason_de}")

    @property
    def message_en(self) -> str:
        """The same error for English log readers."""
        where = f"{self.path}, line {self.line}" if self.line else self.path
        return f"{where}: {self.reason_en}"


@dataclass(frozen=True)
class Land:
    """A Land (Satzart 10)."""

    schluessel: str
    name: str


@dataclass(frozen=True)
class KreisRecord:
    """A Kreis or kreisfreie Stadt (Satzart 40), keyed by its 5-digit Kreisschlüssel."""

    schluessel: str
    name: str
    kind: str
    line: int


@dataclass(frozen=True)
class GemeindeverbandRecord:
    """An Amt, Verbandsgemeinde or Samtgemeinde (Satzart 50), keyed by its 9-digit ARS prefix."""

    ars: str
    name: str
    kind_code: str
    line: int


@dataclass(frozen=True)
class GemeindeRecord:
    """A Gemeinde or gemeindefreies Gebiet (Satzart 60) with the extract's facts."""

    ags: str
    ars: str
    name: str
    kind: str
    area_km2: float | None
    population: int | None
    male: int | None
    female: int | None
    plz: str | None
    lon: float | None
    lat: float | None
    verstaedterung: int | None
    verstaedterung_label: str | None
    line: int

    @property
    def kreis_schluessel(self) -> str:
        """The 5-digit Kreisschlüssel this Gemeinde belongs to."""
        return self.ags[:5]

    @property
    def gemeindeverband_ars(self) -> str:
        """The 9-digit key of its Gemeindeverband."""
        return self.ars[:9]

    @property
    def gemeindefrei(self) -> bool:
        """Whether this is a gemeindefreies Gebiet (a forest or lake without inhabitants' council)."""
        return self.kind == "gemeindefreies-gebiet"


@dataclass
class GvIsysExtract:
    """Everything one extract holds, validated."""

    path: str
    laender: list[Land] = field(default_factory=list)
    kreise: list[KreisRecord] = field(default_factory=list)
    gemeindeverbaende: list[GemeindeverbandRecord] = field(default_factory=list)
    gemeinden: list[GemeindeRecord] = field(default_factory=list)

    @property
    def kommunen(self) -> list[GemeindeRecord]:
        """The Gemeinden without gemeindefreie Gebiete."""
        return [g for g in self.gemeinden if not g.gemeindefrei]


_DIGITS = re.compile(r"^\d+$")


def _int(value: object, path: str, line: int, column: str) -> int | None:
    """Parse an integer written with space thousands separators (" 90 164") or as a number."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if text in ("", "-", "."):
        return None
    if not _DIGITS.match(text):
        raise GvIsysError(
            path,
            line,
            f"Spalte '{column}': '{str(value).strip()}' ist keine ganze Zahl.",
            f"column '{column}': '{str(value).strip()}' is not an integer.",
        )
    return int(text)


def _float(value: object, path: str, line: int, column: str) -> float | None:
    """Parse a decimal with comma or point ("9,43751", " 53.02")."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip().replace(" ", "").replace(",", ".")
    if text in ("", "-"):
        return None
    try:
        return float(text)
    except ValueError:
        raise GvIsysError(
            path,
            line,
            f"Spalte '{column}': '{str(value).strip()}' ist keine Zahl.",
            f"column '{column}': '{str(value).strip()}' is not a number.",
        ) from None


def _key(value: object, width: int, path: str, line: int, column: str, *, required: bool = True) -> str:
    """Validate one part of the Schlüssel: exactly `width` digits."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = str(int(value)).zfill(width)
    else:
        text = "" if value is None else str(value).strip()
    if not text and not required:
        return ""
    if len(text) != width or not _DIGITS.match(text):
        raise GvIsysError(
            path,
            line,
            f"Spalte '{column}': Schlüsselteil '{text}' muss aus {width} Ziffern bestehen.",
            f"column '{column}': key part '{text}' must have {width} digits.",
        )
    return text


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, cells) of the CSV; a wrong encoding is reported with its line."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise GvIsysError(
            str(path),
            line,
            "Die Datei ist nicht UTF-8-kodiert (Destatis liefert UTF-8 mit BOM).",
            "the file is not UTF-8 encoded (Destatis ships UTF-8 with BOM).",
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for cells in reader:
            yield reader.line_num, cells
    except csv.Error as exc:
        raise GvIsysError(
            str(path),
            reader.line_num,
            f"Die CSV-Datei ist beschädigt oder abgeschnitten ({exc}).",
            f"the CSV file is broken or truncated ({exc}).",
        ) from None


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[object]]]:
    """Yield (row number, cells) of the data rows of a GV-ISys XLSX, skipping its header block."""
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise GvIsysError(
            str(path),
            None,
            f"Die Excel-Datei lässt sich nicht lesen ({exc.__class__.__name__}).",
            f"the Excel file cannot be read ({exc.__class__.__name__}).",
        ) from None
    try:
        # Destatis puts the directory on the second sheet ("Onlineprodukt_Gemeinden"); take the first
        # sheet whose first column holds a Satzart.
        for sheet in workbook.worksheets:
            found = False
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                first = row[0] if row else None
                if str(first).strip() in {"10", "20", "30", "40", "50", "60"}:
                    found = True
                    yield number, list(row[: len(COLUMNS)]) + [None] * (len(COLUMNS) - len(row))
                elif found and first is None and not any(row):
                    continue
            if found:
                return
    finally:
        workbook.close()


def read_gv_isys(path: str | Path) -> GvIsysExtract:
    """Read and validate a whole extract; raise GvIsysError on the first malformed row."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows: Iterable[tuple[int, list]] = _csv_rows(path)
        header_expected = True
    elif suffix in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(path)
        header_expected = False
    else:
        raise GvIsysError(
            str(path), None, "Nur CSV- und XLSX-Dateien werden gelesen.", "only CSV and XLSX are read."
        )
    extract = GvIsysExtract(path=str(path))
    seen: dict[str, int] = {}
    name = path.name
    for line, cells in rows:
        if header_expected:
            header_expected = False
            if [c.strip().lower() for c in cells[:3]] != list(COLUMNS[:3]):
                raise GvIsysError(
                    name,
                    line,
                    "Kopfzeile fehlt oder passt nicht zum GV-ISys-Auszug "
                    "(erwartet: satzart,textkennzeichen,…).",
                    "header missing or not a GV-ISys extract (expected: satzart,textkennzeichen,…).",
                )
            continue
        if not any(str(c).strip() for c in cells if c is not None):
            continue
        if len(cells) != len(COLUMNS):
            raise GvIsysError(
                name,
                line,
                f"Zeile hat {len(cells)} statt {len(COLUMNS)} Spalten (Datei abgeschnitten?).",
                f"row has {len(cells)} instead of {len(COLUMNS)} columns (file truncated?).",
            )
        rec = dict(zip(COLUMNS, cells, strict=True))
        satzart = _int(rec["satzart"], name, line, "satzart")
        text_code = str(rec["textkennzeichen"] or "").strip()
        if isinstance(rec["textkennzeichen"], float):
            text_code = str(int(rec["textkennzeichen"]))
        land = _key(rec["land"], 2, name, line, "land")
        gemeindename = str(rec["gemeindename"] or "").strip()
        if satzart == SATZART_LAND:
            extract.laender.append(Land(land, gemeindename))
        elif satzart in (SATZART_RB, SATZART_REGION):
            continue
        elif satzart == SATZART_KREIS:
            key = land + _key(rec["rb"], 1, name, line, "rb") + _key(rec["kreis"], 2, name, line, "kreis")
            kind = KREIS_KINDS.get(text_code)
            if kind is None:
                raise GvIsysError(
                    name,
                    line,
                    f"Unbekanntes Textkennzeichen '{text_code}' für einen Kreis.",
                    f"unknown Textkennzeichen '{text_code}' for a Kreis.",
                )
            _unique(seen, "K" + key, name, line, f"Kreisschlüssel {key}")
            extract.kreise.append(KreisRecord(key, gemeindename, kind, line))
        elif satzart == SATZART_GV:
            ars = (
                land
                + _key(rec["rb"], 1, name, line, "rb")
                + _key(rec["kreis"], 2, name, line, "kreis")
                + _key(rec["vb"], 4, name, line, "vb")
            )
            _unique(seen, "V" + ars, name, line, f"Gemeindeverband {ars}")
            extract.gemeindeverbaende.append(GemeindeverbandRecord(ars, gemeindename, text_code, line))
        elif satzart == SATZART_GEMEINDE:
            rb = _key(rec["rb"], 1, name, line, "rb")
            kreis = _key(rec["kreis"], 2, name, line, "kreis")
            vb = _key(rec["vb"], 4, name, line, "vb")
            gem = _key(rec["gemeinde"], 3, name, line, "gemeinde")
            ags = land + rb + kreis + gem
            kind = GEMEINDE_KINDS.get(text_code)
            if kind is None:
                raise GvIsysError(
                    name,
                    line,
                    f"Unbekanntes Textkennzeichen '{text_code}' für eine Gemeinde.",
                    f"unknown Textkennzeichen '{text_code}' for a Gemeinde.",
                )
            _unique(seen, "G" + ags, name, line, f"AGS {ags}")
            if not gemeindename:
                raise GvIsysError(name, line, "Gemeindename fehlt.", "Gemeinde name missing.")
            lon = _float(rec["laengengrad"], name, line, "laengengrad")
            lat = _float(rec["breitengrad"], name, line, "breitengrad")
            if lat == 0 and lon == 0:  # Destatis writes 0,0 where an area has no centre point
                lat = lon = None
            if (lat is not None and not (-90 <= lat <= 90)) or (lon is not None and not (-180 <= lon <= 180)):
                raise GvIsysError(
                    name, line, "Koordinaten außerhalb des gültigen Bereichs.", "coordinates out of range."
                )
            verst = _int(rec["verstaedterungschluessel"], name, line, "verstaedterungschluessel")
            plz = str(rec["postleitzahl"] or "").strip() or None
            if isinstance(rec["postleitzahl"], int | float):
                plz = str(int(rec["postleitzahl"])).zfill(5)
            extract.gemeinden.append(
                GemeindeRecord(
                    ags=ags,
                    ars=land + rb + kreis + vb + gem,
                    name=gemeindename,
                    kind=kind,
                    area_km2=_float(rec["flaeche"], name, line, "flaeche"),
                    population=_int(rec["bevoelkerung"], name, line, "bevoelkerung"),
                    male=_int(rec["maennlich"], name, line, "maennlich"),
                    female=_int(rec["weiblich"], name, line, "weiblich"),
                    plz=plz,
                    lon=lon,
                    lat=lat,
                    verstaedterung=verst,
                    verstaedterung_label=str(rec["verstaedterungbezeichnung"] or "").strip() or None,
                    line=line,
                )
            )
        else:
            raise GvIsysError(
                name, line, f"Unbekannte Satzart '{rec['satzart']}'.", f"unknown Satzart '{rec['satzart']}'."
            )
    if not extract.kreise and not extract.gemeinden:
        raise GvIsysError(name, None, "Die Datei enthält keine Kreise und keine Gemeinden.", "no records.")
    kreis_keys = {k.schluessel for k in extract.kreise}
    for g in extract.gemeinden:
        # gemeindefreie Gebiete may lie outside any Kreis (the German-Luxembourgish condominium).
        if not g.gemeindefrei and g.kreis_schluessel not in kreis_keys:
            raise GvIsysError(
                name,
                g.line,
                f"Gemeinde {g.ags} gehört zu Kreis {g.kreis_schluessel}, der in der Datei fehlt.",
                f"Gemeinde {g.ags} belongs to Kreis {g.kreis_schluessel}, missing from the file.",
            )
    log.info(
        "GV-ISys gelesen / read: %s, %d Kreise, %d Gemeinden",
        name,
        len(extract.kreise),
        len(extract.gemeinden),
    )
    return extract


def _unique(seen: dict[str, int], key: str, path: str, line: int, label: str) -> None:
    """Refuse a key seen before in the same file (it would silently overwrite)."""
    if key in seen:
        raise GvIsysError(
            path,
            line,
            f"{label} kommt doppelt vor (zuerst in Zeile {seen[key]}).",
            f"{label} occurs twice (first on line {seen[key]}).",
        )
    seen[key] = line
