"""The one renderer: every fact in German and English, unknown codes, and a faithfulness check of
every rendered claim against the inputs on a synthetic Germany (both languages)."""

from __future__ import annotations

import logging
import math
import re

import numpy as np
import pytest
from flask_babel import force_locale

from matching import engine
from matching.facts import WORDS, Facts, TopicFact, decode, encode, pair_codes
from matching.synthetic import KommuneFacts, draw_profiles
from matching.vocabulary import TOPIC_INDEX, TOPIC_LABELS_DE, TOPIC_LABELS_EN, TYPES
from plattform.vorschlaege.explain import details, sentence

# Words only a German sentence has: none may leak into an English explanation.
GERMAN_ONLY = ("lernen", "Thema", "Themen", "entfernt", "laut Typtest", "ähnlich", "Netzwerk", "Einwohner",
               "Typen", "Kreis", "benachbart", "Gegenzug", "Stufe", "geschätzt", "Entfernung", " und ",
               "Passt", "Grundlagen", "Erfahrung", "vermutlich")  # fmt: skip

EVERY_FACT = [
    Facts(
        teaches_me=(TopicFact("fim", 3), TopicFact("e-akte", 2)),
        learns_from_me=(TopicFact("open-data", 1),),
        distance_km=12.4,
        size="similar",
        same_kreis=True,
        shared_networks=1,
        own_type=TYPES[0],
        partner_type=TYPES[1],
        parts={"comp": 0.5, "context": 0.8, "ignored": 1.0},
    ),
    Facts(
        teaches_me=(TopicFact("glasfaserausbau", 2, True),),
        learns_from_me=(TopicFact("chatbot", 3, True),),
        distance_km=80.0,
        distance_approx=True,
        size="larger",
        shared_networks=3,
        own_type=TYPES[2],
        partner_type=TYPES[2],
        partner_estimated=True,
    ),
    Facts(learns_from_me=(TopicFact("smart-city", 2),), distance_km=0.4, size="smaller"),
    Facts(distance_km=None),
]


@pytest.mark.parametrize("case", range(len(EVERY_FACT)))
def test_every_fact_renders_in_both_languages(language, case):
    facts = decode(_code_of(EVERY_FACT[case]))
    assert facts.unknown == ()
    text = sentence(facts, "Kreuzau", "Aldenhoven")
    rows = details(facts, "Kreuzau", "Aldenhoven", (19_000, 21_000))
    labels = TOPIC_LABELS_EN if language == "en" else TOPIC_LABELS_DE
    everything = text + " ".join(f"{a} {b}" for a, b in rows)
    for t in facts.teaches_me + facts.learns_from_me:
        assert labels[t.slug] in text and labels[t.slug] in everything
    if language == "en":
        leaked = [w for w in GERMAN_ONLY if w in everything]
        assert not leaked, (leaked, everything)
    phrases = {
        "de": {"near": "direkt benachbart", "approx": "Lage geschätzt", "unknown": "Entfernung unbekannt",
               "estimated": "laut typtest vermutlich", "kreis": "im selben Kreis", "similar": "ähnlich groß",
               "larger": "mehr als doppelt so viele", "smaller": "weniger als halb so viele"},
        "en": {"near": "right next door", "approx": "location estimated", "unknown": "distance unknown",
               "estimated": "according to the type test", "kreis": "in the same district",
               "similar": "similar in size", "larger": "more than twice", "smaller": "less than half"},
    }[language]  # fmt: skip
    assert (phrases["near"] in text) == (facts.distance_km is not None and facts.distance_km < 1)
    assert (phrases["approx"] in text) == facts.distance_approx
    assert (phrases["unknown"] in text) == (facts.distance_km is None)
    assert (phrases["estimated"] in text.lower()) == any(
        t.estimated for t in facts.teaches_me + facts.learns_from_me
    )
    assert (phrases["kreis"] in text) == facts.same_kreis
    for size in ("similar", "larger", "smaller"):
        assert (phrases[size] in text) == (facts.size == size)
    assert text.endswith(".") and text[0].isupper()


def _code_of(f: Facts) -> str:
    def topics(ts):
        return [(TOPIC_INDEX[t.slug], t.level, t.estimated) for t in ts]

    parts = f.parts or {"comp": 0.1, "context": 1.0, "ignored": 1.0}
    return encode(
        topics(f.teaches_me),
        topics(f.learns_from_me),
        f.distance_km,
        f.distance_approx,
        f.size,
        f.same_kreis,
        f.shared_networks,
        TYPES.index(f.own_type) if f.own_type else -1,
        TYPES.index(f.partner_type) if f.partner_type else -1,
        f.partner_estimated,
        (parts["comp"], parts["context"], parts["ignored"]),
    )


def test_an_unknown_code_renders_neutrally_and_is_logged(app, caplog):
    facts = decode("T053|Q7zz|D12.0|Xyz|Ggarbage")
    assert [t.slug for t in facts.teaches_me] and facts.unknown == ("Q7zz", "Xyz", "Ggarbage")
    with caplog.at_level(logging.WARNING), app.test_request_context():
        for language in ("de", "en"):
            with force_locale(language):
                text = sentence(facts, "Kreuzau", "Aldenhoven")
                rows = details(facts, "Kreuzau", "Aldenhoven")
            assert ("weitere Gründe" in text) if language == "de" else ("further reasons" in text)
            assert rows
    assert "Q7zz" in caplog.text
    assert decode("").distance_km is None and decode(None).teaches_me == ()


# ------------------------------------------------------------------------------ faithfulness

_NEXT_DOOR = {"de": "direkt benachbart", "en": "right next door"}


@pytest.fixture(scope="module")
def synthetic_germany():
    """1,500 Kommunen across Germany with study-drawn profiles: a fifth estimate-only, some without
    coordinates, in Kreise and networks."""
    rng = np.random.default_rng(19)
    n = 1500
    lands = ["01", "03", "05", "06", "08", "09", "12", "14"]
    facts = [
        KommuneFacts(
            f"{lands[r % len(lands)]}{r % 37:03d}{r:03d}"[:8],
            ["gemeinde", "stadt", "kreis"][int(rng.integers(0, 3))],
            int(rng.lognormal(8.5, 1.3)) + 50,
            47.5 + 7 * rng.random(),
            6 + 8.5 * rng.random(),
        )
        for r in range(n)
    ]
    profiles = draw_profiles(facts, 4)
    from matching.evaluation import build_input

    lat = np.array([f.lat for f in facts])
    lat[::40] = np.nan
    inp = build_input(
        [f.ags for f in facts],
        [f.kind for f in facts],
        np.array([f.population for f in facts], float),
        lat,
        np.array([f.lon for f in facts]),
        profiles,
        [TYPES[r % 4] for r in range(n)],
    )
    inp.estimated = rng.random(n) < 0.2
    inp.coord_approx = np.zeros(n, bool)
    inp.networks = [np.array([r % 11]) if r % 3 == 0 else np.array([], int) for r in range(n)]
    result = engine.compute(inp)
    rr, rank = np.nonzero(result.idx >= 0)
    j = result.idx[rr, rank].astype(np.int64)
    terms = engine.pair_terms(engine.prepare(inp), rr, j)
    codes = pair_codes(inp, terms, rr, j, result.distance_km[rr, rank])
    return inp, rr, j, codes


def _claims_false(inp, i: int, j: int, facts: Facts, text: str, language: str) -> list[str]:
    """Every claim of the rendered sentence checked against the input arrays."""
    wrong = []
    labels = TOPIC_LABELS_EN if language == "en" else TOPIC_LABELS_DE
    for side, (learner, teacher) in (("teaches_me", (i, j)), ("learns_from_me", (j, i))):
        for t in getattr(facts, side):
            c = TOPIC_INDEX[t.slug]
            if not (inp.need[learner, c] > 0 and inp.strength[teacher, c] == t.level):
                wrong.append(f"{side} {t.slug}")
            if t.estimated != bool(inp.estimated[teacher]):
                wrong.append(f"estimated flag {t.slug}")
            if labels[t.slug] not in text:
                wrong.append(f"topic not said {t.slug}")
    said_estimate = ("laut typtest" if language == "de" else "according to the type test") in text.lower()
    if said_estimate != any(t.estimated for t in facts.teaches_me + facts.learns_from_me):
        wrong.append("estimate wording")
    d = float(engine.haversine_km(inp.lat[i], inp.lon[i], inp.lat[j], inp.lon[j]))
    if math.isfinite(d):
        if facts.distance_km is None or abs(facts.distance_km - d) > 1.0:
            wrong.append(f"distance {facts.distance_km} vs {d:.1f}")
        else:
            said = re.search(r"(\d[\d.,]*) km", text)
            if said is None:
                if not (d < WORDS.neighbour_max_km and _NEXT_DOOR[language] in text):
                    wrong.append("distance not said")
            elif abs(float(said.group(1).replace(".", "").replace(",", "")) - d) > 1.0:
                wrong.append(f"distance said {said.group(1)} vs {d:.1f}")
    elif facts.distance_km is not None:
        wrong.append("distance without coordinates")
    ratio = inp.population[j] / inp.population[i]
    similar = ("ähnlich groß" if language == "de" else "similar in size") in text
    if similar and not (1 / WORDS.similar_size_max_ratio <= ratio <= WORDS.similar_size_max_ratio):
        wrong.append(f"similar size at ratio {ratio:.2f}")
    same_kreis = ("im selben Kreis" if language == "de" else "in the same district") in text
    if same_kreis != bool(inp.kreis[i] == inp.kreis[j]):
        wrong.append("Kreis")
    shared = len(set(inp.networks[i].tolist()) & set(inp.networks[j].tolist()))
    if facts.shared_networks != shared:
        wrong.append("networks")
    if facts.complementary_types != (inp.type_idx[i] != inp.type_idx[j]):
        wrong.append("types")
    return wrong


def test_every_rendered_claim_holds_on_a_synthetic_germany(synthetic_germany, language):
    inp, rows, cols, codes = synthetic_germany
    false_claims = []
    for i, j, code in zip(rows.tolist(), cols.tolist(), codes, strict=True):
        facts = decode(code)
        assert not facts.unknown
        text = sentence(facts, f"K{i}", f"K{j}")
        false_claims += [(i, j, w, text) for w in _claims_false(inp, i, j, facts, text, language)]
    assert len(codes) > 10_000
    assert false_claims == [], (len(false_claims), false_claims[:3])


def test_stored_codes_stay_small(synthetic_germany):
    _inp, _rows, _cols, codes = synthetic_germany
    mean = sum(len(c) for c in codes) / len(codes)
    assert mean < 80  # bytes of facts per suggestion (ids, rank, score and distance come beside)


def test_the_vectorised_codes_equal_encode_pair_by_pair(synthetic_germany):
    """pair_codes builds all codes with array string operations; encode is the readable reference."""
    from matching.facts import size_relation

    inp, rows, cols, codes = synthetic_germany
    terms = engine.pair_terms(engine.prepare(inp), rows, cols)
    d = engine.haversine_km(inp.lat[rows], inp.lon[rows], inp.lat[cols], inp.lon[cols]).astype(np.float32)
    S, N = inp.strength, inp.need
    for p in range(0, len(codes), 7):
        i, j = int(rows[p]), int(cols[p])

        def top(need, strength, teacher):
            gain = need * strength
            order = sorted(range(gain.size), key=lambda t: (-gain[t], t))
            return [(t, int(S[teacher, t]), bool(inp.estimated[teacher])) for t in order[:3] if gain[t] > 0]

        shared = len(set(inp.networks[i].tolist()) & set(inp.networks[j].tolist()))
        want = encode(
            top(N[i], S[j], j),
            top(N[j], S[i], i),
            float(d[p]) if np.isfinite(d[p]) else None,
            bool(inp.coord_approx[i] or inp.coord_approx[j]),
            size_relation(inp.population[i], inp.population[j]),
            bool(inp.kreis[i] == inp.kreis[j]),
            shared,
            int(inp.type_idx[i]),
            int(inp.type_idx[j]),
            bool(inp.estimated[j]),
            (
                float(terms["comp"][p]),
                float(np.exp(terms["log_context"][p])),
                float(terms["ignored_factor"][p]),
            ),
        )
        assert codes[p] == want, (p, codes[p], want)
