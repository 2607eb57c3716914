"""The profile editor as a form an officer fills in (issue 14): one row per topic in a table per topic
group, groups with values folded open, the Kommune's voice, levels as words, a summary of what is filled."""

from __future__ import annotations

import re

from plattform.extensions import db
from plattform.kommunen.services import get_by_ags
from plattform.profile.forms import need_field_name, strength_field_name
from tests.factories import MembershipFactory
from tests.plattform.profile.html import field_error, text
from tests.plattform.profile.test_views import editor_data

KREUZAU = "05358028"
KREIS_DUEREN = "05358"


def _editor(client, login, ags: str = KREUZAU, role: str = "mitglied"):
    membership = MembershipFactory(kommune=get_by_ags(ags), role=role)
    db.session.commit()
    login(membership.user)
    return client


def _groups(html: str) -> list[tuple[bool, str]]:
    """(open, summary text) of each topic group."""
    return [
        (" open" in attrs, text(summary))
        for attrs, summary in re.findall(
            r'<details class="km-topic-group"([^>]*)>\s*<summary[^>]*>(.*?)</summary>', html, re.S
        )
    ]


def test_each_topic_is_one_table_row_with_two_selects_whose_options_are_words(client, demo_region, login):
    html = _editor(client, login).get(f"/profil/{KREUZAU}/bearbeiten").text
    assert html.count('<table class="kern-table km-topic-table">') == 7  # one per topic group
    row = re.search(r'<tr class="kern-table__row km-topic-row">(.*?)</tr>', html, re.S).group(1)
    assert '<th scope="row"' in row and row.count("<select") == 2
    assert "OZG und EfA-Nachnutzung" in row
    strength = re.search(r'<select[^>]*id="staerke_ozg-umsetzung".*?</select>', html, re.S).group(0)
    assert re.findall(r"<option[^>]*>([^<]*)</option>", strength) == [
        "keine",
        "Grundlagen",
        "Erfahrung",
        "Expertise",
    ]
    need = re.search(r'<select[^>]*id="bedarf_ozg-umsetzung".*?</select>', html, re.S).group(0)
    assert re.findall(r'value="(\d)"', need) == ["0", "1", "2", "3"]  # the stored values stay numbers
    assert re.findall(r"<option[^>]*>([^<]*)</option>", need) == ["kein Bedarf", "niedrig", "mittel", "hoch"]


def test_the_kommune_speaks_not_ich(client, demo_region, login):
    page = text(_editor(client, login).get(f"/profil/{KREUZAU}/bearbeiten").text)
    assert "Stärke: Kreuzau kann anderen zeigen" in page and "Bedarf: Kreuzau möchte lernen" in page
    assert "OZG und EfA-Nachnutzung: Kreuzau kann anderen zeigen" in page  # each select's own label
    assert "In welchen Handlungsfeldern treibt Kreuzau die Digitalisierung voran?" in page
    assert "Wofür ist Kreuzau offen?" in page
    assert " ich " not in f" {page} " and "kann ich" not in page


def test_a_kreis_speaks_with_its_kreis_word(client, demo_region, login):
    page = text(
        _editor(client, login, KREIS_DUEREN, "koordination").get(f"/profil/{KREIS_DUEREN}/bearbeiten").text
    )
    assert "Stärke: Kreis Düren kann anderen zeigen" in page


def test_groups_with_values_are_open_the_others_folded_and_the_summary_counts(client, demo_region, login):
    client = _editor(client, login)
    data = editor_data(
        **{
            strength_field_name("e-akte"): "3",
            strength_field_name("fim"): "1",
            need_field_name("digitallotsen"): "2",
            "handlungsfelder": ["verwaltungshandeln"],
            "projekte-0-thema": "e-akte",
            "projekte-0-status": "laufend",
        }
    )
    assert client.post(f"/profil/{KREUZAU}/bearbeiten", data=data).status_code == 302
    html = client.get(f"/profil/{KREUZAU}/bearbeiten").text
    assert "Ausgefüllt: 2 Stärken, 1 Bedarf, 1 Handlungsfeld, 1 Projekt" in text(html)
    groups = {summary.split(" (")[0]: (is_open, summary) for is_open, summary in _groups(html)}
    assert groups["E-Government"] == (True, "E-Government (2 Stärken, 0 Bedarfe)")
    assert groups["Mitarbeitende"] == (True, "Mitarbeitende (0 Stärken, 1 Bedarf)")
    assert groups["Daten"] == (False, "Daten (noch nichts eingetragen)")
    assert [is_open for is_open, _s in _groups(html)].count(True) == 2


def test_an_empty_profile_opens_the_first_group_only(client, demo_region, login):
    html = _editor(client, login).get(f"/profil/{KREUZAU}/bearbeiten").text
    assert [is_open for is_open, _s in _groups(html)] == [True] + [False] * 6
    assert "Ausgefüllt: 0 Stärken, 0 Bedarfe, 0 Handlungsfelder, 0 Projekte" in text(html)


def test_a_group_with_an_error_is_open_and_the_error_is_next_to_its_select(client, demo_region, login):
    client = _editor(client, login)
    response = client.post(
        f"/profil/{KREUZAU}/bearbeiten", data=editor_data(**{need_field_name("open-data"): "7"})
    )
    assert response.status_code == 422
    assert "liegt nicht zwischen 1 und 3" in field_error(response.text, need_field_name("open-data"))
    groups = {summary.split(" (")[0]: is_open for is_open, summary in _groups(response.text)}
    assert groups["Daten"] is True
