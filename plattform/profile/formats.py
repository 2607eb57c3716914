"""Profile files: read and write JSON, JSON Lines, CSV and XLSX, and the downloadable Excel template.

No Flask and no database here: this turns files into validated ``ProfileData`` and back. Reading is
all-or-nothing: the first bad record raises ``ProfileImportError`` naming the file, the line (or row,
or record number of a JSON array), the field and the reason in German, and nothing is returned. The
column scheme of CSV/XLSX is documented in ``matching.profiles``. Whether an AGS exists in the
directory is checked by the import service, not here.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from matching.profiles import (
    BEDARF_PREFIX,
    CSV_COLUMNS,
    CSV_IGNORED_COLUMNS,
    GOAL_COLUMNS,
    STAERKE_PREFIX,
    ProfileData,
    ProfileFormatError,
    parse_profile,
    profile_to_dict,
    profile_to_row,
    row_to_profile,
)
from matching.vocabulary import (
    GOAL_LABELS_DE,
    GOALS,
    HANDLUNGSFELD_LABELS_DE,
    HANDLUNGSFELDER,
    OPEN_FOR,
    OPEN_FOR_LABELS_DE,
    PROJECT_STATUSES,
    TOPIC_LABELS_DE,
    TOPIC_SLUGS,
)

FORMATS: tuple[str, ...] = (".json", ".jsonl", ".csv", ".xlsx")
SHEET_TITLE = "Profile"
HELP_SHEET_TITLE = "Erläuterung"
# A row whose first cell starts with this is a comment (the template's German help row) and skipped.
COMMENT_PREFIX = "#"
# Germany has about 11,000 Kommunen: a file with more profiles is a mistake or an attack, and it is
# refused before it fills the memory. Blank and comment rows count towards MAX_LINES.
MAX_RECORDS = 20_000
MAX_LINES = 25_000
# The full directory's profiles unpack to about 30 MB of sheet XML; more is refused unread ("ZIP bomb").
MAX_XLSX_UNPACKED_BYTES = 100 * 1024 * 1024
# A row is read up to one column past the widest header the format allows (so a cell beyond the header
# is still reported), whatever dimension the sheet declares: a 4.7 KB file declaring A1:XFD… made every
# row 16,384 cells wide.
MAX_SHEET_COLUMNS = len(CSV_COLUMNS) + len(CSV_IGNORED_COLUMNS) + 1
# Cells the sheets really hold (counted in their XML before openpyxl parses it): every allowed row
# with every column filled, and no more.
MAX_XLSX_CELLS = MAX_LINES * MAX_SHEET_COLUMNS
_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
_SCAN_CHUNK = 1 << 20
_SCAN_OVERLAP = 64


class ProfileImportError(ValueError):
    """A profile file cannot be imported; names file, line/row or record, field and German reason."""

    def __init__(
        self,
        file: str,
        message_de: str,
        *,
        line: int | None = None,
        record: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file, self.line, self.record, self.field, self.message_de = file, line, record, field, message_de
        parts = [file]
        if line is not None:
            parts.append(_("Zeile %(num)d", num=line))
        if record is not None:
            parts.append(_("Datensatz %(num)d", num=record))
        if field:
            parts.append(_("Feld '%(field)s'", field=field))
        super().__init__(f"{', '.join(parts)}: {message_de}")


def _format_of(path: Path) -> str:
    """The file format from the extension; anything else is a clear error."""
    ext = path.suffix.lower()
    if ext not in FORMATS:
        raise ProfileImportError(
            path.name,
            _(
                "Unbekanntes Dateiformat %(ext)s; erlaubt sind %(formats)s.",
                ext=repr(ext) if ext else _("(ohne Endung)"),
                formats=", ".join(FORMATS),
            ),
        )
    return ext


# --------------------------------------------------------------------------- reading


def read_profiles(path: str | Path) -> list[ProfileData]:
    """Read all profiles of a file (format by extension); raise ProfileImportError on the first bad one."""
    return [profile for _where, profile in read_profiles_located(path)]


def read_profiles_located(path: str | Path) -> list[tuple[dict[str, int], ProfileData]]:
    """Like read_profiles, each profile with where it stood ({"line": n} or {"record": n}).

    The import service needs the location to name the row of an AGS that is not in the directory
    or that the uploader may not edit.
    """
    path = Path(path)
    ext = _format_of(path)
    if not path.is_file():
        raise ProfileImportError(path.name, _("Die Datei wurde nicht gefunden."))
    readers = {".json": _read_json, ".jsonl": _read_jsonl, ".csv": _read_csv, ".xlsx": _read_xlsx}
    located: list[tuple[dict[str, int], ProfileData]] = []
    first_seen: dict[str, str] = {}
    for where, profile in readers[ext](path):
        if len(located) >= MAX_RECORDS:
            raise ProfileImportError(
                path.name, f"Die Datei enthält mehr als {MAX_RECORDS:,} Profile.".replace(",", "."), **where
            )
        if profile.ags in first_seen:
            raise ProfileImportError(
                path.name,
                _(
                    "AGS %(ags)s kommt mehrfach vor (zuerst in %(where)s).",
                    ags=profile.ags,
                    where=first_seen[profile.ags],
                ),
                field="ags",
                **where,
            )
        first_seen[profile.ags] = _where_label(where)
        located.append((where, profile))
    return located


def _where_text(where: dict[str, int]) -> str:
    """'Zeile 3' or 'Datensatz 3' (German), the record name matching's German messages embed."""
    if "line" in where:
        return f"Zeile {where['line']}"
    return f"Datensatz {where['record']}"


def _where_label(where: dict[str, int]) -> str:
    """'Zeile 3' or 'Datensatz 3' in the request's language, for the duplicate-AGS message."""
    if "line" in where:
        return _("Zeile %(num)d", num=where["line"])
    return _("Datensatz %(num)d", num=where["record"])


def _decode(path: Path) -> str:
    """Decode UTF-8 (with or without BOM) or UTF-16 with BOM; anything else is a clear error."""
    raw = path.read_bytes()
    encoding = "utf-16" if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ProfileImportError(
            path.name,
            _(
                "Die Datei ist nicht UTF-8-kodiert. Bitte in Excel als „CSV UTF-8 (durch Trennzeichen "
                "getrennt)“ speichern bzw. die Datei als UTF-8 exportieren."
            ),
            line=line,
        ) from None


def _profile_or_error(path: Path, obj: Any, where: dict[str, int], *, row: bool) -> ProfileData:
    """Validate one record, turning a ProfileFormatError into a ProfileImportError with the location."""
    try:
        if row:
            return row_to_profile(obj, record=_where_text(where))
        return parse_profile(obj, record=_where_text(where))
    except ProfileFormatError as exc:
        raise ProfileImportError(path.name, exc.message_de, field=exc.field, **where) from None


def _json_loads(path: Path, text: str, line: int | None = None) -> Any:
    """Parse JSON text; malformed or absurdly deep nesting is a clear error, never a crash."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = line if line is not None else exc.lineno
        message = _("Kein gültiges JSON: %(error)s.", error=exc.msg)
        raise ProfileImportError(path.name, message, line=where) from None
    except RecursionError:
        # The decoder recurses per nesting level; a profile is three levels deep.
        raise ProfileImportError(
            path.name,
            _("Das JSON ist zu tief verschachtelt; ein Profil hat höchstens drei Ebenen."),
            line=line,
        ) from None


def _read_json(path: Path) -> Iterator[tuple[dict[str, int], ProfileData]]:
    """A JSON array of profile objects (a single object is accepted as an array of one)."""
    data = _json_loads(path, _decode(path))
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise ProfileImportError(path.name, _("Erwartet wird eine JSON-Liste von Profilen."))
    for i, obj in enumerate(data, start=1):
        where = {"record": i}
        yield where, _profile_or_error(path, obj, where, row=False)


def _read_jsonl(path: Path) -> Iterator[tuple[dict[str, int], ProfileData]]:
    """JSON Lines: one profile object per line; blank lines are skipped."""
    for lineno, line in enumerate(_decode(path).splitlines(), start=1):
        _check_line_count(path, lineno)
        if not line.strip():
            continue
        where = {"line": lineno}
        obj = _json_loads(path, line, lineno)
        yield where, _profile_or_error(path, obj, where, row=False)


def _check_line_count(path: Path, lineno: int) -> None:
    """Stop reading a file with more than MAX_LINES lines or rows (blank ones included)."""
    if lineno > MAX_LINES:
        raise ProfileImportError(
            path.name, f"Die Datei hat mehr als {MAX_LINES:,} Zeilen.".replace(",", "."), line=lineno
        )


def _check_header(path: Path, header: Sequence[str], line: int) -> list[str]:
    """Column names must be known (CSV_COLUMNS or ignored ones) and include 'ags'."""
    cols = [h.strip() if isinstance(h, str) else ("" if h is None else str(h)) for h in header]
    if "ags" not in cols:
        raise ProfileImportError(
            path.name,
            _("Die Kopfzeile enthält keine Spalte 'ags'. Bitte die Vorlage verwenden."),
            line=line,
        )
    seen: set[str] = set()
    for col in cols:
        if not col:
            continue
        if col not in CSV_COLUMNS and col not in CSV_IGNORED_COLUMNS:
            raise ProfileImportError(
                path.name, _("Unbekannte Spalte %(col)s.", col=repr(col)), line=line, field=col
            )
        if col in seen:
            raise ProfileImportError(
                path.name, _("Spalte %(col)s kommt doppelt vor.", col=repr(col)), line=line, field=col
            )
        seen.add(col)
    return cols


def _rows_to_profiles(
    path: Path, rows: Iterable[tuple[int, Sequence[Any]]]
) -> Iterator[tuple[dict[str, int], ProfileData]]:
    """Shared by CSV and XLSX: header, skip comments and blank rows, validate each row."""
    header: list[str] | None = None
    for lineno, cells in rows:
        _check_line_count(path, lineno)
        if header is None:
            if not any(c not in (None, "") for c in cells):
                continue  # blank lines before the header
            header = _check_header(path, cells, lineno)
            continue
        values = ["" if c is None else c for c in cells]
        if not any(str(v).strip() for v in values):
            continue
        if str(values[0]).strip().startswith(COMMENT_PREFIX):
            continue
        if len(values) > len(header) and any(str(v).strip() for v in values[len(header) :]):
            raise ProfileImportError(
                path.name, _("Die Zeile hat mehr Zellen als die Kopfzeile Spalten."), line=lineno
            )
        row = {col: val for col, val in zip(header, values, strict=False) if col}
        where = {"line": lineno}
        yield where, _profile_or_error(path, row, where, row=True)
    if header is None:
        raise ProfileImportError(path.name, _("Die Datei ist leer (keine Kopfzeile)."))


def _sniff_delimiter(first_line: str) -> str:
    """';' (Excel in German locale), ',' or tab, whichever the header line uses most."""
    counts = {d: first_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ";"


def _read_csv(path: Path) -> Iterator[tuple[dict[str, int], ProfileData]]:
    """CSV with ';' or ',' (sniffed from the header), UTF-8 with or without BOM."""
    text = _decode(path)
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(first))

    def numbered() -> Iterator[tuple[int, list[str]]]:
        try:
            for cells in reader:
                # line_num is the physical line where the record ended, as a spreadsheet shows it.
                yield reader.line_num, cells
        except csv.Error as exc:
            raise ProfileImportError(
                path.name, _("Fehlerhafte CSV-Datei: %(error)s.", error=exc), line=reader.line_num
            ) from None

    yield from _rows_to_profiles(path, numbered())


def _read_xlsx(path: Path) -> Iterator[tuple[dict[str, int], ProfileData]]:
    """The sheet 'Profile' (or the first sheet) of an Excel workbook, read-only."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ProfileImportError(
            path.name, f"Die Datei ist keine lesbare Excel-Arbeitsmappe (.xlsx): {type(exc).__name__}."
        ) from None
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise ProfileImportError(
            path.name,
            f"Die Excel-Arbeitsmappe ist entpackt größer als {MAX_XLSX_UNPACKED_BYTES // 2**20} MB. "
            "Bitte teilen Sie sie auf.",
        )
    if count_xlsx_cells(path) > MAX_XLSX_CELLS:
        raise ProfileImportError(
            path.name,
            _(
                "Die Excel-Arbeitsmappe enthält mehr als %(cells)s Zellen. Bitte teilen Sie sie auf.",
                cells=f"{MAX_XLSX_CELLS:,}".replace(",", "."),
            ),
        )
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ProfileImportError(
            path.name,
            _("Die Datei ist keine lesbare Excel-Arbeitsmappe (.xlsx): %(error)s.", error=type(exc).__name__),
        ) from None
    except Exception as exc:  # openpyxl raises assorted errors on damaged workbooks
        raise ProfileImportError(
            path.name, _("Die Excel-Arbeitsmappe ist beschädigt: %(error)s.", error=type(exc).__name__)
        ) from None
    try:
        ws = wb[SHEET_TITLE] if SHEET_TITLE in wb.sheetnames else wb.worksheets[0]
        # The declared dimension is the writer's claim, not the content: rows are as wide as their
        # cells, and never wider than the format's columns.
        ws.reset_dimensions()
        cells = ws.iter_rows(values_only=True, max_col=MAX_SHEET_COLUMNS)
        rows = ((i, list(r)) for i, r in enumerate(cells, start=1))
        yield from _rows_to_profiles(path, rows)
    finally:
        wb.close()


def count_xlsx_cells(path: Path) -> int:
    """How many cells the workbook's sheets really hold: the `<c>` elements in their XML, counted in
    a streaming byte scan (cheap, and independent of any dimension the file declares)."""
    total = 0
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                continue
            with archive.open(info) as member:
                carry = b""
                while chunk := member.read(_SCAN_CHUNK):
                    data = carry + chunk
                    # A tag may straddle two chunks: count only tags starting before the overlap.
                    limit = max(0, len(data) - _SCAN_OVERLAP)
                    total += sum(1 for m in _CELL_TAG.finditer(data) if m.start() < limit)
                    carry = data[limit:]
                total += sum(1 for _m in _CELL_TAG.finditer(carry))
    return total


# --------------------------------------------------------------------------- writing


def write_profiles(path: str | Path, profiles: Iterable[ProfileData]) -> None:
    """Write profiles in the format given by the extension, readable again by read_profiles."""
    path = Path(path)
    ext = _format_of(path)
    profiles = list(profiles)
    if ext == ".json":
        data = [profile_to_dict(p) for p in profiles]
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    elif ext == ".jsonl":
        lines = (json.dumps(profile_to_dict(p), ensure_ascii=False) for p in profiles)
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    elif ext == ".csv":
        # UTF-8 with BOM and ';' so a German Excel opens it with umlauts and columns intact.
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(CSV_COLUMNS), delimiter=";")
            writer.writeheader()
            for p in profiles:
                writer.writerow(profile_to_row(p))
    else:
        with path.open("wb") as fh:
            _write_workbook(fh, profiles)


def write_template_xlsx(path_or_buffer: str | Path | IO[bytes]) -> None:
    """Write the empty Excel template (header, German help row, level drop-downs, slug lists)."""
    if isinstance(path_or_buffer, str | Path):
        with Path(path_or_buffer).open("wb") as fh:
            _write_workbook(fh, [])
    else:
        _write_workbook(path_or_buffer, [])


def _help_text(col: str) -> str:
    """German help text for one column of the template's help row."""
    if col == "ags":
        return "# AGS, 8 Ziffern (Kreis: 5-stelliger Kreisschlüssel), als Text"
    if col in GOAL_COLUMNS:
        return f"Ziel {col[-1]} (wichtigstes zuerst), siehe Blatt „{HELP_SHEET_TITLE}“"
    if col == "handlungsfelder":
        return "Handlungsfelder, getrennt durch ;"
    if col.startswith(STAERKE_PREFIX):
        return f"Stärke „{TOPIC_LABELS_DE[col.removeprefix(STAERKE_PREFIX)]}“: leer oder 1–3"
    if col.startswith(BEDARF_PREFIX):
        return f"Bedarf „{TOPIC_LABELS_DE[col.removeprefix(BEDARF_PREFIX)]}“: leer oder 1–3"
    if col == "projekte":
        return "thema|status|titel; … (status: " + ", ".join(PROJECT_STATUSES) + ")"
    if col == "offen_fuer":
        return "; getrennt: " + ", ".join(OPEN_FOR) + " (leer = alle)"
    if col == "reichweite_km":
        return "Reichweite in km, 1–1000 (leer = 50)"
    return ""


def _write_workbook(fh: IO[bytes], profiles: Sequence[ProfileData]) -> None:
    """The workbook behind both the export and the template."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    cols = list(CSV_COLUMNS)
    ws.append(cols)
    ws.append([_help_text(c) for c in cols])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for cell in ws[2]:
        cell.font = Font(italic=True, color="555555")
        cell.fill = PatternFill("solid", fgColor="EEEEEE")
    ws.freeze_panes = "B3"
    for p in profiles:
        row = profile_to_row(p)
        values: list[Any] = []
        for c in cols:
            v = row[c]
            # Levels and reach as numbers so Excel sums and filters them; the AGS stays text.
            if v and (c.startswith((STAERKE_PREFIX, BEDARF_PREFIX)) or c == "reichweite_km"):
                values.append(int(v))
            else:
                values.append(v)
        ws.append(values)
    last = max(ws.max_row, 1000)
    ags_letter = get_column_letter(1)
    for r in range(3, ws.max_row + 1):
        ws[f"{ags_letter}{r}"].number_format = "@"

    level_dv = DataValidation(type="list", formula1='"1,2,3"', allow_blank=True)
    level_dv.error = "Bitte 1, 2 oder 3 eintragen oder leer lassen."
    level_dv.errorTitle = "Ungültige Stufe"
    goal_dv = DataValidation(type="list", formula1='"' + ",".join(GOALS) + '"', allow_blank=True)
    goal_dv.error = "Bitte ein Ziel aus der Liste wählen."
    ws.add_data_validation(level_dv)
    ws.add_data_validation(goal_dv)
    for i, c in enumerate(cols, start=1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = 14 if c.startswith((STAERKE_PREFIX, BEDARF_PREFIX)) else 24
        if c.startswith((STAERKE_PREFIX, BEDARF_PREFIX)):
            level_dv.add(f"{letter}3:{letter}{last}")
        elif c in GOAL_COLUMNS:
            goal_dv.add(f"{letter}3:{letter}{last}")

    help_ws = wb.create_sheet(HELP_SHEET_TITLE)
    help_ws.append(["Bereich", "Kürzel (slug)", "Bedeutung"])
    for cell in help_ws[1]:
        cell.font = Font(bold=True)
    for slug in GOALS:
        help_ws.append(["Ziel", slug, GOAL_LABELS_DE[slug]])
    for slug in HANDLUNGSFELDER:
        help_ws.append(["Handlungsfeld", slug, HANDLUNGSFELD_LABELS_DE[slug]])
    for slug in TOPIC_SLUGS:
        help_ws.append(["Thema", slug, TOPIC_LABELS_DE[slug]])
    for slug in PROJECT_STATUSES:
        help_ws.append(["Projektstatus", slug, slug])
    for slug in OPEN_FOR:
        help_ws.append(["Offen für", slug, OPEN_FOR_LABELS_DE[slug]])
    help_ws.column_dimensions["A"].width = 16
    help_ws.column_dimensions["B"].width = 28
    help_ws.column_dimensions["C"].width = 70
    wb.save(fh)
