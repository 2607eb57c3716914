"""The profile format: every bad input rejected with record and field named; lossless round-trips."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching.profiles import (
    CSV_COLUMNS,
    DEFAULT_REICHWEITE_KM,
    ProfileData,
    ProfileFormatError,
    ProjectEntry,
    parse_profile,
    profile_to_dict,
    profile_to_row,
    row_to_profile,
)
from matching.vocabulary import GOALS, HANDLUNGSFELDER, OPEN_FOR, PROJECT_STATUSES, TOPIC_SLUGS

EXAMPLE = {
    "ags": "05358028",
    "ziele": ["rechtliche-vorgaben", "foerdermittel", "effizienz"],
    "handlungsfelder": ["verwaltungshandeln", "digitale-infrastruktur", "sicherheit"],
    "staerken": {"ozg-umsetzung": 3, "it-sicherheit": 2},
    "bedarfe": {"glasfaserausbau": 3, "datennutzung": 2},
    "projekte": [{"thema": "hundesteuer-digital", "status": "laufend", "titel": "Hundesteuer online"}],
    "offen_fuer": ["lernpartnerschaft", "gemeinsames-projekt", "nachnutzung"],
    "reichweite_km": 60,
}


def _with(**changes):
    obj = copy.deepcopy(EXAMPLE)
    for key, value in changes.items():
        if value is None:
            obj.pop(key)
        else:
            obj[key] = value
    return obj


def test_design_example_parses():
    p = parse_profile(EXAMPLE, record=1)
    assert p.ags == "05358028"
    assert p.ziele == ("rechtliche-vorgaben", "foerdermittel", "effizienz")
    assert p.staerken == {"ozg-umsetzung": 3, "it-sicherheit": 2}
    assert p.projekte == (ProjectEntry("hundesteuer-digital", "laufend", "Hundesteuer online"),)
    assert p.reichweite_km == 60
    assert profile_to_dict(p) == EXAMPLE


def test_minimal_profile_gets_documented_defaults():
    p = parse_profile({"ags": "09162000"}, record=1)
    assert p == ProfileData(ags="09162000")
    assert p.offen_fuer == OPEN_FOR and p.reichweite_km == DEFAULT_REICHWEITE_KM


def test_kreis_key_with_five_digits_is_accepted():
    assert parse_profile({"ags": "05358"}, record=1).ags == "05358"


def test_error_message_format():
    with pytest.raises(ProfileFormatError) as info:
        parse_profile(_with(staerken={"fim": 4}), record=3)
    err = info.value
    assert str(err) == "Datensatz 3, Feld 'staerken.fim': Stufe 4 liegt nicht zwischen 1 und 3."
    assert (err.record, err.field) == ("3", "staerken.fim")
    assert isinstance(err, ValueError)


BAD_CASES = [
    ("missing ags", _with(ags=None), "ags", "fehlt"),
    ("ags as number", _with(ags=5358028), "ags", "Text"),
    ("ags too short", _with(ags="535802"), "ags", "8 Ziffern"),
    ("ags with letters", _with(ags="0535802X"), "ags", "ungültig"),
    ("ags land 00", _with(ags="00358028"), "ags", "Land"),
    ("ags land 17", _with(ags="17358028"), "ags", "Land"),
    ("unknown key", _with(staerke={"fim": 1}), "staerke", "Unbekanntes Feld"),
    ("four goals", _with(ziele=[*GOALS[:4]]), "ziele", "Höchstens 3"),
    ("goal twice", _with(ziele=["effizienz", "effizienz"]), "ziele", "doppelt"),
    ("unknown goal", _with(ziele=["weltfrieden"]), "ziele", "Unbekanntes Digitalisierungsziel"),
    ("goals not a list", _with(ziele="effizienz"), "ziele", "Liste"),
    ("unknown field", _with(handlungsfelder=["raumfahrt"]), "handlungsfelder", "Unbekanntes"),
    ("field twice", _with(handlungsfelder=["sicherheit", "sicherheit"]), "handlungsfelder", "doppelt"),
    ("unknown strength topic", _with(staerken={"blockchain": 2}), "staerken.blockchain", "Unbekanntes Thema"),
    ("strength level 0", _with(staerken={"fim": 0}), "staerken.fim", "Stufe 0"),
    ("strength level 4", _with(staerken={"fim": 4}), "staerken.fim", "Stufe 4"),
    ("strength level text", _with(staerken={"fim": "3"}), "staerken.fim", "keine ganze Zahl"),
    ("strength level bool", _with(staerken={"fim": True}), "staerken.fim", "keine ganze Zahl"),
    ("strength level float", _with(staerken={"fim": 2.5}), "staerken.fim", "keine ganze Zahl"),
    ("strengths not a mapping", _with(staerken=["fim"]), "staerken", "Objekt"),
    ("need level 5", _with(bedarfe={"e-akte": 5}), "bedarfe.e-akte", "Priorität 5"),
    ("unknown need topic", _with(bedarfe={"ki": 1}), "bedarfe.ki", "Unbekanntes Thema"),
    ("bad status", _with(projekte=[{"thema": "fim", "status": "fertig"}]), "projekte.1.status", "fertig"),
    ("bad project topic", _with(projekte=[{"thema": "x", "status": "laufend"}]), "projekte.1.thema", "Thema"),
    (
        "bad project link",
        _with(projekte=[{"thema": "fim", "status": "laufend", "link": "javascript:alert(1)"}]),
        "projekte.1.link",
        "http",
    ),
    ("project not an object", _with(projekte=["fim"]), "projekte.1", "Objekt"),
    ("unknown open_for", _with(offen_fuer=["fusion"]), "offen_fuer", "Unbekannte"),
    ("negative reach", _with(reichweite_km=-5), "reichweite_km", "nicht möglich"),
    ("zero reach", _with(reichweite_km=0), "reichweite_km", "nicht möglich"),
    ("absurd reach", _with(reichweite_km=60000), "reichweite_km", "nicht möglich"),
    ("reach as text", _with(reichweite_km="60"), "reichweite_km", "keine Zahl"),
    ("reach nan", _with(reichweite_km=float("nan")), "reichweite_km", "keine Zahl"),
]


@pytest.mark.parametrize(("name", "obj", "field", "fragment"), BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_input_names_record_and_field(name, obj, field, fragment):
    with pytest.raises(ProfileFormatError) as info:
        parse_profile(obj, record=7)
    err = info.value
    assert err.record == "7"
    assert err.field == field
    assert fragment in err.message_de
    assert str(err).startswith(f"Datensatz 7, Feld '{field}': ")


def test_not_an_object():
    with pytest.raises(ProfileFormatError) as info:
        parse_profile(["05358028"], record=2)  # type: ignore[arg-type]
    assert info.value.record == "2"


def test_project_title_defaults_to_topic_label():
    p = parse_profile(_with(projekte=[{"thema": "kita-anmeldung", "status": "geplant"}]), record=1)
    assert p.projekte[0].titel == "Kita-Anmeldung online"


def test_offen_fuer_is_canonically_ordered_and_name_ignored():
    p = parse_profile(_with(offen_fuer=["nachnutzung", "lernpartnerschaft"], name="Düren"), record=1)
    assert p.offen_fuer == ("lernpartnerschaft", "nachnutzung")


# --------------------------------------------------------------------------- rows


def test_row_scheme_has_a_column_per_topic():
    assert CSV_COLUMNS[:5] == ("ags", "ziel_1", "ziel_2", "ziel_3", "handlungsfelder")
    for slug in TOPIC_SLUGS:
        assert f"staerke:{slug}" in CSV_COLUMNS and f"bedarf:{slug}" in CSV_COLUMNS
    assert CSV_COLUMNS[-3:] == ("projekte", "offen_fuer", "reichweite_km")


def test_row_round_trip_of_design_example():
    p = parse_profile(EXAMPLE, record=1)
    row = profile_to_row(p)
    assert row["staerke:ozg-umsetzung"] == "3" and row["bedarf:fim"] == ""
    assert row["projekte"] == "hundesteuer-digital|laufend|Hundesteuer online"
    assert row_to_profile(row, record=1) == p


def test_row_accepts_spreadsheet_cells():
    row = {"ags": 5358028, "ziel_1": "effizienz", "staerke:fim": 3.0, "reichweite_km": "25,0", "name": "X"}
    p = row_to_profile(row, record=4)
    assert p.ags == "05358028" and p.staerken == {"fim": 3} and p.reichweite_km == 25


ROW_BAD_CASES = [
    ({"ags": "05358028", "staerke:fim": "4"}, "staerke:fim", "Stufe 4"),
    ({"ags": "05358028", "bedarf:fim": "hoch"}, "bedarf:fim", "keine ganze Zahl"),
    ({"ags": "05358028", "ziel_2": "effizienz"}, "ziel_1", "leer"),
    ({"ags": "05358028", "ziel_1": "effizienz", "ziel_2": "effizienz"}, "ziel_2", "doppelt"),
    ({"ags": "05358028", "ziel_1": "frieden"}, "ziel_1", "Unbekanntes"),
    ({"ags": "05358028", "projekte": "fim|fertig|X"}, "projekte", "Status"),
    ({"ags": "05358028", "projekte": "fim"}, "projekte", "thema|status"),
    ({"ags": "05358028", "reichweite_km": "weit"}, "reichweite_km", "keine Zahl"),
    ({"ags": "05358028", "farbe": "blau"}, "farbe", "Unbekannte Spalte"),
    ({"ags": "123"}, "ags", "8 Ziffern"),
]


@pytest.mark.parametrize(("row", "field", "fragment"), ROW_BAD_CASES)
def test_bad_rows_name_the_column(row, field, fragment):
    with pytest.raises(ProfileFormatError) as info:
        row_to_profile(row, record="Zeile 7")
    assert info.value.field == field
    assert info.value.record == "Zeile 7"
    assert fragment in info.value.message_de


# --------------------------------------------------------------------------- property round-trips

levels = st.dictionaries(st.sampled_from(TOPIC_SLUGS), st.integers(1, 3), max_size=8)
titles = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40
).filter(lambda t: t.strip() == t and ";" not in t and "|" not in t)
projects = st.builds(
    ProjectEntry,
    thema=st.sampled_from(TOPIC_SLUGS),
    status=st.sampled_from(PROJECT_STATUSES),
    titel=titles,
    link=st.one_of(st.none(), st.just("https://example.org/projekt")),
)
profiles = st.builds(
    ProfileData,
    ags=st.tuples(st.integers(1, 16), st.integers(0, 999999)).map(lambda t: f"{t[0]:02d}{t[1]:06d}"),
    ziele=st.lists(st.sampled_from(GOALS), max_size=3, unique=True).map(tuple),
    handlungsfelder=st.lists(st.sampled_from(HANDLUNGSFELDER), max_size=4, unique=True).map(tuple),
    staerken=levels,
    bedarfe=levels,
    projekte=st.lists(projects, max_size=3).map(tuple),
    offen_fuer=st.lists(st.sampled_from(OPEN_FOR), min_size=1, unique=True).map(
        lambda xs: tuple(o for o in OPEN_FOR if o in xs)
    ),
    reichweite_km=st.integers(1, 1000),
)


@given(profiles)
def test_dict_round_trip(p):
    assert parse_profile(profile_to_dict(p), record=1) == p


@given(profiles)
def test_row_round_trip(p):
    assert row_to_profile(profile_to_row(p), record=1) == p
