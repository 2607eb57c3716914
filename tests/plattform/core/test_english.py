"""English complete: a Kommune page asked for in English shows the vocabulary (topics, their groups,
Handlungsfelder, "Offen für", the type) in English, and German content in it carries lang="de"."""

from __future__ import annotations

import re

import pytest

from matching.profiles import ProfileData, ProjectEntry
from plattform.extensions import db
from plattform.kommunen.services import get_by_ags
from plattform.profile.services import save_profile

ALDENHOVEN = "05358004"


@pytest.fixture
def aldenhoven(app, demo_region):
    save_profile(
        get_by_ags(ALDENHOVEN),
        ProfileData(
            ags=ALDENHOVEN,
            handlungsfelder=("verkehr-mobilitaet", "soziales"),
            staerken={"hundesteuer-digital": 3},
            bedarfe={"open-data": 2},
            projekte=(ProjectEntry("hundesteuer-digital", "laufend", "Hundesteuer ganz ohne Papier"),),
            offen_fuer=("gemeinsames-projekt", "nachnutzung"),
            reichweite_km=30,
        ),
    )
    db.session.commit()
    return ALDENHOVEN


def test_the_profile_block_shows_the_vocabulary_in_english(client, aldenhoven):
    page = client.get(f"/kommunen/{aldenhoven}?lang=en").text
    assert '<html lang="en">' in page
    for english in (
        "Transport and mobility",
        "Social affairs",
        "Joint project",
        "Reuse",
        "Dog tax online",
        "Open data",
        "Specialist procedures",
        "Data",
    ):
        assert english in page, english
    for german in (
        "Verkehr und Mobilität",
        "Soziales",
        "Gemeinsames Projekt",
        "Hundesteuer digital",
        "Fachverfahren",
    ):
        assert german not in page, german


def test_the_same_page_in_german_keeps_the_german_labels(client, aldenhoven):
    page = client.get(f"/kommunen/{aldenhoven}?lang=de").text
    for german in ("Verkehr und Mobilität", "Gemeinsames Projekt", "Hundesteuer digital", "Fachverfahren"):
        assert german in page, german


def test_the_language_cookie_is_enough(client, aldenhoven):
    client.get("/?lang=en")
    assert "Transport and mobility" in client.get(f"/kommunen/{aldenhoven}").text


def test_german_user_content_in_an_english_page_is_marked_lang_de(client, aldenhoven):
    page = client.get(f"/kommunen/{aldenhoven}?lang=en").text
    assert re.search(r'<span lang="de">Hundesteuer ganz ohne Papier</span>', page)


def test_the_type_card_names_types_goals_and_topics_in_english(client):
    page = client.get(
        "/profil/typtest/ergebnis?ziel=rechtliche-vorgaben&ziel=foerdermittel&ziel=effizienz&lang=en"
    ).text
    card = page.split('id="steckbrief"', 1)[1].split("</section>", 1)[0]
    assert "The Optimisers" in card or "The Deliberate" in card or "The Service-Oriented" in card
    for german in ("Die Bedächtigen", "Die Optimierer", "Die Serviceorientierten", "Die Community Manager"):
        assert german not in card, german
    assert "Rechtliche Vorgaben umsetzen" not in card and "Fördermittel erhalten" not in card
    # The study's German texts (motto, what a type can teach) and the source line are marked German.
    assert '<p class="kern-body km-motto" lang="de">' in card
    assert card.count('<ul class="kern-list" lang="de">') == 2
    assert '<span lang="de">KGSt/ÖFIT (2020): Digital vorangehen.' in page


def test_the_api_docs_page_has_english_summaries_and_marks_the_german_descriptions(client):
    page = client.get("/api/v1/docs?lang=en").text
    for english in (
        "Search municipalities",
        "Send a contact request",
        "Contact requests",
        "public (token optional)",
    ):
        assert english in page, english
    assert "– Kommunen suchen</h3>" not in page and "– Search municipalities</h3>" in page
    assert '<p class="kern-body" lang="de">' in page
    assert "– Kommunen suchen</h3>" in client.get("/api/v1/docs?lang=de").text
