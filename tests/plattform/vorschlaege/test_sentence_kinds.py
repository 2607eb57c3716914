"""Every kind of explanation sentence, rendered in German and English and compared with a reviewed
list (issue 14 item 6): who learns from whom is said with "von"/"from", topic names are quoted after
"im Thema"/"in den Themen" (no declension), levels and the fit are words, not numbers.

When a wording changes on purpose, review the new text and update REVIEWED.
"""

from __future__ import annotations

import pytest

from matching.facts import Facts, TopicFact
from plattform.vorschlaege.explain import details, fit, reason, sentence

ME, PARTNER = "Kreuzau", "Aldenhoven"

CASES = {
    "both ways, entered, context good": Facts(
        teaches_me=(TopicFact("digitallotsen", 3),),
        learns_from_me=(TopicFact("fim", 2), TopicFact("open-data", 1)),
        distance_km=20.4,
        size="similar",
        same_kreis=True,
        shared_networks=1,
        own_type="bedaechtige",
        partner_type="optimierer",
        parts={"comp": 0.6, "context": 1.1, "ignored": 1.0},
    ),
    "estimated both ways, far, ignored": Facts(
        teaches_me=(TopicFact("glasfaserausbau", 2, True),),
        learns_from_me=(TopicFact("chatbot", 3, True),),
        distance_km=80.0,
        distance_approx=True,
        size="larger",
        shared_networks=3,
        partner_estimated=True,
        parts={"comp": 0.2, "context": 0.3, "ignored": 0.7},
    ),
    "only I teach, next door, smaller": Facts(
        learns_from_me=(TopicFact("smart-city", 1),), distance_km=0.4, size="smaller"
    ),
    "nothing to learn, distance unknown, unknown token": Facts(unknown=("Q7",)),
}

REVIEWED = {
    "de": {
        "both ways, entered, context good": [
            "fit: Passt sehr gut",
            "reason: Kreuzau kann von Aldenhoven im Thema "
            "„Digitallotsen“ lernen; im Gegenzug kann Aldenhoven "
            "von Kreuzau in den Themen „Föderales "
            "Informationsmanagement (FIM)“ und „Open Data“ "
            "lernen; 20 km entfernt.",
            "sentence: Kreuzau kann von Aldenhoven im Thema "
            "„Digitallotsen“ lernen; im Gegenzug kann Aldenhoven "
            "von Kreuzau in den Themen „Föderales "
            "Informationsmanagement (FIM)“ und „Open Data“ "
            "lernen; 20 km entfernt; ähnlich groß; im selben "
            "Kreis; 1 gemeinsames Netzwerk; unterschiedliche "
            "Typen (Die Bedächtigen und Die Optimierer) ergänzen "
            "sich.",
            "Kreuzau lernt von Aldenhoven: „Digitallotsen“ (Aldenhoven: Expertise)",
            "Aldenhoven lernt von Kreuzau: „Föderales "
            "Informationsmanagement (FIM)“ (Kreuzau: Erfahrung) "
            "und „Open Data“ (Kreuzau: Grundlagen)",
            "Entfernung: 20 km entfernt",
            "Größe: ähnlich groß (Einwohner: 19.000 und 14.500)",
            "Umfeld: im selben Kreis; 1 gemeinsames Netzwerk; "
            "unterschiedliche Typen (Die Bedächtigen und Die "
            "Optimierer) ergänzen sich",
            "Passung: Passt sehr gut: beide können voneinander "
            "lernen, und die Lage passt. Nähe, Größe und "
            "gemeinsames Umfeld sprechen zusätzlich dafür.",
        ],
        "estimated both ways, far, ignored": [
            "fit: Passt gut",
            "reason: Aldenhoven ist laut Typtest vermutlich "
            "stark bei „Glasfaserausbau“, was Kreuzau lernen "
            "möchte; Kreuzau ist laut Typtest vermutlich stark "
            "bei „Chatbot“, was Aldenhoven lernen möchte; etwa "
            "80 km entfernt (Lage geschätzt).",
            "sentence: Aldenhoven ist laut Typtest vermutlich "
            "stark bei „Glasfaserausbau“, was Kreuzau lernen "
            "möchte; Kreuzau ist laut Typtest vermutlich stark "
            "bei „Chatbot“, was Aldenhoven lernen möchte; etwa "
            "80 km entfernt (Lage geschätzt); Aldenhoven hat "
            "mehr als doppelt so viele Einwohner; 3 gemeinsame "
            "Netzwerke.",
            "Kreuzau lernt von Aldenhoven: „Glasfaserausbau“ "
            "(Aldenhoven: vermutlich Erfahrung, laut Typtest "
            "geschätzt)",
            "Aldenhoven lernt von Kreuzau: „Chatbot“ (Kreuzau: vermutlich Expertise, laut Typtest geschätzt)",
            "Entfernung: etwa 80 km entfernt (Lage geschätzt)",
            "Größe: Aldenhoven hat mehr als doppelt so viele Einwohner (Einwohner: 19.000 und 14.500)",
            "Umfeld: 3 gemeinsame Netzwerke",
            "Hinweis: Das Profil von Aldenhoven ist nur aus dem Typtest geschätzt.",
            "Passung: Passt gut: mindestens eine Seite kann von "
            "der anderen lernen. Die Entfernung oder der "
            "Größenunterschied schwächen den Vorschlag ab "
            "(weiter, als Kreuzau und Aldenhoven gewöhnlich "
            "fahren, oder sehr verschieden groß). Schon mehrmals "
            "gezeigt, ohne dass jemand reagiert hat: steht "
            "deshalb weiter unten.",
        ],
        "only I teach, next door, smaller": [
            "fit: Passt gut",
            "reason: Aldenhoven kann von Kreuzau im Thema „Smart City“ lernen; direkt benachbart.",
            "sentence: Aldenhoven kann von Kreuzau im Thema "
            "„Smart City“ lernen; direkt benachbart; Aldenhoven "
            "hat weniger als halb so viele Einwohner.",
            "Kreuzau lernt von Aldenhoven: Aldenhoven ist in keinem Bedarf von Kreuzau stark.",
            "Aldenhoven lernt von Kreuzau: „Smart City“ (Kreuzau: Grundlagen)",
            "Entfernung: direkt benachbart",
            "Größe: Aldenhoven hat weniger als halb so viele Einwohner (Einwohner: 19.000 und 14.500)",
            "Passung: Passt gut: mindestens eine Seite kann von der anderen lernen.",
        ],
        "nothing to learn, distance unknown, unknown token": [
            "fit: Passt vielleicht",
            "reason: Noch keine zueinander "
            "passenden Stärken und Bedarfe; "
            "vorgeschlagen nach Lage und Umfeld; "
            "Entfernung unbekannt.",
            "sentence: Noch keine zueinander "
            "passenden Stärken und Bedarfe; "
            "vorgeschlagen nach Lage und Umfeld; "
            "Entfernung unbekannt; weitere "
            "Gründe, die diese Version nicht "
            "darstellen kann.",
            "Kreuzau lernt von Aldenhoven: Aldenhoven ist in keinem Bedarf von Kreuzau stark.",
            "Aldenhoven lernt von Kreuzau: Kreuzau ist in keinem Bedarf von Aldenhoven stark.",
            "Entfernung: Entfernung unbekannt",
            "Passung: Passt vielleicht: vorgeschlagen nach Lage und Umfeld, ohne passende Themen.",
            "Weitere Gründe: Diese Version kann nicht alle Gründe des Vorschlags darstellen.",
        ],
    },
    "en": {
        "both ways, entered, context good": [
            "fit: Very good fit",
            "reason: Kreuzau can learn from Aldenhoven about the "
            "topic “Digital guides”; in return Aldenhoven can "
            "learn from Kreuzau about the topics “Federal "
            "Information Management (FIM)” and “Open data”; 20 km "
            "away.",
            "sentence: Kreuzau can learn from Aldenhoven about "
            "the topic “Digital guides”; in return Aldenhoven can "
            "learn from Kreuzau about the topics “Federal "
            "Information Management (FIM)” and “Open data”; 20 km "
            "away; similar in size; in the same district; 1 "
            "shared network; different types (The Deliberate and "
            "The Optimisers) complement each other.",
            "Kreuzau learns from Aldenhoven: “Digital guides” (Aldenhoven: Expertise)",
            "Aldenhoven learns from Kreuzau: “Federal Information "
            "Management (FIM)” (Kreuzau: Experience) and “Open "
            "data” (Kreuzau: Basics)",
            "Distance: 20 km away",
            "Size: similar in size (inhabitants: 19,000 and 14,500)",
            "Context: in the same district; 1 shared network; "
            "different types (The Deliberate and The Optimisers) "
            "complement each other",
            "Fit: Very good fit: each can learn from the other, "
            "and the location suits both. Being close, of similar "
            "size and sharing surroundings speaks for it as "
            "well.",
        ],
        "estimated both ways, far, ignored": [
            "fit: Good fit",
            "reason: According to the type test, Aldenhoven is "
            "probably strong in “Fibre rollout”, which Kreuzau "
            "wants to learn; according to the type test, Kreuzau "
            "is probably strong in “Chatbot”, which Aldenhoven "
            "wants to learn; about 80 km away (location "
            "estimated).",
            "sentence: According to the type test, Aldenhoven is "
            "probably strong in “Fibre rollout”, which Kreuzau "
            "wants to learn; according to the type test, Kreuzau "
            "is probably strong in “Chatbot”, which Aldenhoven "
            "wants to learn; about 80 km away (location "
            "estimated); Aldenhoven has more than twice as many "
            "inhabitants; 3 shared networks.",
            "Kreuzau learns from Aldenhoven: “Fibre rollout” "
            "(Aldenhoven: probably Experience, estimated from "
            "the type test)",
            "Aldenhoven learns from Kreuzau: “Chatbot” (Kreuzau: "
            "probably Expertise, estimated from the type test)",
            "Distance: about 80 km away (location estimated)",
            "Size: Aldenhoven has more than twice as many inhabitants (inhabitants: 19,000 and 14,500)",
            "Context: 3 shared networks",
            "Note: The profile of Aldenhoven is only estimated from the type test.",
            "Fit: Good fit: at least one side can learn from the "
            "other. The distance or the difference in size "
            "weakens the suggestion (farther than Kreuzau and "
            "Aldenhoven usually travel, or very different in "
            "size). Shown several times without a response, so "
            "it is listed lower.",
        ],
        "only I teach, next door, smaller": [
            "fit: Good fit",
            "reason: Aldenhoven can learn from Kreuzau about the topic “Smart city”; right next door.",
            "sentence: Aldenhoven can learn from Kreuzau about "
            "the topic “Smart city”; right next door; Aldenhoven "
            "has less than half as many inhabitants.",
            "Kreuzau learns from Aldenhoven: Aldenhoven is strong in none of the needs of Kreuzau.",
            "Aldenhoven learns from Kreuzau: “Smart city” (Kreuzau: Basics)",
            "Distance: right next door",
            "Size: Aldenhoven has less than half as many inhabitants (inhabitants: 19,000 and 14,500)",
            "Fit: Good fit: at least one side can learn from the other.",
        ],
        "nothing to learn, distance unknown, unknown token": [
            "fit: Possible fit",
            "reason: No matching strengths and "
            "needs yet; suggested for location "
            "and context; distance unknown.",
            "sentence: No matching strengths and "
            "needs yet; suggested for location "
            "and context; distance unknown; "
            "further reasons this version cannot "
            "show.",
            "Kreuzau learns from Aldenhoven: Aldenhoven is strong in none of the needs of Kreuzau.",
            "Aldenhoven learns from Kreuzau: Kreuzau is strong in none of the needs of Aldenhoven.",
            "Distance: distance unknown",
            "Fit: Possible fit: suggested for location and surroundings, without matching topics.",
            "Further reasons: This version cannot show all reasons for the suggestion.",
        ],
    },
}


def _render(facts: Facts) -> list[str]:
    _level, word = fit(facts)
    lines = [
        f"fit: {word}",
        f"reason: {reason(facts, ME, PARTNER)}",
        f"sentence: {sentence(facts, ME, PARTNER)}",
    ]
    lines += [f"{term}: {text}" for term, text in details(facts, ME, PARTNER, (19_000, 14_500))]
    return lines


@pytest.mark.parametrize("case", list(CASES))
def test_every_sentence_kind_reads_as_reviewed(language, case):
    assert _render(CASES[case]) == REVIEWED[language][case]
