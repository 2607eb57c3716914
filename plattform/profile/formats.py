"""Profile files: read and write JSON, JSON Lines, CSV and XLSX, and the Excel template.

No database here: this turns files into validated ``ProfileData`` (by ``matching.profiles``, the one
profile model) and back. Reading validates every record in one pass and is all-or-nothing: when any
record is bad, ``ProfileImportError`` lists every problem of the file (up to ``MAX_REPORTED_ISSUES``),
each with the line (or row, or record number of a JSON array), the column or field and a German
message, and nothing is returned. Whether an AGS exists in the directory is checked by the import
service. The column scheme of CSV/XLSX is documented in ``matching.profiles``; the XLSX shows German
column headers with the slugs in a hidden second row, so a filled-in sheet reads back as it was written.
CSV is written in one dialect for every export of the platform (``plattform.core.exports``).
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from matching import vocabulary as vocab
from matching.profiles import (
    BEDARF_PREFIX,
    COLUMN_LABELS_DE,
    CSV_COLUMNS,
    CSV_IGNORED_COLUMNS,
    GOAL_COLUMNS,
    STAERKE_PREFIX,
    ProfileData,
    ProfileFormatError,
    column_for_header,
    mentioned_fields,
    parse_profile,
    profile_to_dict,
    profile_to_row,
    row_mentions,
    row_to_profile,
)
from plattform.core import formatting
from plattform.core.exports import CSV_DIALECT, csv_bytes
from plattform.i18n import N_

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

# A file with thousands of bad rows is fixed from the first ones; the rest is counted, not listed.
MAX_REPORTED_ISSUES = 100
# Columns written by the exports and the template: the scheme, with the Kommune's name after its AGS.
EXPORT_COLUMNS: tuple[str, ...] = (CSV_COLUMNS[0], "name", *CSV_COLUMNS[1:])
# Template rows: German header, hidden slug row, help row, then the data.
XLSX_FIRST_DATA_ROW = 4


def _render(template: str, params: dict, gettext) -> str:
    if gettext is None:
        return template % params if params else template
    return gettext(template, **params) if params else gettext(template)


@dataclass(frozen=True)
class FileIssue:
    """One problem of a file: where (line or record, column or field) and what (a German template)."""

    template: str
    params: dict = field(default_factory=dict)
    line: int | None = None
    record: int | None = None
    field: str | None = None
    column: str | None = None  # the spreadsheet column as the file shows it, e.g. "F (Stärke: FIM)"

    def message(self, gettext=None) -> str:
        """The reason, in the language of ``gettext`` (German without one)."""
        return _render(self.template, self.params, gettext)

    def where(self, gettext=None) -> str:
        """'Zeile 7, Spalte F (staerke:fim)' or 'Datensatz 2, Feld 'ziele'' (empty for the whole file)."""
        parts = []
        if self.line is not None:
            parts.append(_render(N_("Zeile %(num)d"), {"num": self.line}, gettext))
        if self.record is not None:
            parts.append(_render(N_("Datensatz %(num)d"), {"num": self.record}, gettext))
        if self.column:
            parts.append(_render(N_("Spalte %(column)s"), {"column": self.column}, gettext))
        elif self.field:
            parts.append(_render(N_("Feld '%(field)s'"), {"field": self.field}, gettext))
        return ", ".join(parts)

    def text(self, gettext=None) -> str:
        """Location and reason in one line."""
        where = self.where(gettext)
        return f"{where}: {self.message(gettext)}" if where else self.message(gettext)

    def to_json(self) -> dict:
        """For storing with an import job (rendered later in the reader's language)."""
        return {
            "template": self.template,
            "params": self.params,
            "line": self.line,
            "record": self.record,
            "field": self.field,
            "column": self.column,
        }

    @classmethod
    def from_json(cls, data: dict) -> FileIssue:
        """The inverse of ``to_json``."""
        return cls(**data)


class ProfileImportError(ValueError):
    """A profile file cannot be imported: every problem found (``issues``), ``more`` not listed."""

    def __init__(self, file: str, issues: Sequence[FileIssue], *, more: int = 0) -> None:
        self.file = file
        self.issues: tuple[FileIssue, ...] = tuple(issues)
        self.more = more
        first = self.issues[0]
        self.line, self.record, self.field = first.line, first.record, first.field
        self.message_de = first.message()
        super().__init__(self.text())

    @classmethod
    def one(
        cls, file: str, template: str, *, line=None, record=None, field=None, **params
    ) -> ProfileImportError:
        """A file with a single problem."""
        return cls(file, [FileIssue(template, params, line=line, record=record, field=field)])

    @property
    def count(self) -> int:
        """How many problems the file has (listed and not listed)."""
        return len(self.issues) + self.more

    def lines(self, gettext=None) -> list[str]:
        """Each listed problem as one line, location first."""
        return [issue.text(gettext) for issue in self.issues]

    def text(self, gettext=None) -> str:
        """'datei.csv, Zeile 3, Spalte B (…): Grund' for one problem; the file and a list for several."""
        if len(self.issues) == 1 and not self.more:
            issue = self.issues[0]
            where = issue.where(gettext)
            return (
                f"{self.file}, {where}: {issue.message(gettext)}"
                if where
                else f"{self.file}: {issue.message(gettext)}"
            )
        head = _render(N_("%(file)s: %(num)d Fehler"), {"file": self.file, "num": self.count}, gettext)
        body = "\n".join("- " + line for line in self.lines(gettext))
        if self.more:
            body += "\n" + _render(N_("… und %(count)d weitere Fehler."), {"count": self.more}, gettext)
        return f"{head}\n{body}"


@dataclass(frozen=True)
class ProfileRecord:
    """One record of a file: where it stood, the validated profile, the fields it mentions."""

    where: dict[str, int]
    data: ProfileData
    mentioned: frozenset[str]
    # A spreadsheet row with nothing but AGS (and name): skipped, so a prefilled template stays harmless.
    empty: bool = False

    def label(self, gettext=None) -> str:
        """'Zeile 7' or 'Datensatz 2'."""
        if "line" in self.where:
            return _render(N_("Zeile %(num)d"), {"num": self.where["line"]}, gettext)
        return _render(N_("Datensatz %(num)d"), {"num": self.where["record"]}, gettext)


class IssueCollector:
    """Issues of one file, at most MAX_REPORTED_ISSUES listed."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.issues: list[FileIssue] = []
        self.more = 0

    def add(self, issue: FileIssue) -> None:
        if len(self.issues) < MAX_REPORTED_ISSUES:
            self.issues.append(issue)
        else:
            self.more += 1

    def raise_if_any(self) -> None:
        if self.issues:
            raise ProfileImportError(self.file, self.issues, more=self.more)


def _format_of(path: Path) -> str:
    """The file format from the extension; anything else is a clear error."""
    ext = path.suffix.lower()
    if ext not in FORMATS:
        raise ProfileImportError.one(
            path.name,
            N_("Unbekanntes Dateiformat %(ext)s; erlaubt sind %(formats)s."),
            ext=repr(ext) if ext else "(–)",
            formats=", ".join(FORMATS),
        )
    return ext


# --------------------------------------------------------------------------- reading


def read_profiles(path: str | Path) -> list[ProfileData]:
    """All profiles of a file (format by extension); ProfileImportError lists every bad record."""
    return [record.data for record in read_profile_records(path) if not record.empty]


def read_profile_records(path: str | Path, *, display_name: str | None = None) -> list[ProfileRecord]:
    """Every record of a file with its location and the fields it mentions, validated in one pass.

    Refuses an empty file, a file of only empty rows, duplicate AGS and every invalid record, all
    reported at once. ``display_name`` is the name the messages use (an upload's original name).
    """
    path = Path(path)
    name = display_name or path.name
    ext = _format_of(path)
    if not path.is_file():
        raise ProfileImportError.one(name, N_("Die Datei wurde nicht gefunden."))
    collector = IssueCollector(name)
    readers = {".json": _read_json, ".jsonl": _read_jsonl, ".csv": _read_csv, ".xlsx": _read_xlsx}
    records: list[ProfileRecord] = []
    first_seen: dict[str, ProfileRecord] = {}
    for item in readers[ext](path, name, collector):
        if len(records) >= MAX_RECORDS:
            raise ProfileImportError.one(
                name,
                N_("Die Datei enthält mehr als %(max)s Profile."),
                max=_thousands(MAX_RECORDS),
                **item.where,
            )
        earlier = first_seen.get(item.data.ags)
        if earlier is not None:
            collector.add(
                FileIssue(
                    N_("AGS %(ags)s kommt mehrfach vor (zuerst in %(where)s)."),
                    {"ags": item.data.ags, "where": earlier.label()},
                    field="ags",
                    **item.where,
                )
            )
            continue
        first_seen[item.data.ags] = item
        records.append(item)
    collector.raise_if_any()
    if not records:
        raise ProfileImportError.one(
            name, N_("Die Datei enthält keine Profile. Bitte mindestens eine Zeile mit AGS ausfüllen.")
        )
    if all(r.empty for r in records):
        raise ProfileImportError.one(
            name,
            N_(
                "Die Datei enthält nur AGS und Namen, aber keine Angaben zu den Profilen. Bitte die "
                "Spalten ausfüllen (Ziele, Stärken, Bedarfe …)."
            ),
        )
    return records


def _thousands(value: int) -> str:
    """20.000 in German (Babel, in the language of the request; German in the CLI)."""
    return formatting.decimal(value)


def _decode(path: Path, name: str) -> str:
    """Decode UTF-8 (with or without BOM) or UTF-16 with BOM; anything else is a clear error."""
    raw = path.read_bytes()
    encoding = "utf-16" if raw.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ProfileImportError.one(
            name,
            N_(
                "Die Datei ist nicht UTF-8-kodiert. Bitte in Excel als „CSV UTF-8 (durch Trennzeichen "
                "getrennt)“ speichern bzw. die Datei als UTF-8 exportieren."
            ),
            line=line,
        ) from None


def _model_issues(
    exc: ProfileFormatError, where: dict[str, int], columns: dict[str, str] | None
) -> list[FileIssue]:
    """The model's issues with the file location; for spreadsheets the column as the file names it."""
    out = []
    for issue in exc.issues:
        column = columns.get(issue.field, issue.field) if columns is not None else None
        out.append(FileIssue(issue.template, issue.params, field=issue.field, column=column, **where))
    return out


def _json_record(obj: Any, where: dict[str, int], collector: IssueCollector) -> ProfileRecord | None:
    try:
        data = parse_profile(obj, record=_where_de(where))
    except ProfileFormatError as exc:
        for issue in _model_issues(exc, where, None):
            collector.add(issue)
        return None
    return ProfileRecord(where, data, mentioned_fields(obj))


def _where_de(where: dict[str, int]) -> str:
    return f"Zeile {where['line']}" if "line" in where else f"Datensatz {where['record']}"


def _read_json(path: Path, name: str, collector: IssueCollector) -> Iterator[ProfileRecord]:
    """A JSON array of profile objects (a single object is accepted as an array of one)."""
    text = _decode(path, name)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProfileImportError.one(
            name, N_("Kein gültiges JSON: %(error)s."), error=exc.msg, line=exc.lineno
        ) from None
    except RecursionError:
        raise ProfileImportError.one(name, N_("Das JSON ist zu tief verschachtelt.")) from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise ProfileImportError.one(name, N_("Erwartet wird eine JSON-Liste von Profilen."))
    for i, obj in enumerate(data, start=1):
        record = _json_record(obj, {"record": i}, collector)
        if record is not None:
            yield record


def _read_jsonl(path: Path, name: str, collector: IssueCollector) -> Iterator[ProfileRecord]:
    """JSON Lines: one profile object per line; blank lines are skipped."""
    for lineno, line in enumerate(_decode(path, name).splitlines(), start=1):
        _check_line_count(name, lineno)
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            collector.add(FileIssue(N_("Kein gültiges JSON: %(error)s."), {"error": exc.msg}, line=lineno))
            continue
        except RecursionError:
            collector.add(FileIssue(N_("Das JSON ist zu tief verschachtelt."), line=lineno))
            continue
        record = _json_record(obj, {"line": lineno}, collector)
        if record is not None:
            yield record


def _check_line_count(name: str, lineno: int) -> None:
    """Stop reading a file with more than MAX_LINES lines or rows (blank ones included)."""
    if lineno > MAX_LINES:
        raise ProfileImportError.one(
            name, N_("Die Datei hat mehr als %(max)s Zeilen."), max=_thousands(MAX_LINES), line=lineno
        )


@dataclass
class _Header:
    """The columns of a spreadsheet: slug per position, and how the file shows each column."""

    slugs: list[str]
    shown: dict[str, str]  # slug -> "F (Stärke: FIM)" for messages


def _header_of(cells: Sequence[Any]) -> list[str | None]:
    return [None if c is None or str(c).strip() == "" else column_for_header(str(c)) for c in cells]


def _is_slug_row(cells: Sequence[Any]) -> bool:
    """The template's hidden row of slugs below the German headers."""
    values = [str(c).strip() for c in cells if c is not None and str(c).strip()]
    return "ags" in values and all(v in CSV_COLUMNS or v in CSV_IGNORED_COLUMNS for v in values)


def _column_letter(index: int) -> str:
    """A spreadsheet column's letter (1 → A, 27 → AA), as openpyxl names it."""
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def _check_header(name: str, cells: Sequence[Any], line: int, collector: IssueCollector) -> _Header | None:
    """Known columns (slug or German label), each once, one of them 'ags'; every unknown one reported."""
    mapped = _header_of(cells)
    slugs: list[str] = []
    shown: dict[str, str] = {}
    ok = True
    for i, (raw, col) in enumerate(zip(cells, mapped, strict=False)):
        text = "" if raw is None else str(raw).strip()
        if not text:
            slugs.append("")
            continue
        letter = _column_letter(i + 1)
        if col is None or col in shown:
            template = (
                N_("Unbekannte Spalte %(col)s. Bitte die Spaltenköpfe der Vorlage verwenden.")
                if col is None
                else N_("Spalte %(col)s kommt doppelt vor.")
            )
            collector.add(
                FileIssue(template, {"col": repr(text)}, line=line, field=col or text, column=letter)
            )
            ok = False
        if col is None:
            slugs.append("")
            continue
        slugs.append(col)
        shown[col] = f"{letter} ({text})"
    if "ags" not in shown:
        collector.add(
            FileIssue(
                N_("Die Kopfzeile enthält keine Spalte „AGS“ (ags). Bitte die Vorlage verwenden."), line=line
            )
        )
        return None
    return _Header(slugs, shown) if ok else None


def _rows_to_profiles(
    name: str, rows: Iterable[tuple[int, Sequence[Any]]], collector: IssueCollector
) -> Iterator[ProfileRecord]:
    """Shared by CSV and XLSX: header (and slug row), skip comments and blank rows, validate each row."""
    header: _Header | None = None
    pending: tuple[int, Sequence[Any]] | None = None  # the first non-blank row, until the next is seen
    for lineno, cells in rows:
        _check_line_count(name, lineno)
        if header is None and pending is None:
            if not any(c not in (None, "") and str(c).strip() for c in cells):
                continue  # blank lines before the header
            pending = (lineno, cells)
            continue
        if header is None:
            # The template has German headers with the slugs in the (hidden) row below: slugs win.
            if lineno == pending[0] + 1 and _is_slug_row(cells):
                header = _check_header(name, cells, lineno, collector)
                if header is None:
                    return
                continue
            header = _check_header(name, pending[1], pending[0], collector)
            if header is None:
                return
        values = ["" if c is None else c for c in cells]
        if not any(str(v).strip() for v in values):
            continue
        if str(values[0]).strip().startswith(COMMENT_PREFIX):
            continue
        if len(values) > len(header.slugs) and any(str(v).strip() for v in values[len(header.slugs) :]):
            collector.add(FileIssue(N_("Die Zeile hat mehr Zellen als die Kopfzeile Spalten."), line=lineno))
            continue
        where = {"line": lineno}
        row: dict[str, Any] = {}
        bad = False
        for col, val in zip(header.slugs, values, strict=False):
            if not col:
                continue
            if isinstance(val, str) and val.startswith("="):
                collector.add(
                    FileIssue(
                        N_(
                            "Die Zelle enthält die Formel %(formula)s statt eines Werts. Bitte die Werte "
                            "einfügen (Kopieren, dann „Inhalte einfügen → Nur Werte“)."
                        ),
                        {"formula": val[:40]},
                        field=col,
                        column=header.shown.get(col),
                        **where,
                    )
                )
                bad = True
            row[col] = val
        if bad:
            continue
        try:
            data = row_to_profile(row, record=_where_de(where))
        except ProfileFormatError as exc:
            for issue in _model_issues(exc, where, header.shown):
                collector.add(issue)
            continue
        filled = {c for c, v in row.items() if c not in ("ags", "name") and str(v).strip()}
        yield ProfileRecord(where, data, row_mentions(row), empty=not filled)
    if header is None and pending is not None:
        _check_header(name, pending[1], pending[0], collector)  # a header alone: report its problems


def _read_csv(path: Path, name: str, collector: IssueCollector) -> Iterator[ProfileRecord]:
    """CSV with ';', ',' or tab (sniffed from the header), UTF-8 with or without BOM."""
    text = _decode(path, name)
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(first))

    def numbered() -> Iterator[tuple[int, list[str]]]:
        try:
            for cells in reader:
                # line_num is the physical line where the record ended, as a spreadsheet shows it.
                yield reader.line_num, cells
        except csv.Error as exc:
            raise ProfileImportError.one(
                name, N_("Fehlerhafte CSV-Datei: %(error)s."), error=str(exc), line=reader.line_num
            ) from None

    yield from _rows_to_profiles(name, numbered(), collector)


def _sniff_delimiter(first_line: str) -> str:
    """';' (Excel in German locale, our exports), ',' or tab, whichever the header line uses most."""
    counts = {d: first_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ";"


def _read_xlsx(path: Path, name: str, collector: IssueCollector) -> Iterator[ProfileRecord]:
    """The sheet 'Profile' of an Excel workbook (or its only sheet), read-only, values not formulas."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ProfileImportError.one(
            name,
            N_("Die Datei ist keine lesbare Excel-Arbeitsmappe (.xlsx): %(error)s."),
            error=type(exc).__name__,
        ) from None
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise ProfileImportError.one(
            name,
            N_("Die Excel-Arbeitsmappe ist entpackt größer als %(mb)s MB. Bitte teilen Sie sie auf."),
            mb=MAX_XLSX_UNPACKED_BYTES // 2**20,
        )
    if count_xlsx_cells(path) > MAX_XLSX_CELLS:
        raise ProfileImportError.one(
            name,
            N_("Die Excel-Arbeitsmappe enthält mehr als %(cells)s Zellen. Bitte teilen Sie sie auf."),
            cells=formatting.decimal(MAX_XLSX_CELLS),
        )
    try:
        # Not data_only: a formula then reads as its text ("=A1*2"), which is refused with a message.
        from openpyxl import load_workbook  # openpyxl loads where a workbook is read or written

        wb = load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ProfileImportError.one(
            name,
            N_("Die Datei ist keine lesbare Excel-Arbeitsmappe (.xlsx): %(error)s."),
            error=type(exc).__name__,
        ) from None
    except Exception as exc:  # openpyxl raises assorted errors on damaged workbooks
        raise ProfileImportError.one(
            name, N_("Die Excel-Arbeitsmappe ist beschädigt: %(error)s."), error=type(exc).__name__
        ) from None
    try:
        if SHEET_TITLE in wb.sheetnames:
            ws = wb[SHEET_TITLE]
        elif len(wb.sheetnames) == 1:
            ws = wb.worksheets[0]
        else:
            raise ProfileImportError.one(
                name,
                N_(
                    "Die Arbeitsmappe hat kein Blatt „%(sheet)s“ (gefunden: %(found)s). Bitte die Profile "
                    "in das Blatt „%(sheet)s“ der Vorlage eintragen."
                ),
                sheet=SHEET_TITLE,
                found=", ".join(f"„{s}“" for s in wb.sheetnames[:10]),
            )
        # The declared dimension is the writer's claim, not the content: rows are as wide as their
        # cells, and never wider than the format's columns.
        ws.reset_dimensions()
        cells = ws.iter_rows(values_only=True, max_col=MAX_SHEET_COLUMNS)
        rows = ((i, list(r)) for i, r in enumerate(cells, start=1))
        yield from _rows_to_profiles(name, rows, collector)
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
        data = [profile_to_dict(p, with_name=True) for p in profiles]
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    elif ext == ".jsonl":
        lines = (json.dumps(profile_to_dict(p, with_name=True), ensure_ascii=False) for p in profiles)
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    elif ext == ".csv":
        path.write_bytes(profiles_csv(profiles))
    else:
        with path.open("wb") as fh:
            write_workbook(fh, profiles)


def profiles_csv(profiles: Iterable[ProfileData]) -> bytes:
    """The profiles as CSV in the platform's one dialect, slug header (the documented scheme)."""
    return csv_bytes(({**profile_to_row(p), "name": p.name or ""} for p in profiles), EXPORT_COLUMNS)


def write_template_xlsx(
    path_or_buffer: str | Path | IO[bytes], rows: Sequence[ProfileData | tuple[str, str]] = ()
) -> None:
    """Write the Excel template (German headers, hidden slugs, help row, drop-downs), optionally prefilled
    with profiles and with (AGS, name) rows of Kommunen that have none yet."""
    if isinstance(path_or_buffer, str | Path):
        with Path(path_or_buffer).open("wb") as fh:
            write_workbook(fh, rows)
    else:
        write_workbook(path_or_buffer, rows)


def _help_text(col: str) -> str:
    """German help text for one column of the template's help row."""
    if col == "ags":
        return "# AGS, 8 Ziffern (Kreis: 5-stelliger Kreisschlüssel), als Text"
    if col == "name":
        return "Name (nur zur Orientierung, wird nicht eingelesen)"
    if col in GOAL_COLUMNS:
        return f"Ziel {col[-1]} (wichtigstes zuerst), siehe Blatt „{HELP_SHEET_TITLE}“"
    if col == "handlungsfelder":
        return "Handlungsfelder (Kürzel), getrennt durch ;"
    if col.startswith(STAERKE_PREFIX):
        return "leer oder 1–3 (1 Grundlagen, 2 Erfahrung, 3 Expertise)"
    if col.startswith(BEDARF_PREFIX):
        return "leer oder 1–3 (1 niedrig, 2 mittel, 3 hoch)"
    if col == "projekte":
        return "thema|status|titel; … (status: " + ", ".join(vocab.PROJECT_STATUSES) + ")"
    if col == "offen_fuer":
        return "; getrennt: " + ", ".join(vocab.OPEN_FOR) + " (leer = alle)"
    if col == "reichweite_km":
        return "Reichweite in ganzen km, 1–1000 (leer = 50)"
    return ""


def _validation(ws, kind: str, error: str, **formulas):
    """A drop-down or range check on cells of the sheet, with its German error text."""
    from openpyxl.worksheet.datavalidation import DataValidation

    dv = DataValidation(
        type=kind, allow_blank=True, operator="between" if kind == "whole" else None, **formulas
    )
    dv.error, dv.errorTitle = error, "Ungültiger Wert"
    ws.add_data_validation(dv)
    return dv


def write_workbook(fh: IO[bytes], profiles: Sequence[ProfileData | tuple[str, str]]) -> None:
    """The workbook behind the export and the template: a profile (or an (AGS, name) pair) per row."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    cols = list(EXPORT_COLUMNS)
    ws.append([COLUMN_LABELS_DE[c] for c in cols])
    ws.append(cols)
    ws.append([_help_text(c) for c in cols])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.row_dimensions[2].hidden = True  # the slugs: what the import reads, kept out of the way
    for cell in ws[3]:
        cell.font = Font(italic=True, color="555555")
        cell.fill = PatternFill("solid", fgColor="EEEEEE")
    ws.freeze_panes = f"C{XLSX_FIRST_DATA_ROW}"
    for p in profiles:
        if isinstance(p, tuple):
            row = {**dict.fromkeys(cols, ""), "ags": p[0], "name": p[1]}
        else:
            row = {**profile_to_row(p), "name": p.name or ""}
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
    for r in range(XLSX_FIRST_DATA_ROW, ws.max_row + 1):
        ws[f"A{r}"].number_format = "@"

    level_dv = _validation(ws, "list", "Bitte 1, 2 oder 3 eintragen oder leer lassen.", formula1='"1,2,3"')
    goal_dv = _validation(
        ws, "list", "Bitte ein Ziel aus der Liste wählen.", formula1='"' + ",".join(vocab.GOALS) + '"'
    )
    reach_dv = _validation(
        ws, "whole", "Bitte ganze Kilometer zwischen 1 und 1000 eintragen.", formula1="1", formula2="1000"
    )
    for i, c in enumerate(cols, start=1):
        letter = _column_letter(i)
        ws.column_dimensions[letter].width = 14 if c.startswith((STAERKE_PREFIX, BEDARF_PREFIX)) else 24
        target = f"{letter}{XLSX_FIRST_DATA_ROW}:{letter}{last}"
        if c.startswith((STAERKE_PREFIX, BEDARF_PREFIX)):
            level_dv.add(target)
        elif c in GOAL_COLUMNS:
            goal_dv.add(target)
        elif c == "reichweite_km":
            reach_dv.add(target)

    help_ws = wb.create_sheet(HELP_SHEET_TITLE)
    help_ws.append(["Bereich", "Kürzel (slug)", "Bedeutung"])
    for cell in help_ws[1]:
        cell.font = Font(bold=True)
    for slug in vocab.GOALS:
        help_ws.append(["Ziel", slug, vocab.GOAL_LABELS_DE[slug]])
    for slug in vocab.HANDLUNGSFELDER:
        help_ws.append(["Handlungsfeld", slug, vocab.HANDLUNGSFELD_LABELS_DE[slug]])
    for slug in vocab.TOPIC_SLUGS:
        help_ws.append(["Thema", slug, vocab.TOPIC_LABELS_DE[slug]])
    for slug in vocab.PROJECT_STATUSES:
        help_ws.append(["Projektstatus", slug, slug])
    for slug in vocab.OPEN_FOR:
        help_ws.append(["Offen für", slug, vocab.OPEN_FOR_LABELS_DE[slug]])
    help_ws.column_dimensions["A"].width = 16
    help_ws.column_dimensions["B"].width = 28
    help_ws.column_dimensions["C"].width = 70
    wb.save(fh)


__all__ = [
    "CSV_DIALECT",
    "FORMATS",
    "FileIssue",
    "ProfileImportError",
    "ProfileRecord",
    "read_profile_records",
    "read_profiles",
    "write_profiles",
    "write_template_xlsx",
]
