"""Form integers and text on every entrance (issue 16, findings 1, 7, 8, 9, 13 and the latent one):
only ASCII digits within a range become numbers, the number in a field name never decides how much
work a request causes, control characters are refused with a German page, a profile editor holds at
most its projects, and exports never write a live spreadsheet formula."""

from __future__ import annotations

import io
import tracemalloc

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from matching.profiles import MAX_PROJECTS
from matching.vocabulary import TOPIC_SLUGS
from plattform.extensions import db
from plattform.kommunen.services import get_by_ags
from plattform.profile.forms import TypeTestForm, need_field_name, strength_field_name
from plattform.profile.models import Profile
from tests.factories import MembershipFactory
from tests.plattform.profile.html import field_error, parse

KREUZAU = "05358028"


# --------------------------------------------------------------------------- the parser


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3", 3),
        (" 12 ", 12),
        ("0", 0),
        ("²", None),  # isdigit() says yes, int() raises
        ("١٢", None),  # Arabic-Indic digits: int() would accept them
        ("３", None),  # full-width three
        ("-1", None),
        ("+1", None),
        ("1.0", None),
        ("", None),
        ("101", None),  # beyond the range
        pytest.param("9" * 5000, None, id="5000-digits"),  # int() of this is work the sender chooses
        (None, None),
    ],
)
def test_form_integers_are_ascii_digits_within_the_range(raw, expected):
    from plattform.core.forms import parse_form_int

    assert parse_form_int(raw, minimum=0, maximum=100) == expected


# --------------------------------------------------------------------------- finding 1: ziel_<N>


def test_a_huge_goal_number_does_not_build_a_huge_list(app):
    """One ~100-byte request with ziel_100000000 held a worker for 29 s and about 1 GB."""
    form = TypeTestForm()
    tracemalloc.start()
    try:
        ranking = form.ranking({"ziel_1": "effizienz", "ziel_100000000": "innovation"})
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert ranking == ["effizienz", "", "innovation"]  # a gap, as before, but not 10^8 of them
    assert peak < 1_000_000  # a list of 10^8 entries needs 800 MB


def test_type_test_with_a_huge_goal_number_is_refused_in_german(client, app):
    response = client.post("/profil/typtest", data={"ziel_1": "effizienz", "ziel_100000000": "innovation"})
    assert response.status_code == 422
    assert "zuerst dieses Ziel" in field_error(response.text, "ziel_2")


@pytest.mark.parametrize("key", ["ziel_²", "ziel_١", "ziel_-1", "ziel_0", "ziel_"])
def test_type_test_ignores_goal_fields_that_are_no_ascii_number(client, app, key):
    response = client.post("/profil/typtest", data={"ziel_1": "effizienz", key: "innovation"})
    assert response.status_code == 302  # "ziel_²" answered 500 before
    assert "ziel=effizienz" in response.headers["Location"]


# --------------------------------------------------------------------------- finding 8: editor levels


def _member(app):
    membership = MembershipFactory(kommune=get_by_ags(KREUZAU))
    db.session.commit()
    return membership.user


def _editor_data(**overrides) -> dict:
    data: dict = {}
    for slug in TOPIC_SLUGS:
        data[strength_field_name(slug)] = "0"
        data[need_field_name(slug)] = "0"
    data.update({"offen_fuer": ["lernpartnerschaft"], "reichweite_km": "50"})
    data.update(overrides)
    return data


@pytest.mark.parametrize("level", ["²", "٣", "３"])
def test_editor_level_in_unicode_digits_is_an_error_next_to_the_field(client, demo_region, login, level):
    login(_member(demo_region))
    name = strength_field_name("fim")
    response = client.post(f"/profil/{KREUZAU}/bearbeiten", data=_editor_data(**{name: level}))
    assert response.status_code == 422
    assert "keine ganze Zahl" in field_error(response.text, name)
    assert db.session.scalar(sa.select(sa.func.count(Profile.id))) == 0


# --------------------------------------------------------------------------- finding 9: project rows


def _project_rows(count: int, start: int = 0) -> dict:
    rows = {}
    for i in range(start, start + count):
        rows[f"projekte-{i}-thema"] = "fim"
        rows[f"projekte-{i}-status"] = "laufend"
        rows[f"projekte-{i}-titel"] = f"Projekt {i}"
    return rows


def test_editor_with_more_projects_than_a_profile_holds_says_so_and_saves_nothing(client, demo_region, login):
    login(_member(demo_region))
    data = _editor_data(**_project_rows(MAX_PROJECTS + 1))
    response = client.post(f"/profil/{KREUZAU}/bearbeiten", data=data)
    assert response.status_code == 422  # 500 before
    assert f"Höchstens {MAX_PROJECTS} Projekte" in parse(response.text).by_id["projekte-fehler"]["text"]
    assert db.session.scalar(sa.select(sa.func.count(Profile.id))) == 0


def test_editor_reads_a_bounded_number_of_rows_however_many_are_sent(client, demo_region, login):
    """20,000 rows took 23 s; the editor reads the rows a profile may hold and counts the rest."""
    login(_member(demo_region))
    data = _editor_data(**_project_rows(5000))
    response = client.post(f"/profil/{KREUZAU}/bearbeiten", data=data)
    assert response.status_code == 422
    page = parse(response.text)
    assert "weitere Zeilen wurden nicht gelesen" in page.by_id["projekte-fehler"]["text"]
    assert response.text.count('class="kern-fieldset km-project"') == MAX_PROJECTS + 2


@pytest.mark.parametrize("index", ["²", "١", "-1"])
def test_editor_project_row_index_in_other_digits_is_not_a_row(client, demo_region, login, index):
    login(_member(demo_region))
    data = _editor_data(**{f"projekte-{index}-thema": "fim", f"projekte-{index}-status": "laufend"})
    response = client.post(f"/profil/{KREUZAU}/bearbeiten", data=data)
    assert response.status_code == 302  # the row is not read; "projekte-²-thema" answered 500 before


# --------------------------------------------------------------------------- the text guard


def test_the_text_guard_knows_single_and_multi_line_text():
    from plattform.core.text import has_forbidden_characters, one_line

    assert has_forbidden_characters("a\x00b")
    assert has_forbidden_characters("Anna\nSchmidt", multiline=False)
    assert not has_forbidden_characters("Zeile 1\r\nZeile 2\tmit Tab")
    assert has_forbidden_characters("Zeile\x0b")
    assert not has_forbidden_characters("Grüße aus Düren – ½ Stunde")
    assert one_line("Anna\r\nBcc: x@example.org\t!") == "Anna Bcc: x@example.org !"


@pytest.mark.parametrize(
    "url", ["/kommunen/?q=%00", "/suche/?q=a%00b", "/kommunen/%00", "/profil/typtest/ergebnis?ziel=%00"]
)
def test_nul_in_an_anonymous_request_is_a_german_400(client, demo_region, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "Steuerzeichen" in response.text
    assert "Content-Security-Policy" in response.headers


def test_nul_in_a_form_is_refused_and_changes_nothing(client, demo_region, login):
    login(_member(demo_region))
    response = client.post(
        f"/profil/{KREUZAU}/bearbeiten",
        data=_editor_data(**{"projekte-0-thema": "fim", "projekte-0-titel": "Hunde\x00steuer"}),
    )
    # The editor refuses it field by field (the profile model's rule), the message beside the title.
    assert response.status_code == 422
    assert "Steuerzeichen" in response.text
    assert db.session.scalar(sa.select(sa.func.count(Profile.id))) == 0


def test_nul_in_a_form_without_its_own_text_rule_is_the_guards_400(client, app):
    response = client.post("/konto/registrieren", data={"name": "An\x00na", "email": "a@example.org"})
    assert response.status_code == 400
    assert "Steuerzeichen" in response.text


def test_line_breaks_in_a_message_pass_the_guard(client, app):
    # Multi-line text keeps its breaks: the guard refuses only what no person types.
    response = client.post("/konto/registrieren", data={"name": "A", "funktion": "Zeile 1\r\nZeile 2"})
    assert response.status_code == 422  # the form's own errors, not the guard's 400


# --------------------------------------------------------------------------- latent: spreadsheet formulas


def test_csv_cells_that_look_like_formulas_are_quoted():
    from plattform.core.text import csv_cell

    assert csv_cell('=HYPERLINK("http://evil")') == '\'=HYPERLINK("http://evil")'
    assert csv_cell("@SUM(A1)") == "'@SUM(A1)"
    assert csv_cell("Kreuzau") == "Kreuzau"
    assert csv_cell(-3) == -3  # numbers stay numbers


def test_network_exports_write_a_formula_like_name_as_text(app):
    from plattform.netzwerke.analysis import to_csv, to_xlsx

    rows = [{"name": "=1+1", "ags": "05358028"}]
    assert "'=1+1" in to_csv(rows, ("name", "ags")).decode("utf-8")
    workbook = load_workbook(io.BytesIO(to_xlsx([("Mitglieder", ("name", "ags"), rows)])))
    cell = workbook["Mitglieder"]["A2"]
    assert cell.value == "=1+1"
    assert cell.data_type == "s"  # a string, not a formula


@pytest.mark.parametrize("raw", ["²", "١"])
def test_creating_a_project_from_a_proposal_with_a_unicode_digit_is_a_400(client, app, login, raw):
    from plattform.projekte.models import ProjectProposal, SharedProject
    from plattform.projekte.proposals import recompute
    from tests.plattform.projekte.scenarios import ring_scenario

    _, ring, _experienced, _ = ring_scenario()
    recompute()
    officer = MembershipFactory(kommune=ring[0]).user
    db.session.commit()
    login(officer)
    proposal = db.session.query(ProjectProposal).one()
    response = client.post(
        f"/projekte/vorschlaege/{proposal.id}/anlegen", data={f"v{proposal.id}-kommune_id": raw}
    )
    assert response.status_code == 400  # 500 before
    assert "Bitte laden Sie die vorige Seite neu" in response.text
    assert db.session.query(SharedProject).count() == 0
