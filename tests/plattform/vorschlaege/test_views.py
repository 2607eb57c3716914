"""The member dashboard: suggestions with explanation and score parts, filters, "nicht interessiert"."""

from __future__ import annotations

import pytest

from matching.profiles import ProfileData
from plattform.extensions import db
from plattform.kommunen.services import get_by_ags
from plattform.kontakte.services import answer_request, send_request
from plattform.profile.services import get_profile, save_profile
from plattform.vorschlaege.services import current_suggestions
from tests.plattform.kontakte.helpers import make_world, seed_suggestions

LANGERWEHE = "05358032"


@pytest.fixture
def world(demo_region):
    return make_world()


@pytest.fixture
def seeded(world):
    """Kreuzau's list: Aldenhoven (20 km, teaches Digitallotsen), Nideggen (8 km), Langerwehe (40 km)."""
    langerwehe = get_by_ags(LANGERWEHE)
    save_profile(world.b, ProfileData(ags=world.b.ags, staerken={"digitallotsen": 3}), notify=False)
    save_profile(world.c, ProfileData(ags=world.c.ags, staerken={"e-akte": 2}), notify=False)
    db.session.commit()
    seed_suggestions(
        world.a,
        [
            {
                "partner": world.b,
                "teaches_me": ["digitallotsen"],
                "learns_from_me": ["open-data"],
                "distance_km": 20.0,
            },
            {"partner": world.c, "teaches_me": ["e-akte"], "distance_km": 8.0},
            {"partner": langerwehe, "teaches_me": ["glasfaserausbau"], "distance_km": 40.0},
        ],
    )
    return world


def test_member_sees_suggestions_with_explanation_and_why_disclosure(client, login, seeded):
    login(seeded.officer_a)
    page = client.get("/vorschlaege/")
    assert page.status_code == 200
    text = page.text
    assert "Vorschläge für Kreuzau" in text
    # rendered from the stored facts: who learns what from whom ("von" names the teacher), the distance
    reason = (
        "Kreuzau kann von Aldenhoven im Thema „Digitallotsen“ lernen; im Gegenzug kann Aldenhoven von "
        "Kreuzau im Thema „Open Data“ lernen; 20 km entfernt."
    )
    assert f'<p class="kern-body km-reason">{reason}</p>' in text
    assert text.index("Aldenhoven") < text.index("Nideggen") < text.index("Langerwehe")  # by rank
    assert "<details" in text and "<summary" in text and "Alle Gründe" in text
    assert "Warum dieser Vorschlag?" not in text
    assert "„Digitallotsen“ (Aldenhoven: Expertise)" in text and "im selben Kreis" in text
    assert "Kreuzau lernt von Aldenhoven" in text and "Aldenhoven lernt von Kreuzau" in text
    assert f"/kontakte/anfrage/neu/{seeded.b.ags}?von={seeded.a.id}" in text
    assert "Kontakt anfragen" in text


def test_the_card_leads_with_the_partner_says_the_fit_in_words_and_reasons_once(client, login, seeded):
    login(seeded.officer_a)
    text = client.get("/vorschlaege/").text
    card = text[
        text.index('<li class="km-suggestion') : text.index("</li>", text.index('<li class="km-suggestion'))
    ]
    # the partner's name is the card's heading and links to its page; kind and Kreis beneath it
    heading = card.index('<h2 class="kern-heading-medium km-partner-name"')
    assert card.index(f'href="/kommunen/{seeded.b.ags}">Aldenhoven</a></h2>') > heading
    assert "Gemeinde · Kreis Düren" in card
    # both sides can teach the other something they entered: the strongest word, no bare number
    assert "Passt sehr gut" in card
    assert "Punktwert" not in card and "×" not in card
    # the reason is said once as a sentence (the details list the topics with their levels)
    assert card.count("Digitallotsen") == 2 and card.count("20 km entfernt") == 2
    # the action comes before the folded details
    assert card.index("Kontakt anfragen") < card.index("Alle Gründe")
    # Nideggen only teaches Kreuzau: a weaker word
    second = text[text.index('id="vorschlag-' + str(seeded.c.id)) :]
    assert second.index("Passt gut") < second.index("</li>")


def test_filters_by_distance_topic_and_type(client, login, seeded):
    login(seeded.officer_a)
    near = client.get("/vorschlaege/?max_km=10").text
    assert "Nideggen" in near and "Aldenhoven" not in near and "Langerwehe" not in near
    topic = client.get("/vorschlaege/?thema=digitallotsen").text
    assert "Aldenhoven" in topic and "Nideggen" not in topic
    save_profile(
        seeded.c,
        ProfileData(ags=seeded.c.ags, ziele=("buergernaehe", "zivilgesellschaft", "attraktivitaet")),
        notify=False,
    )
    db.session.commit()
    slug = get_profile(seeded.c.id).typ
    assert slug
    by_type = client.get(f"/vorschlaege/?typ={slug}").text
    assert "Nideggen" in by_type and "Aldenhoven" not in by_type and "Langerwehe" not in by_type


def test_invalid_distance_shows_an_error_instead_of_filtering(client, login, seeded):
    login(seeded.officer_a)
    response = client.get("/vorschlaege/?max_km=abc")
    assert response.status_code == 422 and 'role="alert"' in response.text


def test_not_interested_hides_the_suggestion_and_tells_the_engine(client, login, seeded):
    login(seeded.officer_a)
    response = client.post(f"/vorschlaege/{seeded.a.id}/nicht-interessiert/{seeded.c.id}")
    assert response.status_code == 302
    text = client.get("/vorschlaege/").text
    assert "Nideggen wird Ihnen nicht mehr vorgeschlagen." in text
    assert f'href="/kommunen/{seeded.c.ags}"' not in text
    assert [s.partner_id for s in current_suggestions(seeded.a.id)] == [
        seeded.b.id,
        get_by_ags(LANGERWEHE).id,
    ]


def test_not_interested_for_a_foreign_kommune_is_forbidden(client, login, seeded):
    login(seeded.officer_c)
    assert client.post(f"/vorschlaege/{seeded.a.id}/nicht-interessiert/{seeded.b.id}").status_code == 403
    assert len(current_suggestions(seeded.a.id)) == 3


def test_declined_and_partnered_pairs_disappear_from_the_list(client, login, seeded):
    answer_request(send_request(seeded.officer_a, seeded.a.id, seeded.b.id, "Hallo"), seeded.officer_b, False)
    answer_request(send_request(seeded.officer_c, seeded.c.id, seeded.a.id, "Hallo"), seeded.officer_a, True)
    db.session.commit()
    assert [s.partner.ags for s in current_suggestions(seeded.a.id)] == [LANGERWEHE]
    login(seeded.officer_a)
    text = client.get("/vorschlaege/").text
    assert "Langerwehe" in text and "Aldenhoven hat Erfahrung" not in text


def test_non_members_get_403_and_anonymous_is_sent_to_login(client, login, seeded):
    assert client.get("/vorschlaege/").status_code == 302
    login(seeded.nobody)
    assert client.get("/vorschlaege/").status_code == 403


def test_member_of_c_cannot_open_a_s_dashboard_by_id(client, login, seeded):
    login(seeded.officer_c)
    assert client.get(f"/vorschlaege/?kommune={seeded.a.id}").status_code == 403
    own = client.get("/vorschlaege/").text
    assert "Aldenhoven hat Erfahrung" not in own


def test_empty_state_explains_what_to_do(client, login, world):
    login(world.officer_b)
    text = client.get("/vorschlaege/").text
    assert "Noch keine Vorschläge" in text
    assert "jede Nacht" in text and "Profil" in text


def test_selector_for_an_officer_of_several_kommunen(client, login, seeded):
    from tests.factories import MembershipFactory

    MembershipFactory(user=seeded.officer_a, kommune=seeded.b)
    db.session.commit()
    login(seeded.officer_a)
    text = client.get("/vorschlaege/").text
    assert '<select class="kern-form-input__select" id="kommune" name="kommune">' in text
    assert "Vorschläge für Aldenhoven" in client.get(f"/vorschlaege/?kommune={seeded.b.id}").text


def test_nav_entry_only_with_approved_membership(client, login, world):
    assert 'href="/vorschlaege/"' not in client.get("/").text
    login(world.pending_b)
    assert 'href="/vorschlaege/"' not in client.get("/").text
    client.post("/konto/abmelden")
    login(world.officer_a)
    assert 'href="/vorschlaege/"' in client.get("/").text


def test_contacted_partners_are_not_suggested_but_listed_as_in_talks(client, login, seeded):
    sent = send_request(seeded.officer_a, seeded.a.id, seeded.b.id, "Hallo")  # Kreuzau asked Aldenhoven
    received = send_request(seeded.officer_c, seeded.c.id, seeded.a.id, "Hallo")  # Nideggen asked Kreuzau
    db.session.commit()
    assert [s.partner.ags for s in current_suggestions(seeded.a.id)] == [LANGERWEHE]
    login(seeded.officer_a)
    text = client.get("/vorschlaege/").text
    assert f"/kontakte/anfrage/neu/{seeded.b.ags}" not in text
    assert f"/kontakte/anfrage/neu/{seeded.c.ags}" not in text
    assert f'id="vorschlag-{seeded.b.id}"' not in text and f'id="vorschlag-{seeded.c.id}"' not in text
    talks = text[text.index('id="im-gespraech"') :]
    assert "Aldenhoven</a> – Ihre Anfrage ist offen" in talks
    assert f'href="/kontakte/anfrage/{sent.id}">Anfrage ansehen' in talks
    assert "Nideggen</a> – hat Sie angefragt" in talks
    assert f'href="/kontakte/anfrage/{received.id}">Anfrage beantworten' in talks
    # an accepted request stays "im Gespräch"; a withdrawn one frees the pair again
    answer_request(received, seeded.officer_a, True)
    from plattform.kontakte.services import withdraw_request

    withdraw_request(sent, seeded.officer_a)
    db.session.commit()
    text = client.get("/vorschlaege/").text
    assert f'id="vorschlag-{seeded.b.id}"' in text
    assert "Nideggen</a> – Lernpartner" in text


def test_the_kommune_page_says_why_it_is_suggested_in_the_readers_language(client, login, seeded):
    login(seeded.officer_a)
    page = client.get(f"/kommunen/{seeded.b.ags}")
    assert page.status_code == 200
    assert "Warum Aldenhoven vorgeschlagen wird" in page.text
    assert "Für Kreuzau (Platz 1):" in page.text
    assert "Kreuzau kann von Aldenhoven im Thema „Digitallotsen“ lernen" in page.text
    english = client.get(f"/kommunen/{seeded.b.ags}?lang=en").text
    assert "Kreuzau can learn from Aldenhoven about the topic “Digital guides”" in english
    assert "lernen" not in english
    client.get("/?lang=de")


def test_the_kommune_page_shows_no_reasons_to_others(client, login, seeded):
    login(seeded.officer_c)  # Nideggen's list holds nothing
    assert "vorgeschlagen wird" not in client.get(f"/kommunen/{seeded.b.ags}").text
    assert "vorgeschlagen wird" not in client.get(f"/kommunen/{seeded.b.ags}").text


def test_the_english_dashboard_shows_no_german_explanation(client, login, seeded):
    login(seeded.officer_a)
    page = client.get("/vorschlaege/?lang=en").text
    assert (
        "Kreuzau can learn from Aldenhoven about the topic “Digital guides”; in return Aldenhoven can learn"
        in page
    )
    for german in ("lernen", "entfernt", "im selben Kreis", "Expertise (", "Alle Gründe", "Passt"):
        assert german not in page, german


def test_not_interested_can_be_undone_from_the_dashboard(client, login, seeded):
    login(seeded.officer_a)
    client.post(f"/vorschlaege/{seeded.a.id}/nicht-interessiert/{seeded.c.id}")
    page = client.get("/vorschlaege/").text
    assert "1 ausgeblendeter Vorschlag" in page
    assert f"/vorschlaege/{seeded.a.id}/wieder-anzeigen/{seeded.c.id}" in page
    assert seeded.c.id not in [s.partner_id for s in current_suggestions(seeded.a.id)]
    response = client.post(f"/vorschlaege/{seeded.a.id}/wieder-anzeigen/{seeded.c.id}")
    assert response.status_code == 302
    assert seeded.c.id in [s.partner_id for s in current_suggestions(seeded.a.id)]  # back at once
    assert "ausgeblendet" not in client.get("/vorschlaege/").text
    # nothing left to undo, and nobody else may undo it
    assert client.post(f"/vorschlaege/{seeded.a.id}/wieder-anzeigen/{seeded.c.id}").status_code == 404
    assert client.post(f"/vorschlaege/{seeded.b.id}/wieder-anzeigen/{seeded.c.id}").status_code == 403
