"""Profile pages: type test and result, editor with errors next to the field, permissions, Kommune
page section, spreadsheet upload and export."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from matching.profiles import ProfileData, ProjectEntry
from matching.taxonomy import GOAL_CENTRES, TYPE_MOTTOS_DE
from matching.vocabulary import GOALS, TOPIC_SLUGS, TYPE_LABELS_DE, TYPES
from plattform.extensions import db
from plattform.kommunen.services import get_by_ags
from plattform.profile.forms import need_field_name, strength_field_name
from plattform.profile.models import Profile
from plattform.profile.services import get_profile, profile_to_data, save_profile
from tests.factories import MembershipFactory, UserFactory
from tests.plattform.profile.html import field_error, parse, selected, text

KREUZAU = "05358028"
ALDENHOVEN = "05358004"
KREIS_DUEREN = "05358"


def centre_top_three(typ: str) -> list[str]:
    """The three goals with the most points at a type's cluster centre, most important first."""
    row = GOAL_CENTRES[TYPES.index(typ)]
    return [GOALS[i] for i in np.argsort(-row, kind="stable")[:3]]


def heading(html: str) -> str:
    """The text of the page's h1."""
    return text(re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S).group(1))


def member_of(ags: str, **kwargs):
    """A user with an approved membership of the Kommune (committed, so requests see it)."""
    membership = MembershipFactory(kommune=get_by_ags(ags), **kwargs)
    db.session.commit()
    return membership.user


def profile_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Profile.id)))


def editor_data(**overrides) -> dict:
    """A complete editor submission: every topic 0, defaults, then the overrides."""
    data: dict = {}
    for slug in TOPIC_SLUGS:
        data[strength_field_name(slug)] = "0"
        data[need_field_name(slug)] = "0"
    data.update(
        {"offen_fuer": ["lernpartnerschaft", "gemeinsames-projekt", "nachnutzung"], "reichweite_km": "50"}
    )
    data.update(overrides)
    return data


# --------------------------------------------------------------------------- type test


@pytest.mark.parametrize("typ", TYPES)
def test_type_test_form_gives_each_type_for_its_centre_goals(client, app, typ):
    goals = centre_top_three(typ)
    response = client.post(
        "/profil/typtest", data={"ziel_1": goals[0], "ziel_2": goals[1], "ziel_3": goals[2]}
    )
    assert response.status_code == 302
    result = client.get(response.headers["Location"])
    assert result.status_code == 200
    page = text(result.text)
    assert heading(result.text) == TYPE_LABELS_DE[typ]
    assert TYPE_MOTTOS_DE[typ] in page
    assert "Was andere von Ihnen lernen können" in page
    assert "Von wem Sie lernen können" in page
    assert "Eindeutig" in page or "Ziemlich sicher" in page


def test_result_names_whom_to_learn_from(client, app):
    result = client.get("/profil/typtest/ergebnis?ziel=rechtliche-vorgaben&ziel=foerdermittel&ziel=effizienz")
    page = text(result.text)
    # Bedächtige want Datennutzung (Optimierer, Serviceorientierte) and Glasfaser (Community Manager).
    section = page[page.index("Von wem Sie lernen können") :]
    assert "Die Optimierer: Datennutzung" in section
    assert "Die Community Manager: Glasfaserausbau" in section


def test_result_shows_a_mixed_type_in_words(client, app):
    result = client.get("/profil/typtest/ergebnis?ziel=effizienz&ziel=daseinsvorsorge&ziel=wirtschaft")
    assert result.status_code == 200
    page = text(result.text)
    assert heading(result.text) == "zwischen Optimierer und Community Manager"
    assert "Nicht eindeutig" in page
    assert "Ebenso nah: Die Community Manager" in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, None, "mindestens ein Digitalisierungsziel"),
        ({"ziel_1": "effizienz", "ziel_2": "effizienz"}, "ziel_2", "mehrfach ausgewählt"),
        (
            {
                "ziel_1": "effizienz",
                "ziel_2": "innovation",
                "ziel_3": "wirtschaft",
                "ziel_4": "foerdermittel",
            },
            None,
            "höchstens 3",
        ),
        ({"ziel_1": "weltfrieden"}, "ziel_1", "Unbekanntes Digitalisierungsziel"),
        ({"ziel_2": "effizienz"}, "ziel_1", "zuerst dieses Ziel"),
    ],
    ids=["keins", "doppelt", "mehr-als-drei", "unbekannt", "luecke"],
)
def test_type_test_errors_are_shown_next_to_the_field(client, app, data, field, message):
    response = client.post("/profil/typtest", data=data)
    assert response.status_code == 422
    if field is None:
        group = parse(response.text).by_id["ziele-fehler"]
        assert group["attrs"]["role"] == "alert"
        assert message in group["text"]
    else:
        assert message in field_error(response.text, field)
    assert profile_count() == 0


def test_result_url_with_more_than_three_goals_is_refused(client, app):
    response = client.get(
        "/profil/typtest/ergebnis?ziel=effizienz&ziel=innovation&ziel=wirtschaft&ziel=foerdermittel"
    )
    assert response.status_code == 422
    assert "höchstens 3" in parse(response.text).by_id["ziele-fehler"]["text"]


def test_anonymous_type_test_saves_nothing_and_offers_no_kommune(client, demo_region):
    page = client.get("/profil/typtest")
    assert 'name="kommune"' not in page.text
    assert "Anmelden, um das Ergebnis für Ihre Kommune zu speichern" in text(page.text)
    client.post("/profil/typtest", data={"ziel_1": "effizienz", "kommune": KREUZAU})
    assert profile_count() == 0


def test_member_saves_type_test_for_own_kommune_with_cold_start(client, demo_region, login):
    login(member_of(KREUZAU))
    form = client.get("/profil/typtest")
    assert selected(form.text, "kommune") == []  # never preselected: saving needs an explicit choice
    response = client.post(
        "/profil/typtest",
        data={
            "ziel_1": "buergernaehe",
            "ziel_2": "attraktivitaet",
            "ziel_3": "effizienz",
            "kommune": KREUZAU,
        },
    )
    assert response.status_code == 302
    assert f"ags={KREUZAU}" in response.headers["Location"]
    result = client.get(response.headers["Location"])
    assert "Profil von Kreuzau ausfüllen" in text(result.text)
    profile = get_profile(get_by_ags(KREUZAU).id)
    assert profile.typ == "serviceorientierte"
    assert profile.estimated is True
    assert profile.staerken
    kommune_page = text(client.get(f"/kommunen/{KREUZAU}").text)
    assert "geschätzt (aus dem Typtest)" in kommune_page
    assert "Die Serviceorientierten" in kommune_page


def test_type_test_for_another_kommune_is_forbidden(client, demo_region, login):
    login(member_of(KREUZAU))
    response = client.post("/profil/typtest", data={"ziel_1": "effizienz", "kommune": ALDENHOVEN})
    assert response.status_code == 403
    assert profile_count() == 0


# --------------------------------------------------------------------------- editor: permissions


def test_editor_is_forbidden_for_anonymous_and_members_of_other_kommunen(client, demo_region, login):
    assert client.get(f"/profil/{KREUZAU}/bearbeiten").status_code == 403
    assert client.post(f"/profil/{KREUZAU}/bearbeiten", data=editor_data()).status_code == 403
    login(member_of(ALDENHOVEN))
    assert client.get(f"/profil/{KREUZAU}/bearbeiten").status_code == 403
    response = client.post(
        f"/profil/{KREUZAU}/bearbeiten", data=editor_data(**{strength_field_name("fim"): "3"})
    )
    assert response.status_code == 403
    assert profile_count() == 0
    assert client.get("/profil/09999999/bearbeiten").status_code == 404


def test_pending_membership_does_not_open_the_editor(client, demo_region, login):
    login(member_of(KREUZAU, status="beantragt"))
    assert client.get(f"/profil/{KREUZAU}/bearbeiten").status_code == 403


def test_kreis_coordinator_may_edit_a_gemeinde_of_the_kreis(client, demo_region, login):
    login(member_of(KREIS_DUEREN, role="koordination"))
    assert client.get(f"/profil/{KREUZAU}/bearbeiten").status_code == 200
    response = client.post(
        f"/profil/{KREUZAU}/bearbeiten", data=editor_data(**{strength_field_name("fim"): "2"})
    )
    assert response.status_code == 302
    assert get_profile(get_by_ags(KREUZAU).id).staerken == {"fim": 2}


# --------------------------------------------------------------------------- editor: saving


def test_editor_saves_and_round_trips(client, demo_region, login):
    user = login(member_of(KREUZAU))
    page = client.get(f"/profil/{KREUZAU}/bearbeiten")
    assert page.status_code == 200
    assert selected(page.text, "reichweite_km") == []  # a text field, pre-filled below
    assert 'value="50"' in page.text
    data = editor_data(
        **{
            strength_field_name("e-akte"): "3",
            strength_field_name("it-sicherheit"): "1",
            need_field_name("digitallotsen"): "3",
            need_field_name("e-akte"): "1",
            "handlungsfelder": ["verwaltungshandeln", "sicherheit"],
            "offen_fuer": ["lernpartnerschaft", "nachnutzung"],
            "reichweite_km": "40",
            "projekte-0-thema": "hundesteuer-digital",
            "projekte-0-titel": "Hundesteuer online",
            "projekte-0-status": "laufend",
            "projekte-0-link": "https://example.org/hund",
            "projekte-1-thema": "",
            "projekte-1-titel": "",
            "projekte-1-status": "geplant",
        }
    )
    response = client.post(f"/profil/{KREUZAU}/bearbeiten", data=data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/kommunen/{KREUZAU}")
    db.session.expire_all()
    profile = get_profile(get_by_ags(KREUZAU).id)
    assert profile.updated_by_id == user.id
    assert profile.estimated is False
    assert profile_to_data(profile) == ProfileData(
        ags=KREUZAU,
        handlungsfelder=("verwaltungshandeln", "sicherheit"),
        staerken={"e-akte": 3, "it-sicherheit": 1},
        bedarfe={"digitallotsen": 3, "e-akte": 1},
        projekte=(
            ProjectEntry("hundesteuer-digital", "laufend", "Hundesteuer online", "https://example.org/hund"),
        ),
        offen_fuer=("lernpartnerschaft", "nachnutzung"),
        reichweite_km=40,
    )
    again = client.get(f"/profil/{KREUZAU}/bearbeiten").text
    assert selected(again, strength_field_name("e-akte")) == ["3"]
    assert selected(again, need_field_name("digitallotsen")) == ["3"]
    assert selected(again, strength_field_name("fim")) == ["0"]
    assert selected(again, "projekte-0-thema") == ["hundesteuer-digital"]
    assert selected(again, "projekte-0-status") == ["laufend"]
    # Two blank rows below the saved project: "add more by saving".
    assert selected(again, "projekte-2-thema") == [""]
    assert "projekte-3-thema" not in parse(again).by_id
    kommune_page = text(client.get(f"/kommunen/{KREUZAU}").text)
    assert "DMS/E-Akte Stufe 3 – Expertise niedrig" in kommune_page
    assert "Hundesteuer online (Hundesteuer digital; Status: laufend)" in kommune_page
    assert "Profil bearbeiten" in kommune_page


def test_save_and_continue_returns_to_the_editor_and_projects_can_be_removed(client, demo_region, login):
    login(member_of(KREUZAU))
    first = editor_data(
        **{"projekte-0-thema": "kita-anmeldung", "projekte-0-status": "geplant", "weiter": "1"}
    )
    response = client.post(f"/profil/{KREUZAU}/bearbeiten", data=first)
    assert response.headers["Location"].endswith(f"/profil/{KREUZAU}/bearbeiten#projekte")
    assert [p.titel for p in get_profile(get_by_ags(KREUZAU).id).projects] == ["Kita-Anmeldung online"]
    second = editor_data(
        **{"projekte-0-thema": "kita-anmeldung", "projekte-0-status": "geplant", "projekte-0-entfernen": "y"}
    )
    client.post(f"/profil/{KREUZAU}/bearbeiten", data=second)
    db.session.expire_all()
    assert get_profile(get_by_ags(KREUZAU).id).projects == []


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {strength_field_name("e-akte"): "4"},
            strength_field_name("e-akte"),
            "Stufe 4 liegt nicht zwischen 1 und 3",
        ),
        ({need_field_name("fim"): "viel"}, need_field_name("fim"), "keine ganze Zahl"),
        ({"reichweite_km": "weit"}, "reichweite_km", "keine Zahl"),
        ({"reichweite_km": "5000"}, "reichweite_km", "erlaubt sind 1 bis 1000 km"),
        ({"handlungsfelder": ["raumfahrt"]}, "handlungsfelder", "Unbekanntes Handlungsfeld"),
        (
            {"projekte-0-titel": "Ohne Thema", "projekte-0-status": "laufend"},
            "projekte-0-thema",
            "Bitte ein Thema",
        ),
        (
            {"projekte-0-thema": "e-akte", "projekte-0-status": "irgendwann"},
            "projekte-0-status",
            "Status 'irgendwann' ist ungültig",
        ),
        (
            {
                "projekte-0-thema": "e-akte",
                "projekte-0-status": "laufend",
                "projekte-0-link": "javascript:alert(1)",
            },
            "projekte-0-link",
            "keine gültige http(s)-Adresse",
        ),
    ],
    ids=[
        "stufe-4",
        "bedarf-text",
        "reichweite-text",
        "reichweite-gross",
        "feld",
        "projekt-ohne-thema",
        "status",
        "link",
    ],
)
def test_editor_errors_are_shown_next_to_the_field_and_nothing_is_saved(
    client, demo_region, login, overrides, field, message
):
    login(member_of(KREUZAU))
    response = client.post(
        f"/profil/{KREUZAU}/bearbeiten", data=editor_data(**{strength_field_name("fim"): "2", **overrides})
    )
    assert response.status_code == 422
    error = field_error(response.text, field)
    assert error is not None and message in error
    summary = parse(response.text).by_id["fehler-liste"]
    assert summary["attrs"]["role"] == "alert"
    assert profile_count() == 0
    # The rest of the input is kept for the next attempt.
    assert selected(response.text, strength_field_name("fim")) == ["2"]


def test_several_errors_are_all_shown(client, demo_region, login):
    login(member_of(KREUZAU))
    response = client.post(
        f"/profil/{KREUZAU}/bearbeiten",
        data=editor_data(**{strength_field_name("e-akte"): "7", "reichweite_km": "0"}),
    )
    assert field_error(response.text, strength_field_name("e-akte"))
    assert field_error(response.text, "reichweite_km")
    assert "Bitte prüfen Sie 2 Angaben" in text(response.text)


def test_estimated_badge_disappears_after_saving(client, demo_region, login):
    login(member_of(KREUZAU))
    client.post(
        "/profil/typtest", data={"ziel_1": "effizienz", "ziel_2": "leistungsangebot", "kommune": KREUZAU}
    )
    estimate = get_profile(get_by_ags(KREUZAU).id)
    assert estimate.estimated
    strengths = dict(estimate.staerken)
    editor = client.get(f"/profil/{KREUZAU}/bearbeiten").text
    assert "geschätzt" in text(editor)
    slug, level = next(iter(strengths.items()))
    assert selected(editor, strength_field_name(slug)) == [str(level)]
    assert "geschätzt (aus dem Typtest)" in text(client.get(f"/kommunen/{KREUZAU}").text)
    # Confirm the estimate unchanged: the officer's own answer from now on.
    confirmed = editor_data(**{strength_field_name(s): str(v) for s, v in strengths.items()})
    assert client.post(f"/profil/{KREUZAU}/bearbeiten", data=confirmed).status_code == 302
    db.session.expire_all()
    profile = get_profile(get_by_ags(KREUZAU).id)
    assert profile.estimated is False
    assert profile.staerken == strengths
    assert profile.typ == "optimierer"  # the type test stays
    assert "geschätzt" not in text(client.get(f"/kommunen/{KREUZAU}").text)
    assert "geschätzt" not in text(client.get(f"/profil/{KREUZAU}/bearbeiten").text)


# --------------------------------------------------------------------------- Kommune page


def test_kommune_without_profile_points_to_the_type_test(client, demo_region):
    page = client.get(f"/kommunen/{KREUZAU}").text
    assert "Noch kein Profil" in text(page)
    assert f"/profil/typtest?ags={KREUZAU}" in page
    assert "Profil bearbeiten" not in text(page)


def test_demo_profile_is_marked_on_the_kommune_page(client, demo_region):
    save_profile(
        get_by_ags(ALDENHOVEN), ProfileData(ags=ALDENHOVEN, staerken={"digitallotsen": 3}), is_demo=True
    )
    db.session.commit()
    page = text(client.get(f"/kommunen/{ALDENHOVEN}").text)
    assert "Demodaten" in page
    assert "Digitallotsen Stufe 3 – Expertise" in page


def test_member_sees_edit_link_only_for_own_kommune(client, demo_region, login):
    login(member_of(KREUZAU))
    assert f"/profil/{KREUZAU}/bearbeiten" in client.get(f"/kommunen/{KREUZAU}").text
    assert f"/profil/{ALDENHOVEN}/bearbeiten" not in client.get(f"/kommunen/{ALDENHOVEN}").text


# --------------------------------------------------------------------------- upload and export


def csv_file(rows: list[str], name: str = "mitglieder.csv"):
    content = ("ags;ziel_1;staerke:digitallotsen;bedarf:e-akte\n" + "\n".join(rows) + "\n").encode("utf-8")
    return (io.BytesIO(content), name)


def test_upload_page_is_for_coordinators_and_admins_only(client, demo_region, login):
    assert client.get("/profil/import").status_code == 302  # to the login
    login(member_of(KREUZAU))
    assert client.get("/profil/import").status_code == 403
    assert client.get("/profil/export.csv").status_code == 403


def test_coordinator_imports_the_kreis_members_from_a_spreadsheet(client, demo_region, login):
    login(member_of(KREIS_DUEREN, role="koordination"))
    assert client.get("/profil/import").status_code == 200
    upload = csv_file([f"{KREUZAU};effizienz;;3", f"{ALDENHOVEN};buergernaehe;3;"])
    response = client.post("/profil/import", data={"datei": upload}, content_type="multipart/form-data")
    assert response.status_code == 303
    result = text(client.get(response.headers["Location"]).text)
    assert "Import abgeschlossen: 2 neu, 0 geändert, 0 unverändert." in result
    assert "Neu angelegt (2)" in result and "Aldenhoven" in result
    assert get_profile(get_by_ags(ALDENHOVEN).id).staerken == {"digitallotsen": 3}
    assert get_profile(get_by_ags(KREUZAU).id).bedarfe == {"e-akte": 3}


def test_upload_with_a_kommune_outside_the_coordination_is_refused_naming_the_row(client, demo_region, login):
    login(member_of(KREIS_DUEREN, role="koordination"))
    aachen = "05334002"  # Städteregion Aachen: not coordinated by the Kreis Düren
    assert get_by_ags(aachen) is not None
    upload = csv_file([f"{KREUZAU};effizienz;;3", f"{aachen};buergernaehe;3;"])
    response = client.post("/profil/import", data={"datei": upload}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Nichts wurde importiert" in field_error(response.text, "datei")
    errors = text(response.text)
    assert "mitglieder.csv: 1 Fehler, nichts wurde importiert" in errors
    assert "Zeile 3, Feld 'ags': Sie dürfen das Profil von" in errors and "nicht bearbeiten" in errors
    assert profile_count() == 0


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        ((io.BytesIO(b"ags\n05358028\n"), "profile.txt"), "Dateityp .txt ist nicht erlaubt"),
        ((io.BytesIO(b"ags;ziel_1\n05358028;effizienz\n"), "tarnung.xlsx"), "keine Excel-Arbeitsmappe"),
        ((io.BytesIO(b"PK\x03\x04" + b"\x00" * 64), "kaputt.csv"), "keine Textdatei"),
        ((io.BytesIO(b"PK\x03\x04kaputt"), "kaputt.xlsx"), "beschädigt"),
        ((io.BytesIO(b""), "leer.csv"), "leer"),
    ],
    ids=["endung", "xlsx-ist-text", "csv-ist-binaer", "xlsx-kaputt", "leer"],
)
def test_upload_type_and_content_are_checked(client, demo_region, login, upload, message):
    admin = UserFactory(is_admin=True)
    db.session.commit()
    login(admin)
    response = client.post("/profil/import", data={"datei": upload}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in field_error(response.text, "datei")
    assert profile_count() == 0


def test_upload_size_is_limited(client, app, demo_region, login):
    app.config["PROFILE_UPLOAD_MAX_BYTES"] = 100
    admin = UserFactory(is_admin=True)
    db.session.commit()
    login(admin)
    upload = csv_file([f"{KREUZAU};effizienz;;3"] * 10)
    response = client.post("/profil/import", data={"datei": upload}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "größer als" in field_error(response.text, "datei")


def test_template_download_is_the_excel_template(client, app):
    response = client.get("/profil/vorlage.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook["Profile"]["A1"].value == "AGS"
    assert workbook["Profile"]["A2"].value == "ags"


def test_export_holds_only_the_profiles_the_coordinator_may_edit(client, demo_region, login):
    aachen = "05334002"
    for ags in (KREUZAU, aachen):
        save_profile(get_by_ags(ags), ProfileData(ags=ags, staerken={"fim": 1}))
    db.session.commit()
    login(member_of(KREIS_DUEREN, role="koordination"))
    exported = client.get("/profil/export.csv")
    assert exported.status_code == 200
    body = exported.data.decode("utf-8-sig")
    assert KREUZAU in body
    assert aachen not in body
    xlsx = client.get("/profil/export.xlsx")
    rows = list(load_workbook(io.BytesIO(xlsx.data))["Profile"].iter_rows(values_only=True))
    assert [r[0] for r in rows[3:]] == [KREUZAU]
    assert client.get("/profil/export.pdf").status_code == 404
