"""`profile import` and `profile export`: round trip in all four formats, every bad input refused
with record and field and nothing written, and a 500-Kommune file in one go."""

from __future__ import annotations

import json
import time

import pytest
import sqlalchemy as sa

from matching.profiles import ProfileData, ProjectEntry
from matching.synthetic import KommuneFacts, draw_profiles
from plattform.extensions import db
from plattform.kommunen.models import Kommune
from plattform.kommunen.services import get_by_ags, import_gv_file, matchable_filter
from plattform.profile.formats import FORMATS, read_profiles, write_profiles
from plattform.profile.models import Profile
from plattform.profile.services import get_profile, profile_to_data, save_profile
from tests.factories import KommuneFactory

KREUZAU = "05358028"
ALDENHOVEN = "05358004"
KREIS_DUEREN = "05358"

PROFILES = [
    ProfileData(
        ags=ALDENHOVEN,
        ziele=("buergernaehe", "effizienz", "attraktivitaet"),
        handlungsfelder=("verwaltungshandeln",),
        staerken={"digitallotsen": 3, "cdo-rolle": 2},
        bedarfe={"digitalisierungsstrategie": 3},
        projekte=(
            ProjectEntry(
                "digitallotsen", "abgeschlossen", "Digitallotsen-Ausbildung", "https://example.org/lotsen"
            ),
        ),
        offen_fuer=("lernpartnerschaft", "nachnutzung"),
        reichweite_km=30,
    ),
    ProfileData(
        ags=KREUZAU,
        ziele=("effizienz",),
        staerken={"digitalisierungsstrategie": 3},
        bedarfe={"digitallotsen": 3, "e-akte": 1},
        projekte=(ProjectEntry("hundesteuer-digital", "laufend", "Hundesteuer online"),),
        reichweite_km=25,
    ),
    ProfileData(
        ags=KREIS_DUEREN, handlungsfelder=("digitale-infrastruktur", "sicherheit"), bedarfe={"fim": 2}
    ),
]


def profile_count() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count(Profile.id)))


def run(runner, *args):
    return runner.invoke(args=["profile", *args])


@pytest.mark.parametrize("ext", FORMATS)
def test_import_then_export_gives_the_same_profiles(runner, demo_region, tmp_path, ext):
    source = tmp_path / f"mitglieder{ext}"
    write_profiles(source, PROFILES)
    result = run(runner, "import", str(source))
    assert result.exit_code == 0, result.output
    assert "3 Profile importiert" in result.output
    db.session.expire_all()
    assert get_profile(get_by_ags(ALDENHOVEN).id).typ == "serviceorientierte"
    target = tmp_path / f"export{ext}"
    result = run(runner, "export", str(target))
    assert result.exit_code == 0, result.output
    assert "3 Profile" in result.output
    assert sorted(read_profiles(target), key=lambda p: p.ags) == sorted(PROFILES, key=lambda p: p.ags)


def test_export_to_an_unknown_format_is_refused(runner, demo_region, tmp_path):
    result = run(runner, "export", str(tmp_path / "profile.pdf"))
    assert result.exit_code != 0
    assert "Unbekanntes Dateiformat '.pdf'" in result.output


def test_missing_file_is_reported_in_german(runner, app, tmp_path):
    result = run(runner, "import", str(tmp_path / "fehlt.json"))
    assert result.exit_code != 0
    assert "fehlt.json: Die Datei wurde nicht gefunden." in result.output


def _good(ags: str = KREUZAU) -> dict:
    return {"ags": ags, "staerken": {"fim": 1}}


def _write_json(path, records):
    path.write_text(json.dumps(records), encoding="utf-8")


def _write_jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def _write_csv(path, rows):
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


BAD_INPUTS = {
    "unbekanntes-thema": (
        "profile.jsonl",
        lambda p: _write_jsonl(p, [_good(), {"ags": ALDENHOVEN, "staerken": {"blockchain": 2}}]),
        "profile.jsonl, Zeile 2, Feld 'staerken.blockchain': Unbekanntes Thema 'blockchain'",
    ),
    "unbekanntes-ziel": (
        "profile.json",
        lambda p: _write_json(p, [_good(), {"ags": ALDENHOVEN, "ziele": ["weltfrieden"]}]),
        "profile.json, Datensatz 2, Feld 'ziele': Unbekanntes Digitalisierungsziel 'weltfrieden'",
    ),
    "stufe-4-csv": (
        "profile.csv",
        lambda p: _write_csv(p, ["ags;staerke:e-akte", f"{KREUZAU};2", f"{ALDENHOVEN};4"]),
        "profile.csv, Zeile 3, Spalte B (staerke:e-akte): Stufe 4 liegt nicht zwischen 1 und 3.",
    ),
    "prioritaet-0-json": (
        "profile.json",
        lambda p: _write_json(p, [_good(), {"ags": ALDENHOVEN, "bedarfe": {"fim": 0}}]),
        "profile.json, Datensatz 2, Feld 'bedarfe.fim': Priorität 0 liegt nicht zwischen 1 und 3",
    ),
    "mehr-als-drei-ziele": (
        "profile.json",
        lambda p: _write_json(
            p,
            [
                _good(),
                {"ags": ALDENHOVEN, "ziele": ["effizienz", "innovation", "wirtschaft", "foerdermittel"]},
            ],
        ),
        "profile.json, Datensatz 2, Feld 'ziele': Höchstens 3 Digitalisierungsziele erlaubt",
    ),
    "ziel-doppelt": (
        "profile.csv",
        lambda p: _write_csv(
            p, ["ags;ziel_1;ziel_2", f"{KREUZAU};effizienz;", f"{ALDENHOVEN};effizienz;effizienz"]
        ),
        "profile.csv, Zeile 3, Spalte C (ziel_2): Das Ziel 'effizienz'",
    ),
    "ags-unbekannt": (
        "profile.json",
        lambda p: _write_json(p, [_good(), _good("05999999")]),
        "profile.json, Datensatz 2, Feld 'ags': AGS 05999999 ist nicht im Gemeindeverzeichnis.",
    ),
    "ags-doppelt": (
        "profile.jsonl",
        lambda p: _write_jsonl(p, [_good(), _good(ALDENHOVEN), _good()]),
        "profile.jsonl, Zeile 3, Feld 'ags': AGS 05358028 kommt mehrfach vor (zuerst in Zeile 1)",
    ),
    "tabelle-kaputt": (
        "profile.xlsx",
        lambda p: p.write_bytes(b"PK\x03\x04 das ist keine Arbeitsmappe"),
        "profile.xlsx: Die Datei ist keine lesbare Excel-Arbeitsmappe (.xlsx)",
    ),
    "csv-unbekannte-spalte": (
        "profile.csv",
        lambda p: _write_csv(p, ["ags;staerke:quantencomputer", f"{KREUZAU};2"]),
        "profile.csv, Zeile 1, Spalte B: Unbekannte Spalte 'staerke:quantencomputer'",
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_refused_with_record_and_field_and_nothing_is_written(
    runner, demo_region, tmp_path, case
):
    name, write, message = BAD_INPUTS[case]
    # An existing profile must survive a refused import untouched.
    save_profile(get_by_ags(KREUZAU), ProfileData(ags=KREUZAU, bedarfe={"glasfaserausbau": 3}))
    db.session.commit()
    path = tmp_path / name
    write(path)
    result = run(runner, "import", str(path))
    assert result.exit_code != 0
    assert "Import abgebrochen, nichts wurde geändert." in result.output
    assert message in result.output
    assert profile_count() == 1
    assert profile_to_data(get_profile(get_by_ags(KREUZAU).id)).bedarfe == {"glasfaserausbau": 3}


def _import_500(runner, tmp_path, kommunen: list[Kommune], ext: str) -> None:
    facts = [
        KommuneFacts(k.ags, "gemeinde" if k.ebene == "gemeinde" else "kreis", k.population or 0, k.lat, k.lon)
        for k in kommunen
    ]
    profiles = draw_profiles(facts, seed=500)
    path = tmp_path / f"fuenfhundert{ext}"
    write_profiles(path, profiles)
    started = time.perf_counter()
    result = run(runner, "import", str(path))
    elapsed = time.perf_counter() - started
    print(f"\n500 Profile ({ext}, {path.stat().st_size / 1024:.0f} KiB) importiert in {elapsed:.2f} s")
    assert result.exit_code == 0, result.output
    assert "500 Profile importiert" in result.output
    assert profile_count() == 500
    stored = {p.kommune.ags: profile_to_data(p) for p in db.session.scalars(sa.select(Profile))}
    assert stored == {p.ags: p for p in profiles}


@pytest.mark.parametrize("ext", [".xlsx", ".csv"])
def test_a_500_kommune_file_imports_in_one_go(runner, app, tmp_path, ext):
    kommunen = [
        KommuneFactory(ags=f"05{i:06d}", population=1000 + 137 * i, lat=50 + i / 1000, lon=6 + i / 1000)
        for i in range(1, 501)
    ]
    db.session.commit()
    _import_500(runner, tmp_path, kommunen, ext)


def test_500_kommunen_of_the_full_directory_import_in_one_go(runner, app, tmp_path, full_directory_path):
    import_gv_file(full_directory_path)
    gemeinden = list(
        db.session.scalars(
            sa.select(Kommune).where(matchable_filter(), Kommune.ebene == "gemeinde").order_by(Kommune.ags)
        )
    )
    step = len(gemeinden) // 500
    _import_500(runner, tmp_path, gemeinden[::step][:500], ".xlsx")
