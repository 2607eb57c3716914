"""Every upload (the coordinators' profile import, the network member import) is limited in size and
type: 413 as a German page above MAX_CONTENT_LENGTH, the per-form limit, the extension, the content
(XLSX is a ZIP with [Content_Types].xml; CSV/JSON decode strictly), and a small XLSX that unpacks
into a huge sheet is stopped by the unpacked-size or the row limit before it is read to the end."""

from __future__ import annotations

import io
import zipfile

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from plattform.extensions import db
from plattform.netzwerke.services import add_member, create_netzwerk
from plattform.profile.formats import (
    MAX_LINES,
    MAX_RECORDS,
    MAX_XLSX_UNPACKED_BYTES,
    ProfileImportError,
    read_profiles,
)
from plattform.profile.models import Profile
from tests.factories import KommuneFactory, UserFactory

AGS = "05999002"


@pytest.fixture
def admin_client(app, client, login):
    """An administrator (may import every profile) and a network with the Kommune as member."""
    kommune = KommuneFactory(ags=AGS, name="Beispielstadt")
    admin = UserFactory(is_admin=True)
    netzwerk = create_netzwerk("Netz", "frei", coordinators=[admin])
    add_member(netzwerk, kommune)
    db.session.commit()
    login(admin)
    client.netzwerk_id = netzwerk.id
    return client


def _post(client, target: str, content: bytes, filename: str):
    if target == "profil":
        url, field = "/profil/import", "datei"
    else:
        url, field = f"/netzwerke/{client.netzwerk_id}/import", "import-datei"
    return client.post(url, data={field: (io.BytesIO(content), filename)}, content_type="multipart/form-data")


def _profiles() -> int:
    return db.session.scalar(sa.select(sa.func.count(Profile.id)))


def _xlsx(sheet_xml: bytes | None = None, *, rows=(("ags", "ziel_1"), (AGS, "effizienz"))) -> bytes:
    """A real workbook from openpyxl; with sheet_xml its sheet is replaced (as an attacker would)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Profile"
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    if sheet_xml is None:
        return buffer.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = sheet_xml if info.filename == "xl/worksheets/sheet1.xml" else src.read(info)
            dst.writestr(info.filename, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return out.getvalue()


def _sheet(rows_xml: bytes) -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        + rows_xml
        + b"</sheetData></worksheet>"
    )


TARGETS = ("profil", "netzwerk")


@pytest.mark.parametrize("target", TARGETS)
def test_a_good_file_is_imported(admin_client, target):
    response = _post(admin_client, target, _xlsx(), "profile.xlsx")
    assert response.status_code in (302, 303), response.text
    assert _profiles() == 1


@pytest.mark.parametrize("target", TARGETS)
def test_a_request_above_max_content_length_gets_the_german_413_page(admin_client, app, target):
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    response = _post(admin_client, target, b"ags;ziel_1\n" + b"05999002;effizienz\n" * 5000, "gross.csv")
    assert response.status_code == 413
    assert "Datei zu groß" in response.text
    assert "höchstens 0.0625 MB" in response.text
    assert '<html lang="de">' in response.text
    assert _profiles() == 0


@pytest.mark.parametrize("target", TARGETS)
def test_a_file_above_the_form_limit_is_refused_next_to_the_field(admin_client, app, target):
    app.config["PROFILE_UPLOAD_MAX_BYTES"] = 512 * 1024
    response = _post(admin_client, target, b"ags;ziel_1\n" + b"05999002;effizienz\n" * 30_000, "gross.csv")
    assert response.status_code == 422
    assert "Die Datei ist größer als 0.5 MB" in response.text
    assert _profiles() == 0


def _zip_without_content_types() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("profile.csv", "ags;ziel_1\n05999002;effizienz\n")
    return buffer.getvalue()


WRONG = [
    (b"ags;ziel_1\n05999002;effizienz\n", "profile.txt", "Dateityp .txt ist nicht erlaubt"),
    (b"ags;ziel_1\n05999002;effizienz\n", "profile", "Dateityp – ist nicht erlaubt"),
    (b"MZ\x90\x00\x03\x00\x00\x00", "programm.exe", "Dateityp .exe ist nicht erlaubt"),
    (b"ags;ziel_1\n05999002;effizienz\n", "tarnung.xlsx", "keine Excel-Arbeitsmappe"),
    (b"PK\x03\x04kaputt", "kaputt.xlsx", "beschädigt"),
    (_zip_without_content_types(), "archiv.xlsx", "ZIP-Archiv, aber keine Excel-Arbeitsmappe"),
    (b"%PDF-1.7\n", "profile.csv", "keine Textdatei"),
    (b"\x1f\x8b\x08\x00", "profile.json", "keine Textdatei"),
    ("ags;ziel_1\n05999002;Effizienz für Bürger\n".encode("latin-1"), "latin1.csv", "nicht UTF-8-kodiert"),
    ('[{"ags": "05999002", "name": "Düren"}]'.encode("cp1252"), "cp1252.json", "nicht UTF-8-kodiert"),
    (b"ags;ziel_1\n05999002\x00;effizienz\n", "nul.csv", "keine Textdatei"),
    (b"", "leer.csv", "Die Datei ist leer"),
]


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(("content", "filename", "message"), WRONG, ids=[w[1] for w in WRONG])
def test_wrong_types_are_refused_before_reading(admin_client, target, content, filename, message):
    response = _post(admin_client, target, content, filename)
    assert response.status_code == 422
    assert message in response.text
    assert _profiles() == 0


@pytest.mark.parametrize("target", TARGETS)
def test_an_xlsx_that_unpacks_into_a_huge_sheet_is_refused_unread(admin_client, target):
    """About 100 KB on the wire, more than 100 MB unpacked: refused from the ZIP directory alone."""
    filler = b" " * (MAX_XLSX_UNPACKED_BYTES + 1)
    bomb = _xlsx(_sheet(b'<row r="1"><c r="A1" t="inlineStr"><is><t>ags</t></is></c></row>' + filler))
    assert len(bomb) < 1024 * 1024
    response = _post(admin_client, target, bomb, "bombe.xlsx")
    assert response.status_code == 422
    assert "entpackt größer als 100 MB" in response.text
    assert _profiles() == 0


@pytest.mark.parametrize("target", TARGETS)
def test_an_xlsx_with_more_rows_than_the_limit_stops_at_the_limit(admin_client, target):
    """A small workbook of comment rows: reading stops at MAX_LINES instead of walking every row."""
    rows = b"".join(
        b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>#</t></is></c></row>' % (n, n) for n in range(2, 40_002)
    )
    header = b'<row r="1"><c r="A1" t="inlineStr"><is><t>ags</t></is></c></row>'
    workbook = _xlsx(_sheet(header + rows))
    assert len(workbook) < 1024 * 1024
    response = _post(admin_client, target, workbook, "zeilen.xlsx")
    assert response.status_code == 422
    assert f"mehr als {MAX_LINES:,} Zeilen".replace(",", ".") in response.text
    assert _profiles() == 0


def test_a_csv_with_more_profiles_than_kommunen_in_germany_is_refused(tmp_path):
    path = tmp_path / "viele.csv"
    path.write_text("ags\n" + "".join(f"05{n:06d}\n" for n in range(MAX_RECORDS + 1)), encoding="utf-8")
    with pytest.raises(ProfileImportError, match=f"mehr als {MAX_RECORDS:,} Profile".replace(",", ".")):
        read_profiles(path)


def test_the_cli_reader_refuses_the_unpacked_giant_as_well(tmp_path):
    path = tmp_path / "bombe.xlsx"
    path.write_bytes(_xlsx(_sheet(b" " * (MAX_XLSX_UNPACKED_BYTES + 1))))
    with pytest.raises(ProfileImportError, match="entpackt größer"):
        read_profiles(path)


# --- the sheet's real content, not its declared dimension (issue 16, finding 4) -------------------


def _dimension_sheet(dimension: str, rows_xml: bytes) -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<dimension ref="' + dimension.encode() + b'"/><sheetData>' + rows_xml + b"</sheetData></worksheet>"
    )


def _inline(ref: str, text: str) -> bytes:
    return b'<c r="%s" t="inlineStr"><is><t>%s</t></is></c>' % (ref.encode(), text.encode())


def test_a_declared_huge_dimension_does_not_widen_the_rows(tmp_path, monkeypatch, app):
    """A 4.7 KB sheet declaring A1:XFD… made every row 16,384 cells wide (≈ 270 s CPU for 25,000 rows)."""
    from plattform.profile import formats

    widths: list[int] = []
    original = formats._rows_to_profiles

    def observed(path, rows, *rest):
        def recorded():
            for lineno, cells in rows:
                widths.append(len(cells))
                yield lineno, cells

        return original(path, recorded(), *rest)

    monkeypatch.setattr(formats, "_rows_to_profiles", observed)
    rows = (
        b'<row r="1">' + _inline("A1", "ags") + _inline("B1", "ziel_1") + b"</row>"
        b'<row r="2">' + _inline("A2", AGS) + _inline("B2", "effizienz") + b"</row>"
        b'<row r="3">' + _inline("A3", "# Kommentar") + b"</row>"
    )
    path = tmp_path / "breit.xlsx"
    path.write_bytes(_xlsx(_dimension_sheet("A1:XFD1048576", rows)))
    profiles = read_profiles(path)
    assert [p.ags for p in profiles] == [AGS]
    assert widths and max(widths) <= formats.MAX_SHEET_COLUMNS  # 16,384 before


def test_cells_are_counted_in_the_sheet_xml_whatever_its_namespace_prefix(tmp_path):
    from plattform.profile.formats import count_xlsx_cells

    sheet = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData>'
        + b"".join(
            b'<x:row r="%d"><x:c r="A%d"><x:v>1</x:v></x:c><x:c r="B%d"/></x:row>' % (n, n, n)
            for n in range(1, 70_001)
        )
        + b"</x:sheetData></x:worksheet>"
    )
    path = tmp_path / "zellen.xlsx"
    path.write_bytes(_xlsx(sheet))
    assert count_xlsx_cells(path) == 140_000  # across the scan's 1 MB chunk borders too


def test_a_workbook_with_more_cells_than_the_format_allows_is_refused_unparsed(tmp_path, monkeypatch):
    from plattform.profile import formats

    monkeypatch.setattr(formats, "MAX_XLSX_CELLS", 50)
    rows = b"".join(b'<row r="%d">' % n + _inline(f"A{n}", "#") + b"</row>" for n in range(1, 52))
    path = tmp_path / "viele-zellen.xlsx"
    path.write_bytes(_xlsx(_sheet(rows)))
    with pytest.raises(ProfileImportError, match="mehr als 50 Zellen"):
        read_profiles(path)


# --- JSON nesting (issue 16, finding 10) ----------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("ext", [".json", ".jsonl"])
def test_deeply_nested_json_is_a_clear_error(admin_client, target, ext):
    deep = b"[" * 100_000 + b"]" * 100_000
    response = _post(admin_client, target, deep, f"tief{ext}")
    assert response.status_code == 422  # RecursionError answered 500 before
    assert "zu tief verschachtelt" in response.text
    assert _profiles() == 0


@pytest.mark.parametrize("level", ["²", "٣"])
def test_an_import_cell_with_unicode_digits_is_a_clear_error(tmp_path, level):
    path = tmp_path / "stufe.csv"
    path.write_text(f"ags;staerke:fim\n{AGS};{level}\n", encoding="utf-8")
    with pytest.raises(ProfileImportError, match="keine ganze Zahl"):  # ValueError (500) before
        read_profiles(path)
