"""The GV-ISys reader: published quirks are read, malformed files are refused with line and reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from plattform.kommunen.gvisys import COLUMNS, GvIsysError, read_gv_isys

HEADER = ",".join(COLUMNS)
LAND = "10,,05,,,,,Nordrhein-Westfalen,,,,,,,,,,,,"
KREIS = "40,44,05,3,58,,,Düren,,,,,,,,,,,,"
VERBAND = "50,50,05,3,58,0028,,Kreuzau,,,,,,,,,,,,"
KREUZAU = (
    '60,64,05,3,58,0028,028,Kreuzau, 41.73, 17 444, 8 537, 8 907,  418,52372,"6,489241","50,74596",'
    "G01,Eifel,02,mittlere Besiedlungsdichte"
)
ALDENHOVEN = (
    '60,64,05,3,58,0004,004,Aldenhoven, 43.95, 13 861, 6 917, 6 944,  315,52457,"6,283226","50,895893",'
    "G10,übrig. Nordrhein-Westfalen,02,mittlere Besiedlungsdichte"
)


def write_csv(tmp_path: Path, *lines: str, bom: bool = True, name: str = "gv.csv") -> Path:
    path = tmp_path / name
    path.write_text(("\ufeff" if bom else "") + "\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def test_reads_published_quirks_bom_space_thousands_and_decimal_commas(tmp_path):
    extract = read_gv_isys(write_csv(tmp_path, LAND, KREIS, VERBAND, KREUZAU))
    (kreuzau,) = extract.gemeinden
    assert kreuzau.ags == "05358028"
    assert kreuzau.ars == "053580028028"
    assert kreuzau.population == 17444
    assert kreuzau.area_km2 == pytest.approx(41.73)
    assert (kreuzau.lat, kreuzau.lon) == (pytest.approx(50.74596), pytest.approx(6.489241))
    assert kreuzau.plz == "52372"
    assert kreuzau.kind == "gemeinde"
    assert kreuzau.verstaedterung == 2
    assert [k.schluessel for k in extract.kreise] == ["05358"]
    assert extract.kreise[0].kind == "landkreis"
    assert extract.gemeindeverbaende[0].ars == "053580028"


def test_gemeindefreie_gebiete_are_kept_apart_from_kommunen(tmp_path):
    forest = '60,66,05,3,58,9999,999,"Forst, gemfr. Gebiet", 10.00,  0,  0,  0,  0,,0,0,,,03,gering besiedelt'
    extract = read_gv_isys(write_csv(tmp_path, LAND, KREIS, KREUZAU, forest))
    assert [g.ags for g in extract.kommunen] == ["05358028"]
    assert [g.gemeindefrei for g in extract.gemeinden] == [False, True]
    assert extract.gemeinden[1].lat is None  # 0,0 means "no centre point"


@pytest.mark.parametrize(
    ("lines", "line", "fragment"),
    [
        ((LAND, KREIS, KREUZAU.replace("17 444", "17x444")), 4, "'bevoelkerung'"),
        (
            (LAND, KREIS, KREUZAU.replace(",058,", ",058,").replace("60,64,05,3,58", "60,64,05,3,5X")),
            4,
            "'kreis'",
        ),
        ((LAND, KREIS, KREUZAU, KREUZAU), 5, "doppelt"),
        ((LAND, KREIS, KREUZAU.replace('"6,489241"', '"sechs"')), 4, "'laengengrad'"),
        ((LAND, KREIS, KREUZAU.replace("60,64,", "60,99,")), 4, "Textkennzeichen"),
        ((LAND, KREUZAU), 3, "Kreis 05358"),
    ],
    ids=[
        "population-not-numeric",
        "broken-key",
        "same-ags-twice",
        "bad-coordinate",
        "unknown-kind",
        "no-kreis",
    ],
)
def test_malformed_rows_are_refused_with_line_and_reason(tmp_path, lines, line, fragment):
    with pytest.raises(GvIsysError) as err:
        read_gv_isys(write_csv(tmp_path, *lines))
    assert err.value.line == line
    assert fragment in err.value.reason_de
    assert "gv.csv" in str(err.value) and f"Zeile {line}" in str(err.value)
    assert err.value.message_en.startswith("gv.csv, line")


def test_truncated_file_is_refused(tmp_path):
    path = write_csv(tmp_path, LAND, KREIS, KREUZAU)
    data = path.read_bytes()
    path.write_bytes(data[: data.index(b"17 444") + 3])  # cut in the middle of a row
    with pytest.raises(GvIsysError) as err:
        read_gv_isys(path)
    assert err.value.line == 4
    assert "abgeschnitten" in err.value.reason_de


def test_unterminated_quote_is_refused(tmp_path):
    path = write_csv(tmp_path, LAND, KREIS, KREUZAU.replace('"6,489241"', '"6,489241'))
    with pytest.raises(GvIsysError) as err:
        read_gv_isys(path)
    assert "beschädigt oder abgeschnitten" in err.value.reason_de or "Spalten" in err.value.reason_de


def test_wrong_encoding_is_refused_with_line(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("\n".join([HEADER, LAND, KREIS.replace("Düren", "Düren"), KREUZAU]).encode("latin-1"))
    with pytest.raises(GvIsysError) as err:
        read_gv_isys(path)
    assert err.value.line == 3
    assert "UTF-8" in err.value.reason_de


def test_foreign_csv_without_gv_header_is_refused(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("name,wert\na,1\n", encoding="utf-8")
    with pytest.raises(GvIsysError, match="Kopfzeile"):
        read_gv_isys(path)


def test_empty_extract_is_refused(tmp_path):
    with pytest.raises(GvIsysError, match="keine Kreise"):
        read_gv_isys(write_csv(tmp_path, LAND))


def _destatis_like_xlsx(path: Path, rows: list[list]) -> Path:
    """An XLSX laid out like Destatis ships it: a title sheet, a header block, then the data."""
    wb = Workbook()
    wb.active.title = "Deckblatt"
    wb.active["A1"] = "Gemeindeverzeichnis-Informationssystem GV-ISys"
    sheet = wb.create_sheet("Onlineprodukt_Gemeinden")
    sheet.append(["Gemeindeverzeichnis - Gebietsstand: 31.12.2020 (4. Quartal)"])
    sheet.append(["Satz-art", "Text-kenn-zeichen", "Amtlicher Regionalschlüssel (ARS)"])
    sheet.append([None, None, "Land", "RB", "Kreis", "VB", "Gem"])
    sheet.append([1, 2, 3, 4, 5, 6, 7, 8])
    for row in rows:
        sheet.append(row)
    wb.save(path)
    return path


def test_reads_destatis_xlsx_layout(tmp_path):
    path = _destatis_like_xlsx(
        tmp_path / "AuszugGV4QAktuell.xlsx",
        [
            ["10", None, "05", None, None, None, None, "Nordrhein-Westfalen"],
            ["40", "44", "05", "3", "58", None, None, "Düren"],
            [
                "60",
                "64",
                "05",
                "3",
                "58",
                "0028",
                "028",
                "Kreuzau",
                41.73,
                17444,
                8537,
                8907,
                418,
                "52372",
                6.489241,
                50.74596,
                "G01",
                "Eifel",
                "02",
                "mittlere Besiedlungsdichte",
            ],
        ],
    )
    extract = read_gv_isys(path)
    assert extract.gemeinden[0].ags == "05358028"
    assert extract.gemeinden[0].population == 17444
    assert extract.gemeinden[0].lat == pytest.approx(50.74596)


def test_broken_xlsx_is_refused(tmp_path):
    path = tmp_path / "kaputt.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(GvIsysError, match="Excel-Datei"):
        read_gv_isys(path)


def test_full_official_extract_counts(full_directory_path):
    extract = read_gv_isys(full_directory_path)
    assert len(extract.kreise) == 401
    assert len(extract.gemeinden) == 11004
    assert len(extract.kommunen) == 11004 - sum(g.gemeindefrei for g in extract.gemeinden)
