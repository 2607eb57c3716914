"""The coordinators' spreadsheet (issue 15, item 4): German headers that round-trip, a template prefilled
with the coordinator's Kommunen, every error of a file at once with row and column, a refused empty
file, formulas and wrong sheets named, a result that says what changed (also demo data that becomes
own data), one rule for partial records on every format, JSON export on the web, one CSV dialect, and
large files through the worker with a progress page."""

from __future__ import annotations

import csv
import io
import json

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from matching.profiles import COLUMN_LABELS_DE, CSV_COLUMNS, ProfileData, profile_to_row
from plattform.extensions import db
from plattform.kommunen.services import get_by_ags
from plattform.profile.bulk import import_profile_file, import_profiles
from plattform.profile.formats import (
    EXPORT_COLUMNS,
    MAX_REPORTED_ISSUES,
    ProfileImportError,
    read_profile_records,
    read_profiles,
    write_profiles,
)
from plattform.profile.models import Profile, ProfileImport
from plattform.profile.services import get_profile, profile_to_data, save_profile
from tests.factories import UserFactory
from tests.plattform.profile.html import text
from tests.plattform.profile.test_views import member_of

KREUZAU, ALDENHOVEN, NIDEGGEN, KREIS_DUEREN = "05358028", "05358004", "05358044", "05358"


def _csv(path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=";")
        writer.writerow(header)
        writer.writerows(rows)


def _stored(ags: str) -> ProfileData:
    db.session.expire_all()
    return profile_to_data(get_profile(get_by_ags(ags).id))


# --------------------------------------------------------------------------- reading


def test_german_headers_are_read_like_slugs(tmp_path):
    path = tmp_path / "deutsch.csv"
    header = [COLUMN_LABELS_DE[c] for c in ("ags", "name", "ziel_1", "staerke:fim", "bedarf:e-akte")]
    assert header[3] == "Stärke: Föderales Informationsmanagement (FIM)"
    _csv(path, [h.upper() for h in header], [[KREUZAU, "Kreuzau", "effizienz", "3", "2"]])
    (p,) = read_profiles(path)
    assert (p.ziele, p.staerken, p.bedarfe) == (("effizienz",), {"fim": 3}, {"e-akte": 2})


def test_the_export_round_trips_through_its_hidden_slug_row(tmp_path):
    profiles = [ProfileData(ags=KREUZAU, staerken={"fim": 2}, name="Kreuzau"), ProfileData(ags=ALDENHOVEN)]
    path = tmp_path / "export.xlsx"
    write_profiles(path, profiles)
    sheet = load_workbook(path)["Profile"]
    assert [c.value for c in sheet[1]][:2] == ["AGS", "Name"] and sheet.row_dimensions[2].hidden
    sheet["A1"] = "Gemeindeschlüssel"  # someone renames a German header: the slugs below still hold
    workbook = sheet.parent
    workbook.save(path)
    assert read_profiles(path) == profiles


def test_every_error_of_a_file_is_reported_at_once_with_row_and_column(tmp_path):
    path = tmp_path / "fehler.csv"
    _csv(
        path,
        ["ags", "ziel_1", "staerke:fim", "reichweite_km"],
        [[KREUZAU, "effizienz", "4", "30"], [ALDENHOVEN, "frieden", "2", "12,5"], [NIDEGGEN, "", "", "30"]],
    )
    with pytest.raises(ProfileImportError) as info:
        read_profiles(path)
    lines = info.value.lines()
    assert lines == [
        "Zeile 2, Spalte C (staerke:fim): Stufe 4 liegt nicht zwischen 1 und 3.",
        "Zeile 3, Spalte B (ziel_1): Unbekanntes Digitalisierungsziel 'frieden'.",
        "Zeile 3, Spalte D (reichweite_km): Reichweite 12.5 km ist keine ganze Zahl; "
        "bitte ganze Kilometer angeben.",
    ]
    assert str(info.value).startswith("fehler.csv: 3 Fehler\n- Zeile 2")


def test_a_file_with_thousands_of_errors_lists_the_first_hundred_and_counts_the_rest(tmp_path):
    path = tmp_path / "viele.csv"
    _csv(path, ["ags", "staerke:fim"], [[f"05358{i:03d}", "9"] for i in range(150)])
    with pytest.raises(ProfileImportError) as info:
        read_profiles(path)
    assert len(info.value.issues) == MAX_REPORTED_ISSUES and info.value.more == 50
    assert info.value.count == 150 and "… und 50 weitere Fehler." in str(info.value)


def test_unknown_columns_are_all_named(tmp_path):
    path = tmp_path / "spalten.csv"
    _csv(path, ["ags", "farbe", "staerke:fim", "groesse"], [[KREUZAU, "blau", "2", "9"]])
    with pytest.raises(ProfileImportError) as info:
        read_profiles(path)
    assert [(i.line, i.column, i.field) for i in info.value.issues] == [
        (1, "B", "farbe"),
        (1, "D", "groesse"),
    ]


@pytest.mark.parametrize(
    ("header", "rows", "message"),
    [
        (["ags", "staerke:fim"], [], "keine Profile"),
        (["ags", "name", "staerke:fim"], [[KREUZAU, "Kreuzau", ""]], "nur AGS und Namen"),
    ],
    ids=["nur-kopfzeile", "nur-ags-und-name"],
)
def test_an_empty_file_is_refused(tmp_path, header, rows, message):
    path = tmp_path / "leer.csv"
    _csv(path, header, rows)
    with pytest.raises(ProfileImportError, match=message):
        read_profiles(path)


def test_formulas_are_refused_with_row_and_column(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Profile"
    sheet.append(["ags", "staerke:fim", "reichweite_km"])
    sheet.append([KREUZAU, "=1+2", 30])
    sheet.append([ALDENHOVEN, 2, "=A2*0+40"])
    path = tmp_path / "formeln.xlsx"
    workbook.save(path)
    with pytest.raises(ProfileImportError) as info:
        read_profiles(path)
    assert [(i.line, i.column) for i in info.value.issues] == [
        (2, "B (staerke:fim)"),
        (3, "C (reichweite_km)"),
    ]
    assert "Formel =1+2 statt eines Werts" in info.value.issues[0].message()


def test_a_workbook_without_the_profile_sheet_is_refused_naming_its_sheets(tmp_path):
    workbook = Workbook()
    workbook.active.title = "Tabelle1"
    workbook.create_sheet("Notizen")
    path = tmp_path / "blaetter.xlsx"
    workbook.save(path)
    with pytest.raises(
        ProfileImportError, match="kein Blatt „Profile“ \\(gefunden: „Tabelle1“, „Notizen“\\)"
    ):
        read_profiles(path)


# --------------------------------------------------------------------------- what an import changes


def test_partial_records_keep_what_they_do_not_mention_on_every_format(app, demo_region, tmp_path):
    full = ProfileData(
        ags=KREUZAU, ziele=("effizienz",), staerken={"fim": 3}, bedarfe={"e-akte": 2}, reichweite_km=40
    )
    for ext, write in (
        (".json", lambda p: p.write_text(json.dumps([{"ags": KREUZAU, "bedarfe": {}, "reichweite_km": 40}]))),
        (
            ".jsonl",
            lambda p: p.write_text(json.dumps({"ags": KREUZAU, "bedarfe": {}, "reichweite_km": 40}) + "\n"),
        ),
        (".csv", lambda p: _csv(p, ["ags", "bedarf:e-akte", "reichweite_km"], [[KREUZAU, "", "40"]])),
    ):
        save_profile(get_by_ags(KREUZAU), full)
        db.session.commit()
        path = tmp_path / f"teil{ext}"
        write(path)
        result = import_profile_file(path)
        db.session.commit()
        assert result.changed == [(KREUZAU, "Kreuzau")], ext
        # bedarfe was mentioned (and emptied), the reach given as it was; goals and strengths were not
        # mentioned, and stay.
        stored = _stored(KREUZAU)
        assert stored.bedarfe == {} and stored.staerken == {"fim": 3} and stored.reichweite_km == 40, ext
        assert get_profile(get_by_ags(KREUZAU).id).typ is not None, ext


def test_a_record_with_the_ags_alone_changes_nothing(app, demo_region, tmp_path):
    save_profile(get_by_ags(KREUZAU), ProfileData(ags=KREUZAU, ziele=("effizienz",), staerken={"fim": 3}))
    db.session.commit()
    typ = get_profile(get_by_ags(KREUZAU).id).typ
    path = tmp_path / "nur-ags.json"
    path.write_text(json.dumps([{"ags": KREUZAU}]))
    result = import_profile_file(path)
    db.session.commit()
    assert result.unchanged == [(KREUZAU, "Kreuzau")] and result.written == 0
    assert _stored(KREUZAU).staerken == {"fim": 3} and get_profile(get_by_ags(KREUZAU).id).typ == typ


def test_the_result_says_new_changed_unchanged_and_demo_data_made_own(app, demo_region, tmp_path):
    import_profiles(
        [ProfileData(ags=KREUZAU, staerken={"fim": 1}), ProfileData(ags=ALDENHOVEN, staerken={"fim": 2})],
        is_demo=True,
    )
    path = tmp_path / "export.csv"
    write_profiles(path, [_stored(KREUZAU), _stored(ALDENHOVEN)])
    # An unchanged export read back changes nothing, and demo data stays demo data.
    again = import_profile_file(path)
    db.session.commit()
    assert again.unchanged == [(KREUZAU, "Kreuzau"), (ALDENHOVEN, "Aldenhoven")] and again.written == 0
    assert db.session.scalar(sa.select(sa.func.count()).where(Profile.is_demo.is_(True))) == 2
    rows = [profile_to_row(_stored(KREUZAU)), profile_to_row(ProfileData(ags=NIDEGGEN, bedarfe={"fim": 3}))]
    rows[0]["staerke:fim"] = "3"
    _csv(path, list(CSV_COLUMNS), [[r[c] for c in CSV_COLUMNS] for r in rows])
    result = import_profile_file(path)
    db.session.commit()
    assert result.new == [(NIDEGGEN, "Nideggen, Stadt")]
    assert result.changed == result.from_demo == [(KREUZAU, "Kreuzau")]
    assert get_profile(get_by_ags(KREUZAU).id).is_demo is False
    assert get_profile(get_by_ags(ALDENHOVEN).id).is_demo is True  # not in this file: untouched


# --------------------------------------------------------------------------- on the web


def test_the_template_is_prefilled_with_the_coordinators_kommunen(client, demo_region, login):
    save_profile(get_by_ags(KREUZAU), ProfileData(ags=KREUZAU, staerken={"fim": 3}))
    db.session.commit()
    login(member_of(KREIS_DUEREN, role="koordination"))
    response = client.get("/profil/vorlage.xlsx")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private, no-store"
    sheet = load_workbook(io.BytesIO(response.data))["Profile"]
    rows = {r[0]: r for r in sheet.iter_rows(min_row=4, values_only=True)}
    assert len(rows) == 16  # the Kreis and its fifteen Gemeinden
    assert rows[ALDENHOVEN][1] == "Aldenhoven" and all(v in (None, "") for v in rows[ALDENHOVEN][2:])
    column = EXPORT_COLUMNS.index("staerke:fim")
    assert rows[KREUZAU][1] == "Kreuzau" and rows[KREUZAU][column] == 3
    lists = [dv.formula1 for dv in sheet.data_validations.dataValidation]
    assert '"1,2,3"' in lists and any("effizienz" in f for f in lists)
    # Read back untouched, the prefilled template changes nothing: empty rows are skipped.
    path_rows = [r for r in read_profile_records_from(response.data) if not r.empty]
    assert [r.data.ags for r in path_rows] == [KREUZAU]


def read_profile_records_from(content: bytes):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vorlage.xlsx"
        path.write_bytes(content)
        return read_profile_records(path)


def test_json_export_on_the_web_is_the_cli_export(client, runner, demo_region, login, tmp_path):
    save_profile(get_by_ags(KREUZAU), ProfileData(ags=KREUZAU, staerken={"fim": 3}))
    db.session.commit()
    admin = UserFactory(is_admin=True)
    db.session.commit()
    login(admin)
    for fmt in ("json", "jsonl"):
        web = client.get(f"/profil/export.{fmt}")
        assert web.status_code == 200
        path = tmp_path / f"cli.{fmt}"
        assert runner.invoke(args=["profile", "export", str(path)]).exit_code == 0
        assert web.data == path.read_bytes(), fmt
    assert json.loads(client.get("/profil/export.json").data)[0]["name"] == "Kreuzau"


def test_every_csv_export_has_one_dialect_and_names_its_charset_once(client, demo_region, login):
    save_profile(get_by_ags(KREUZAU), ProfileData(ags=KREUZAU, staerken={"fim": 3}, name="x"))
    admin = UserFactory(is_admin=True)
    db.session.commit()
    login(admin)
    response = client.get("/profil/export.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.data.startswith(b"\xef\xbb\xbfags;name;ziel_1;")
    assert b"\r\n" in response.data


def test_a_large_file_goes_through_the_worker_with_a_progress_page(client, app, demo_region, login, tmp_path):
    app.config["PROFILE_IMPORT_INLINE_MAX_BYTES"] = 100  # every upload counts as large
    login(member_of(KREIS_DUEREN, role="koordination"))
    content = f"ags;staerke:fim\n{KREUZAU};2\n{ALDENHOVEN};3\n".encode()
    response = client.post(
        "/profil/import",
        data={"datei": (io.BytesIO(content), "gross.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303  # to the job's page (Celery runs eagerly in these tests)
    job = db.session.scalar(sa.select(ProfileImport))
    assert job.status == "fertig" and job.content is None and job.total == 2
    status = client.get(f"/profil/import/{job.id}/stand.json").json
    assert status == {"status": "fertig", "phase": "schreiben", "done": 2, "total": 2}
    page = text(client.get(response.headers["Location"]).text)
    assert "Import abgeschlossen: 2 neu, 0 geändert, 0 unverändert." in page
    # Someone else's job is not found.
    other = member_of(ALDENHOVEN)
    client.post("/konto/abmelden")
    login(other)
    assert client.get(f"/profil/import/{job.id}").status_code == 404
    assert client.get(f"/profil/import/{job.id}/stand.json").status_code == 404


def test_the_progress_page_while_the_worker_has_not_finished(client, demo_region, login):
    user = member_of(KREIS_DUEREN, role="koordination")
    job = ProfileImport(
        user_id=user.id,
        file_name="gross.xlsx",
        content=b"x",
        status="laeuft",
        phase="pruefen",
        total=9000,
        done=0,
    )
    db.session.add(job)
    db.session.commit()
    login(user)
    page = client.get(f"/profil/import/{job.id}")
    assert page.status_code == 200
    assert 'id="import-fortschritt"' in page.text and 'max="9000"' in page.text
    assert "9.000 Profile werden geprüft und geschrieben" in text(page.text)
    assert "/static/js/import-progress.js" in page.text
