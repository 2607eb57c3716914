"""Profile files: all four formats round-trip; bad files fail naming file, line/record and field."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

from matching.profiles import CSV_COLUMNS, ProfileData, ProjectEntry, profile_to_dict, profile_to_row
from matching.synthetic import KommuneFacts, draw_profiles
from plattform.profile.formats import (
    EXPORT_COLUMNS,
    HELP_SHEET_TITLE,
    SHEET_TITLE,
    ProfileImportError,
    read_profiles,
    write_profiles,
    write_template_xlsx,
)

FORMATS = (".json", ".jsonl", ".csv", ".xlsx")


@pytest.fixture
def profiles() -> list[ProfileData]:
    kinds = ("kreis", "stadt", "gemeinde")
    facts = [
        KommuneFacts(f"{i % 16 + 1:02d}{i:06d}", kinds[i % 3], 1000 * (i + 1), 50.0, 8.0) for i in range(40)
    ]
    drawn = draw_profiles(facts, seed=11)
    # One hand-made profile with umlauts, a link and a Kreis key, to exercise the corners.
    drawn.append(
        ProfileData(
            ags="05358",
            ziele=("daseinsvorsorge",),
            staerken={"glasfaserausbau": 3},
            projekte=(
                ProjectEntry("hundesteuer-digital", "laufend", "Hundesteuer für Düren", "https://kdvz.de/x"),
            ),
            offen_fuer=("nachnutzung",),
            reichweite_km=80,
        )
    )
    return drawn


def _rows(n: int) -> list[dict[str, str]]:
    return [profile_to_row(ProfileData(ags=f"05358{i:03d}", staerken={"fim": 2})) for i in range(n)]


def _write_csv(path: Path, rows: list[dict[str, str]], delimiter: str = ";", encoding: str = "utf-8") -> None:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(CSV_COLUMNS), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)


@pytest.mark.parametrize("ext", FORMATS)
def test_round_trip(tmp_path, profiles, ext):
    path = tmp_path / f"profile{ext}"
    write_profiles(path, profiles)
    assert read_profiles(path) == profiles


def test_json_shape_is_the_design_shape(tmp_path, profiles):
    path = tmp_path / "p.json"
    write_profiles(path, profiles)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data == [profile_to_dict(p) for p in profiles]
    assert "Düren" in path.read_text(encoding="utf-8")  # not \u-escaped


def test_csv_with_comma_and_without_bom(tmp_path):
    path = tmp_path / "p.csv"
    _write_csv(path, _rows(3), delimiter=",")
    assert [p.ags for p in read_profiles(path)] == ["05358000", "05358001", "05358002"]


def test_csv_with_bom_and_semicolon(tmp_path):
    path = tmp_path / "p.csv"
    _write_csv(path, _rows(2), encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert len(read_profiles(path)) == 2


def test_bad_level_in_row_7_names_the_row(tmp_path):
    rows = _rows(8)
    rows[5]["staerke:e-akte"] = "4"  # header is line 1, so rows[5] is line 7
    path = tmp_path / "mitglieder.csv"
    _write_csv(path, rows)
    with pytest.raises(ProfileImportError) as info:
        read_profiles(path)
    err = info.value
    assert (err.file, err.line, err.field) == ("mitglieder.csv", 7, "staerke:e-akte")
    column = f"{get_column_letter(CSV_COLUMNS.index('staerke:e-akte') + 1)} (staerke:e-akte)"
    assert str(err) == f"mitglieder.csv, Zeile 7, Spalte {column}: Stufe 4 liegt nicht zwischen 1 und 3."


def test_bad_level_in_xlsx_row_7(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(list(CSV_COLUMNS))
    for i, row in enumerate(_rows(8)):
        if i == 5:
            row["bedarf:fim"] = "9"
        ws.append([row[c] for c in CSV_COLUMNS])
    path = tmp_path / "netz.xlsx"
    wb.save(path)
    with pytest.raises(ProfileImportError) as info:
        read_profiles(path)
    assert (info.value.line, info.value.field) == (7, "bedarf:fim")


def test_duplicate_ags_is_an_error(tmp_path):
    rows = _rows(4)
    rows[3]["ags"] = rows[1]["ags"]
    path = tmp_path / "p.csv"
    _write_csv(path, rows)
    with pytest.raises(ProfileImportError) as info:
        read_profiles(path)
    assert info.value.line == 5 and info.value.field == "ags"
    assert "mehrfach" in info.value.message_de and "Zeile 3" in info.value.message_de


BAD_TEXT_FILES = [
    # (file name, content, where the error is (line or record number), field, fragment of the message)
    ("p.json", json.dumps([{"ags": "09162000"}, {"ags": "09162000"}]), {"record": 2}, "ags", "mehrfach"),
    (
        "p.json",
        json.dumps([{"ags": "09162000"}, {"ags": "09162001", "ziele": ["x"]}]),
        {"record": 2},
        "ziele",
        "Digitalisierungsziel",
    ),
    (
        "p.jsonl",
        '{"ags": "09162000"}\n\n{"ags": "09162001", "reichweite_km": -1}\n',
        {"line": 3},
        "reichweite_km",
        "1000",
    ),
    ("p.jsonl", '{"ags": "09162000"}\n{"ags": \n', {"line": 2}, None, "JSON"),
    ("p.csv", "ags;staerke:fimm\n05358028;2\n", {"line": 1}, "staerke:fimm", "Unbekannte Spalte"),
    ("p.csv", "gemeinde;staerke:fim\n05358028;2\n", {"line": 1}, None, "ags"),
]


@pytest.mark.parametrize(("name", "content", "where", "field", "fragment"), BAD_TEXT_FILES)
def test_bad_text_files_name_line_or_record_and_field(tmp_path, name, content, where, field, fragment):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ProfileImportError) as info:
        read_profiles(path)
    issue = next(i for i in info.value.issues if fragment in i.message())
    assert {k: getattr(issue, k) for k in where} == where
    assert field is None or issue.field == field
    assert str(info.value).startswith(name)


def test_wrong_encoding(tmp_path):
    path = tmp_path / "ansi.csv"
    rows = _rows(3)
    rows[2]["projekte"] = "fim|laufend|Einführung in Düren"
    _write_csv(path, rows, encoding="cp1252")
    with pytest.raises(ProfileImportError, match="UTF-8") as info:
        read_profiles(path)
    assert info.value.line == 4


def test_broken_xlsx(tmp_path):
    path = tmp_path / "kaputt.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a workbook")
    with pytest.raises(ProfileImportError) as info:
        read_profiles(path)
    assert info.value.file == "kaputt.xlsx" and "Excel" in info.value.message_de


def test_truncated_xlsx(tmp_path, profiles):
    good = tmp_path / "gut.xlsx"
    write_profiles(good, profiles)
    path = tmp_path / "halb.xlsx"
    path.write_bytes(good.read_bytes()[:2000])
    with pytest.raises(ProfileImportError):
        read_profiles(path)


def test_unknown_extension(tmp_path):
    with pytest.raises(ProfileImportError, match="Dateiformat"):
        read_profiles(tmp_path / "p.ods")


def test_leading_zero_lost_by_excel_is_restored(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["ags", "staerke:fim"])
    ws.append([5358028, 3])
    path = tmp_path / "p.xlsx"
    wb.save(path)
    assert read_profiles(path) == [ProfileData(ags="05358028", staerken={"fim": 3})]


def test_template_is_readable_and_helpful(tmp_path):
    path = tmp_path / "vorlage.xlsx"
    write_template_xlsx(path)
    with pytest.raises(ProfileImportError, match="keine Profile"):
        read_profiles(path)  # header, slug and help rows only: an empty file
    wb = load_workbook(path)
    ws = wb[SHEET_TITLE]
    # German headers for people, the slugs in a hidden row below for the import.
    assert [c.value for c in ws[1]][:4] == ["AGS", "Name", "Ziel 1", "Ziel 2"]
    assert "Stärke: DMS/E-Akte" in [c.value for c in ws[1]]
    assert [c.value for c in ws[2]] == list(EXPORT_COLUMNS)
    assert ws.row_dimensions[2].hidden is True
    assert ws["A3"].value.startswith("#")
    lists = [dv.formula1 for dv in ws.data_validations.dataValidation]
    assert '"1,2,3"' in lists
    assert HELP_SHEET_TITLE in wb.sheetnames
    slugs = {row[1] for row in wb[HELP_SHEET_TITLE].iter_rows(min_row=2, values_only=True)}
    assert {"fim", "effizienz", "laufend", "nachnutzung"} <= slugs


def test_template_filled_in_is_imported(tmp_path):
    path = tmp_path / "vorlage.xlsx"
    buf = io.BytesIO()
    write_template_xlsx(buf)
    wb = load_workbook(io.BytesIO(buf.getvalue()))
    ws = wb[SHEET_TITLE]
    col = {name: i + 1 for i, name in enumerate(EXPORT_COLUMNS)}
    ws.cell(row=4, column=col["ags"], value="05358008")
    ws.cell(row=4, column=col["ziel_1"], value="effizienz")
    ws.cell(row=4, column=col["bedarf:digitallotsen"], value=3)
    ws.cell(row=4, column=col["projekte"], value="hundesteuer-digital|geplant|Hundesteuer online")
    wb.save(path)
    (p,) = read_profiles(path)
    assert p.ags == "05358008" and p.bedarfe == {"digitallotsen": 3}
    assert p.projekte[0].status == "geplant"
