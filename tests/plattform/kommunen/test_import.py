"""Importing the directory: upsert by key, all-or-nothing, mergers and renames of a newer quarter."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from plattform.extensions import db
from plattform.kommunen.gvisys import GvIsysError
from plattform.kommunen.models import DirectoryImport, GemeindefreiesGebiet, Gemeindeverband, Kommune
from plattform.kommunen.services import get_by_ags, import_gv_file
from tests.plattform.kommunen.test_gvisys import ALDENHOVEN, KREIS, KREUZAU, LAND, VERBAND, write_csv


def snapshot() -> list[tuple]:
    """Everything the directory holds, to compare before and after a refused import."""
    rows = db.session.execute(
        sa.select(Kommune.ags, Kommune.name, Kommune.population, Kommune.active).order_by(Kommune.ags)
    ).all()
    return [tuple(r) for r in rows] + [
        ("imports", db.session.scalar(sa.select(sa.func.count(DirectoryImport.id))))
    ]


def test_full_directory_yields_all_kreise_and_gemeinden_and_is_idempotent(app, full_directory_path):
    stats = import_gv_file(full_directory_path)
    assert stats.kreise == 401
    kreise = db.session.scalar(sa.select(sa.func.count()).where(Kommune.ebene == "kreis"))
    gemeinden = db.session.scalar(sa.select(sa.func.count()).where(Kommune.ebene == "gemeinde"))
    frei = db.session.scalar(sa.select(sa.func.count()).select_from(GemeindefreiesGebiet))
    assert kreise == 401
    assert gemeinden + frei == 11004
    assert frei == stats.gemeindefrei > 0

    kreuzau = get_by_ags("05358028")
    assert kreuzau.name == "Kreuzau"
    assert kreuzau.population == 17444
    assert kreuzau.kreis.ags == "05358"
    assert kreuzau.kreis.name == "Düren"
    assert kreuzau.land.name == "Nordrhein-Westfalen"
    assert get_by_ags("05358").population == sum(g.population for g in get_by_ags("05358").gemeinden)

    before = snapshot()[:-1]
    again = import_gv_file(full_directory_path)
    assert (again.inserted, again.updated, again.deactivated) == (0, 0, 0)
    assert snapshot()[:-1] == before


def test_newer_quarter_updates_names_populations_and_mergers_without_duplicates(app, tmp_path):
    verband_aldenhoven = "50,50,05,3,58,0004,,Aldenhoven,,,,,,,,,,,,"
    import_gv_file(
        write_csv(
            tmp_path, LAND, KREIS, VERBAND, verband_aldenhoven, KREUZAU, ALDENHOVEN, name="gv-2020q4.csv"
        )
    )
    kreuzau_id = get_by_ags("05358028").id
    # Next quarter: Kreuzau grows and is renamed, Aldenhoven is merged away, a new Gemeinde appears.
    newer = write_csv(
        tmp_path,
        LAND,
        KREIS,
        VERBAND,
        KREUZAU.replace("17 444", "17 600").replace("Kreuzau,", "Kreuzau (Rur),"),
        ALDENHOVEN.replace("Aldenhoven", "Neustadt").replace(",004,", ",099,").replace("0004", "0099"),
        name="gv-2021q1.csv",
    )
    stats = import_gv_file(newer)
    assert (stats.inserted, stats.updated, stats.deactivated) == (1, 2, 1)  # Kreis total changed too
    kreuzau = get_by_ags("05358028")
    assert kreuzau.id == kreuzau_id
    assert (kreuzau.name, kreuzau.population) == ("Kreuzau (Rur)", 17600)
    assert kreuzau.stand == "Gebietsstand 31.03.2021"
    assert get_by_ags("05358004").active is False
    assert get_by_ags("05358099").active is True
    assert db.session.scalar(sa.select(sa.func.count()).where(Kommune.ags == "05358028")) == 1
    assert db.session.get(Gemeindeverband, "053580004").active is False


BAD_INPUTS = {
    "truncated": lambda p: p.write_bytes(p.read_bytes()[:-60]),
    "wrong-encoding": lambda p: p.write_bytes(p.read_text(encoding="utf-8-sig").encode("latin-1")),
    "population-not-numeric": lambda p: p.write_text(
        p.read_text(encoding="utf-8").replace("13 861", "viele"), encoding="utf-8"
    ),
    "broken-key": lambda p: p.write_text(
        p.read_text(encoding="utf-8").replace(",004,", ",04,"), encoding="utf-8"
    ),
    "same-ags-twice": lambda p: p.write_text(
        p.read_text(encoding="utf-8") + KREUZAU + "\n", encoding="utf-8"
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_file_aborts_and_database_holds_exactly_what_it_held(app, tmp_path, runner, case):
    import_gv_file(write_csv(tmp_path, LAND, KREIS, VERBAND, KREUZAU, name="ok.csv"))
    before = snapshot()
    bad = write_csv(
        tmp_path, LAND, KREIS, VERBAND, KREUZAU.replace("17 444", "18 000"), ALDENHOVEN, name="bad.csv"
    )
    BAD_INPUTS[case](bad)
    with pytest.raises(GvIsysError):
        import_gv_file(bad)
    assert snapshot() == before

    result = runner.invoke(args=["kommunen", "import-gv", str(bad)])
    assert result.exit_code != 0
    assert "Import abgebrochen, nichts wurde geändert" in result.output
    assert "bad.csv" in result.output
    assert snapshot() == before


def test_cli_import_reports_counts(runner, tmp_path):
    path = write_csv(tmp_path, LAND, KREIS, VERBAND, KREUZAU, ALDENHOVEN)
    result = runner.invoke(args=["kommunen", "import-gv", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 Kreise, 2 Gemeinden" in result.output


def test_demo_region_holds_kreis_dueren_with_fifteen_gemeinden_and_andi_cities(demo_region):
    dueren = get_by_ags("05358")
    assert len(dueren.gemeinden) == 15
    assert {"Kreuzau", "Aldenhoven"} <= {g.name for g in dueren.gemeinden}
    for ags, name in [
        ("08311000", "Freiburg"),
        ("08222000", "Mannheim"),
        ("08435016", "Friedrichshafen"),
        ("08421000", "Ulm"),
        ("08335043", "Konstanz"),
        ("08215017", "Ettlingen"),
        ("08212000", "Karlsruhe"),
    ]:
        kommune = get_by_ags(ags)
        assert kommune is not None and kommune.name.startswith(name), ags
        assert kommune.lat is not None and kommune.population > 0
