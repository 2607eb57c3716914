"""Checks of an uploaded profile file before anything reads it: name, size and content.

Shared by the coordinators' import page and the network member import. The extension alone proves
nothing, so the content must fit it: an .xlsx is a ZIP holding "[Content_Types].xml" and a workbook,
whose unpacked size is bounded (a small "ZIP bomb" must not unpack into gigabytes); CSV and JSON must
be text that decodes strictly (UTF-8, or UTF-16 with byte-order mark as the readers accept).
The whole request is bounded earlier by MAX_CONTENT_LENGTH (413 page).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from plattform.profile.formats import FORMATS, MAX_XLSX_UNPACKED_BYTES

BINARY_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"%PDF", b"\x7fELF", b"MZ", b"\x1f\x8b")


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed: the name to show, its extension and its bytes."""

    name: str
    ext: str
    content: bytes


def upload_limit() -> int:
    """Bytes one profile file may have (config PROFILE_UPLOAD_MAX_BYTES)."""
    return int(current_app.config["PROFILE_UPLOAD_MAX_BYTES"])


def upload_limit_mb() -> str:
    """The limit in MB as the pages show it ("5")."""
    return f"{upload_limit() / 1024 / 1024:g}"


def _xlsx_problem(content: bytes) -> str | None:
    if not content.startswith(b"PK\x03\x04"):
        return _("Die Datei ist keine Excel-Arbeitsmappe (.xlsx), obwohl sie so heißt.")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError):
        return _("Die Excel-Arbeitsmappe ist beschädigt.")
    names = {e.filename for e in entries}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        return _("Die Datei ist ein ZIP-Archiv, aber keine Excel-Arbeitsmappe (.xlsx).")
    # zipfile never unpacks more than the sizes declared here, so their sum bounds the work.
    if sum(e.file_size for e in entries) > MAX_XLSX_UNPACKED_BYTES:
        return _(
            "Die Excel-Arbeitsmappe ist entpackt größer als %(mb)s MB. Bitte teilen Sie sie auf.",
            mb=MAX_XLSX_UNPACKED_BYTES // (1024 * 1024),
        )
    return None


def _text_problem(ext: str, content: bytes) -> str | None:
    if content.startswith(BINARY_SIGNATURES):
        return _("Die Datei ist keine Textdatei (%(ext)s), sondern eine Binärdatei.", ext=ext)
    encoding = "utf-16" if content.startswith((b"\xff\xfe", b"\xfe\xff")) else "utf-8-sig"
    try:
        text = content.decode(encoding)
    except UnicodeDecodeError:
        return _(
            "Die Datei ist nicht UTF-8-kodiert. Bitte in Excel als „CSV UTF-8 (durch Trennzeichen "
            "getrennt)“ speichern bzw. die Datei als UTF-8 exportieren."
        )
    if "\x00" in text:
        return _("Die Datei ist keine Textdatei (%(ext)s), sondern eine Binärdatei.", ext=ext)
    return None


def check_upload(storage) -> CheckedUpload | str:
    """Return the checked upload, or a German message saying what is wrong with it."""
    if storage is None or not storage.filename:
        return _("Bitte eine Datei auswählen.")
    name = Path(storage.filename.replace("\\", "/")).name
    ext = Path(name).suffix.lower()
    if ext not in FORMATS:
        return _(
            "Dateityp %(ext)s ist nicht erlaubt; erlaubt sind %(allowed)s.",
            ext=ext or "–",
            allowed=", ".join(FORMATS),
        )
    limit = upload_limit()
    content = storage.stream.read(limit + 1)
    if len(content) > limit:
        return _("Die Datei ist größer als %(mb)s MB.", mb=upload_limit_mb())
    if not content:
        return _("Die Datei ist leer.")
    problem = _xlsx_problem(content) if ext == ".xlsx" else _text_problem(ext, content)
    if problem:
        return problem
    return CheckedUpload(name, ext, content)
