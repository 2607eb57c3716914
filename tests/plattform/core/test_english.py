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


def _options(page: str, name: str) -> list[str]:
    """The option texts of the select `name`."""
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)
    return [re.sub(r"\s+", " ", t).strip() for t in re.findall(r"<option[^>]*>(.*?)</option>", select, re.S)]


def test_the_type_test_offers_the_goals_in_english(client):
    english = _options(client.get("/profil/typtest?lang=en").text, "ziel_1")
    assert "Implement legal requirements" in english and "Promote innovation" in english
    assert "Rechtliche Vorgaben umsetzen" not in english
    german = _options(client.get("/profil/typtest?lang=de").text, "ziel_1")
    assert "Rechtliche Vorgaben umsetzen" in german and "Implement legal requirements" not in german


def test_the_type_test_result_names_type_goals_and_estimate_in_english(client):
    page = client.get(
        "/profil/typtest/ergebnis?ziel=rechtliche-vorgaben&ziel=foerdermittel&ziel=effizienz&lang=en"
    ).text
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1)
    assert heading == "The Deliberate"
    assert "1. Implement legal requirements; 2. Obtain funding" in page
    assert "Die Optimierer" not in page and "Rechtliche Vorgaben umsetzen" not in page
    # The estimate lists topics in English; the study's "found as" stays German, marked.
    assert "Digitalisation strategy" in page and "Digitalisierungsstrategie" not in page
    assert '<span lang="de">häufig kleinere Stadt, Gemeinde oder Kreis</span>' in page
    german = client.get(
        "/profil/typtest/ergebnis?ziel=rechtliche-vorgaben&ziel=foerdermittel&ziel=effizienz&lang=de"
    ).text
    assert '<h1 class="kern-heading-large">Die Bedächtigen</h1>' in german
    assert "Häufig anzutreffen als: häufig kleinere Stadt, Gemeinde oder Kreis." in german


def test_a_mixed_result_is_named_in_english(client):
    from matching.typology import classify
    from matching.vocabulary import GOALS

    ranking = next(
        [a, b, c]
        for a in GOALS
        for b in GOALS
        for c in GOALS
        if len({a, b, c}) == 3 and classify([a, b, c]).mixed
    )
    query = "&".join(f"ziel={g}" for g in ranking)

    def heading(lang: str) -> str:
        page = client.get(f"/profil/typtest/ergebnis?{query}&lang={lang}").text
        return re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1)

    english = heading("en")
    assert english.startswith("between The ") and " and The " in english
    assert heading("de") == classify(ranking).label_de


@pytest.fixture
def editor_page(client, login, aldenhoven):
    from tests.factories import MembershipFactory

    membership = MembershipFactory(kommune=get_by_ags(aldenhoven))
    db.session.commit()
    login(membership.user)
    return lambda lang: client.get(f"/profil/{aldenhoven}/bearbeiten?lang={lang}").text


def test_the_profile_editor_names_topics_groups_levels_and_choices_in_english(editor_page):
    page = editor_page("en")
    # Topic rows, their labels for screen readers, the groups (summary and caption), level words.
    assert '<th scope="row" class="kern-table__cell km-topic-row__name">Dog tax online' in page
    assert '<span class="kern-sr-only">Dog tax online: </span>' in page
    assert '<span class="kern-heading-small">Specialist procedures</span>' in page
    assert "Strengths and needs: Strategy and steering" in page
    assert _options(page, "staerke_open-data") == ["none", "Basics", "Experience", "Expertise"]
    assert _options(page, "bedarf_open-data") == ["no need", "low", "medium", "high"]
    # Checkboxes of Handlungsfelder and "Offen für", the project's topic select.
    assert ">Transport and mobility</label>" in page and ">Joint project</label>" in page
    assert "Dog tax online" in _options(page, "projekte-0-thema")
    for german in (
        "Hundesteuer digital",
        "Fachverfahren",
        "Strategie und Steuerung",
        "Verkehr und Mobilität",
        "Gemeinsames Projekt",
        "Digitalisierungsstrategie",
    ):
        assert german not in page, german


def test_the_profile_editor_in_german_keeps_its_labels(editor_page):
    page = editor_page("de")
    assert '<th scope="row" class="kern-table__cell km-topic-row__name">Hundesteuer digital' in page
    assert '<span class="kern-heading-small">Fachverfahren</span>' in page
    assert ">Verkehr und Mobilität</label>" in page and ">Gemeinsames Projekt</label>" in page
    assert _options(page, "bedarf_open-data") == ["kein Bedarf", "niedrig", "mittel", "hoch"]
    assert "Hundesteuer digital" in _options(page, "projekte-0-thema")


def test_the_suggestion_filters_are_english(client, login, aldenhoven, editor_page):
    editor_page("en")  # logs in a member of Aldenhoven
    page = client.get("/vorschlaege/?lang=en").text
    topics = _options(page, "thema")
    assert topics[0] == "All topics" and "Dog tax online" in topics and "Hundesteuer digital" not in topics
    assert '<optgroup label="Specialist procedures">' in page and 'optgroup label="Fachverfahren"' not in page
    assert _options(page, "typ") == [
        "All types",
        "The Deliberate",
        "The Optimisers",
        "The Service-Oriented",
        "The Community Managers",
    ]
    german = client.get("/vorschlaege/?lang=de").text
    assert "Die Bedächtigen" in _options(german, "typ") and '<optgroup label="Fachverfahren">' in german


def _profile_table(page: str) -> str:
    table = page.split('<section aria-labelledby="profil"', 1)[1].split("</table>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", table)).strip()


def test_the_kommune_page_shows_a_need_as_its_word_under_a_bedarf_header(client, aldenhoven):
    # Open data is a need of level 2: "mittel", not "Priorität 2 – mittel" (read as a high priority).
    german = _profile_table(client.get(f"/kommunen/{aldenhoven}?lang=de").text)
    assert "Bedarf: Aldenhoven möchte lernen" in german
    assert "Stärke: Aldenhoven kann anderen zeigen" in german
    assert "Open Data – mittel" in german and "Priorität" not in german
    english = _profile_table(client.get(f"/kommunen/{aldenhoven}?lang=en").text)
    assert "Need: Aldenhoven would like to learn" in english
    assert "Open data – medium" in english and "Priority" not in english


def test_the_api_docs_in_english_translate_the_standard_texts_and_mark_the_rest_german(client):
    page = client.get("/api/v1/docs?lang=en").text
    # The standard responses, parameter places and schema words are English.
    assert '<td class="kern-table__cell">Unexpected error</td>' in page
    assert '<td class="kern-table__cell">Who am I?</td>' in page
    assert '<td class="kern-table__cell">query</td>' in page
    assert '<td class="kern-table__cell">path</td>' in page
    assert "string (at most 100 characters)" in page and "string (pattern ^[0-9]{5}$)" in page
    for german in ("Unerwarteter Fehler", ">Abfrage<", ">Pfad<", "höchstens 100 Zeichen", "Muster ^"):
        assert german not in page, german
    # Parameter and field descriptions, schema descriptions and problem titles stay German, marked.
    assert '<td class="kern-table__cell"><span lang="de">Kreisschlüssel, 5 Ziffern</span></td>' in page
    assert '<td class="kern-table__cell">Kreisschlüssel, 5 Ziffern</td>' not in page
    assert '422 – <span lang="de">Ungültige Daten</span></dt>' in page
    assert '<p class="kern-body"><span lang="de">' in page


def test_the_api_docs_in_german_are_unmarked(client):
    page = client.get("/api/v1/docs?lang=de").text
    assert '<td class="kern-table__cell">Unerwarteter Fehler</td>' in page
    assert '<td class="kern-table__cell">Kreisschlüssel, 5 Ziffern</td>' in page
    assert "string (höchstens 100 Zeichen)" in page and '<td class="kern-table__cell">Abfrage</td>' in page
    assert "422 – Ungültige Daten</dt>" in page and '<span lang="de">' not in page


def test_the_replace_question_names_types_and_goals_in_english(client, login, demo_region):
    from plattform.profile.services import apply_type_test
    from tests.factories import MembershipFactory

    kreuzau = get_by_ags("05358028")
    membership = MembershipFactory(kommune=kreuzau)
    apply_type_test(kreuzau, ["effizienz", "leistungsangebot"])
    db.session.commit()
    login(membership.user)
    client.get("/?lang=en")
    goals = {"ziel_1": "buergernaehe", "ziel_2": "attraktivitaet", "ziel_3": "effizienz"}
    page = client.post("/profil/typtest", data={**goals, "kommune": kreuzau.ags}).text
    assert "1. Strengthen a citizen-oriented, open administration" in page
    assert "1. Make the administration more efficient and effective" in page
    assert "The Service-Oriented" in page or "between The" in page
    for german in ("Bürgernahe und offene Verwaltung stärken", "Die Optimierer", "Die Serviceorientierten"):
        assert german not in page, german
