"""One table of bad profiles through every entrance: the API, the editor form, an upload as JSON,
JSON Lines, CSV and XLSX, and the command line. Each entrance refuses each bad profile, names the
record (line, row or record number; in the API and the editor the address) and the field, and writes
nothing: the stored profile of Kreuzau stays and the good record of Aldenhoven next to the bad one
is not imported either.

Not every entrance can carry every mistake; where one cannot, the table says why (``NOT_APPLICABLE``).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from matching.profiles import CSV_COLUMNS, ProfileData, profile_to_row
from matching.vocabulary import GOALS
from plattform.extensions import db
from plattform.kommunen.services import get_by_ags
from plattform.profile.models import Profile
from plattform.profile.services import get_profile, profile_to_data, save_profile
from tests.factories import UserFactory
from tests.plattform.api.conftest import bearer, token_for
from tests.plattform.profile.html import field_error, text
from tests.plattform.profile.test_views import editor_data

KREUZAU, ALDENHOVEN = "05358028", "05358004"
STORED = ProfileData(ags=KREUZAU, bedarfe={"glasfaserausbau": 3})
GOOD = {"ags": ALDENHOVEN, "staerken": {"digitallotsen": 3}}


@dataclass(frozen=True)
class Bad:
    """A bad profile of Kreuzau (JSON form), the field it is wrong in, and what the message says."""

    record: dict
    field: str  # as the JSON entrances name it
    fragment: str


def _project(titel: str) -> dict:
    return {"projekte": [{"thema": "fim", "status": "laufend", "titel": titel}]}


CASES = {
    "unbekanntes-thema": Bad({"staerken": {"blockchain": 2}}, "staerken.blockchain", "blockchain"),
    "stufe-0": Bad({"staerken": {"fim": 0}}, "staerken.fim", "Stufe 0 liegt nicht zwischen 1 und 3"),
    "stufe-4": Bad({"staerken": {"fim": 4}}, "staerken.fim", "Stufe 4 liegt nicht zwischen 1 und 3"),
    "ziel-doppelt": Bad({"ziele": ["effizienz", "effizienz"]}, "ziele", "doppelt angegeben"),
    "vier-ziele": Bad({"ziele": list(GOALS[:4])}, "ziele", "Höchstens 3 Digitalisierungsziele"),
    "ags-nicht-im-verzeichnis": Bad({"ags": "05999999"}, "ags", "05999999"),
    "ags-land-00": Bad({"ags": "00358028"}, "ags", "Land"),
    "ags-land-17": Bad({"ags": "17358028"}, "ags", "Land"),
    "nul-im-titel": Bad(_project("Hunde\x00steuer"), "projekte.1.titel", "Steuerzeichen"),
    "steuerzeichen-im-titel": Bad(_project("Hunde\x07steuer"), "projekte.1.titel", "Steuerzeichen"),
    "reichweite-mit-komma": Bad({"reichweite_km": 12.4}, "reichweite_km", "keine ganze Zahl"),
    "titel-zu-lang": Bad(_project("x" * 201), "projekte.1.titel", "länger als 200 Zeichen"),
    "ags-doppelt": Bad({}, "ags", "mehrfach"),
}
ENTRANCES = ("api", "editor", "json", "jsonl", "csv", "xlsx", "cli")
NOT_APPLICABLE = {
    # The editor edits the profile of the Kommune in its address; there is no file to repeat an AGS in.
    ("ags-doppelt", "api"): "one profile per request",
    ("ags-doppelt", "editor"): "one profile per form",
    # The editor has no field for an unknown topic, and 0 is its choice "keine" (nothing set).
    ("unbekanntes-thema", "editor"): "no such form field",
    ("stufe-0", "editor"): "0 means 'not set' in the form",
    # Goals are set by the type test (its own checks), not by the editor.
    ("ziel-doppelt", "editor"): "goals are not in the editor",
    ("vier-ziele", "editor"): "goals are not in the editor",
    # A spreadsheet has three goal columns; a fourth goal cannot be written into one.
    ("vier-ziele", "csv"): "three goal columns",
    ("vier-ziele", "xlsx"): "three goal columns",
    # XML (and so XLSX) cannot hold control characters at all.
    ("nul-im-titel", "xlsx"): "XML forbids it",
    ("steuerzeichen-im-titel", "xlsx"): "XML forbids it",
}
# The JSON entrances' field names as a spreadsheet's columns.
COLUMN = {
    "staerken.blockchain": "staerke:blockchain",
    "staerken.fim": "staerke:fim",
    "ziele": "ziel_",
    "projekte.1.titel": "projekte",
}
# A NUL makes a CSV a binary file: the upload check refuses the whole file before any row is read.
FILE_LEVEL = {("nul-im-titel", "csv"): "Binärdatei"}
PAIRS = [
    (case, entrance) for case in CASES for entrance in ENTRANCES if (case, entrance) not in NOT_APPLICABLE
]


@pytest.fixture
def stored(demo_region):
    """Kreuzau has a profile that a refused import must leave as it is."""
    save_profile(get_by_ags(KREUZAU), STORED)
    db.session.commit()


def _records(case: str) -> list[dict]:
    bad = CASES[case]
    if case == "ags-doppelt":
        return [GOOD, {"ags": KREUZAU}, {"ags": KREUZAU, "reichweite_km": 20}]
    return [GOOD, {"ags": KREUZAU, **bad.record}]


def _rows(case: str) -> list[dict]:
    """The records as spreadsheet rows (the column scheme of matching.profiles)."""
    rows = []
    for record in _records(case):
        goals = record.get("ziele", [])
        row = profile_to_row(ProfileData(ags=GOOD["ags"]))
        row["ags"] = record["ags"]
        for i, goal in enumerate(goals, start=1):
            row[f"ziel_{i}"] = goal
        for slug, level in record.get("staerken", {}).items():
            row[f"staerke:{slug}"] = str(level)
        if record.get("projekte"):
            p = record["projekte"][0]
            row["projekte"] = f"{p['thema']}|{p['status']}|{p['titel']}"
        if "reichweite_km" in record:
            row["reichweite_km"] = str(record["reichweite_km"]).replace(".", ",")
        rows.append(row)
    return rows


def _columns(rows: list[dict]) -> list[str]:
    extra = [c for row in rows for c in row if c not in CSV_COLUMNS]
    return [*CSV_COLUMNS, *dict.fromkeys(extra)]


def _file(case: str, entrance: str) -> tuple[bytes, str]:
    records = _records(case)
    if entrance == "json":
        return json.dumps(records, ensure_ascii=False).encode(), "profile.json"
    if entrance in ("jsonl", "cli"):
        return "".join(json.dumps(r) + "\n" for r in records).encode(), "profile.jsonl"
    rows = _rows(case)
    columns = _columns(rows)
    if entrance == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, delimiter=";")
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue().encode(), "profile.csv"
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Profile"
    sheet.append(columns)
    for row in rows:
        sheet.append([row.get(c, "") for c in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), "profile.xlsx"


def _via_api(client, case: str) -> tuple[int, str]:
    admin = UserFactory(is_admin=True)
    db.session.commit()
    body = dict(CASES[case].record)
    response = client.put(
        f"/api/v1/kommunen/{KREUZAU}/profil", json=body, headers=bearer(token_for(admin, "schreiben"))
    )
    return response.status_code, json.dumps(response.json, ensure_ascii=False)


def _via_editor(client, login, case: str) -> tuple[int, str]:
    admin = UserFactory(is_admin=True)
    db.session.commit()
    login(admin)
    record = CASES[case].record
    if "ags" in record:  # the editor's AGS is its address
        response = client.get(f"/profil/{record['ags']}/bearbeiten")
        return response.status_code, f"ags {record['ags']} {response.status_code}"
    data = editor_data()
    for slug, level in record.get("staerken", {}).items():
        data[f"staerke_{slug}"] = str(level)
    if "reichweite_km" in record:
        data["reichweite_km"] = str(record["reichweite_km"]).replace(".", ",")
    for i, p in enumerate(record.get("projekte", [])):
        data.update(
            {
                f"projekte-{i}-thema": p["thema"],
                f"projekte-{i}-status": p["status"],
                f"projekte-{i}-titel": p["titel"],
            }
        )
    response = client.post(f"/profil/{KREUZAU}/bearbeiten", data=data)
    field = {
        "staerken.fim": "staerke_fim",
        "reichweite_km": "reichweite_km",
        "projekte.1.titel": "projekte-0-titel",
    }[CASES[case].field]
    # The message stands next to its field (wired by aria-describedby): that is how the form names it.
    return response.status_code, field_error(response.text, field) or ""


def _via_upload(client, login, case: str, entrance: str) -> tuple[int, str]:
    admin = UserFactory(is_admin=True)
    db.session.commit()
    login(admin)
    content, name = _file(case, entrance)
    response = client.post(
        "/profil/import", data={"datei": (io.BytesIO(content), name)}, content_type="multipart/form-data"
    )
    return response.status_code, text(response.text)


def _via_cli(runner, tmp_path, case: str) -> tuple[int, str]:
    content, name = _file(case, "cli")
    path = tmp_path / name
    path.write_bytes(content)
    result = runner.invoke(args=["profile", "import", str(path)])
    return (1 if result.exit_code else 0), result.output


@pytest.mark.parametrize(("case", "entrance"), PAIRS, ids=[f"{c}-{e}" for c, e in PAIRS])
def test_bad_profile_is_refused_with_record_and_field_and_nothing_written(
    client, runner, login, tmp_path, stored, case, entrance
):
    bad = CASES[case]
    if entrance == "api":
        status, message = _via_api(client, case)
        refused = status in (404, 422)
    elif entrance == "editor":
        status, message = _via_editor(client, login, case)
        refused = status in (404, 422)
    elif entrance == "cli":
        status, message = _via_cli(runner, tmp_path, case)
        refused = status == 1
    else:
        status, message = _via_upload(client, login, case, entrance)
        refused = status == 422
    assert refused, (status, message[:500])
    if (case, entrance) in FILE_LEVEL:
        assert FILE_LEVEL[case, entrance] in message, message[:800]
        assert db.session.scalar(sa.select(sa.func.count(Profile.id))) == 1
        return
    # The field, as this entrance names it.
    if entrance in ("csv", "xlsx"):
        assert COLUMN.get(bad.field, bad.field) in message, message[:800]
    elif entrance == "editor":
        assert status == 404 or message, "no error next to the field"
    elif status != 404:
        assert bad.field in message, message[:800]
    # The record: its line, row or number in a file; the address in the API and the editor.
    if entrance in ("json",):
        assert "Datensatz" in message, message[:800]
    elif entrance in ("jsonl", "csv", "xlsx", "cli"):
        assert "Zeile" in message, message[:800]
    # The reason (where the entrance gets that far; an editor address outside the directory is a 404).
    if status != 404:
        assert bad.fragment in message, message[:800]
    # Nothing written: Kreuzau as before, Aldenhoven not created.
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Profile.id))) == 1
    assert profile_to_data(get_profile(get_by_ags(KREUZAU).id)) == STORED
