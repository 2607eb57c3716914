"""The study's figures in matching.taxonomy match the transcribed tables in tests/data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from matching import taxonomy
from matching.vocabulary import GOAL_LABELS_DE, GOALS, HANDLUNGSFELD_LABELS_DE, TOPIC_INDEX, TYPES

STUDY_JSON = Path(__file__).resolve().parents[1] / "data" / "kgst-oefit-typen.json"
JSON_TYPES = ("Bedaechtige", "Optimierer", "Serviceorientierte", "CommunityManager")


@pytest.fixture(scope="module")
def study() -> dict:
    return json.loads(STUDY_JSON.read_text(encoding="utf-8"))


def _table(study: dict, prefix: str) -> dict:
    (key,) = [k for k in study if k.startswith(prefix + "_")]
    return study[key]


def test_goal_centres_match_table1(study):
    goals = study["table1_goal_cluster_centres"]["goals"]
    label_to_slug = {v: k for k, v in GOAL_LABELS_DE.items()}
    assert taxonomy.GOAL_CENTRES.shape == (4, 10)
    for label, values in goals.items():
        g = GOALS.index(label_to_slug[label])
        assert taxonomy.GOAL_CENTRES[:, g].tolist() == values


def test_defining_goals_match_table1(study):
    label_to_slug = {v: k for k, v in GOAL_LABELS_DE.items()}
    defining = study["table1_goal_cluster_centres"]["defining_goals"]
    for json_type, slug in zip(JSON_TYPES, TYPES, strict=True):
        assert taxonomy.DEFINING_GOALS[slug] == tuple(label_to_slug[g] for g in defining[json_type])


def test_type_shares_match_table2(study):
    t2 = study["table2_type_share_by_kind_percent"]
    for json_key, kind in (
        ("Kreise", "kreis"),
        ("Staedte", "stadt"),
        ("Gemeinden", "gemeinde"),
        ("Alle", "alle"),
    ):
        assert list(taxonomy.TYPE_SHARE_BY_KIND[kind]) == t2[json_key]
        assert sum(taxonomy.TYPE_SHARE_BY_KIND[kind]) == pytest.approx(100.0, abs=0.2)


def test_median_population_matches_table3(study):
    t3 = study["table3_median_population"]
    assert list(taxonomy.MEDIAN_POPULATION["kreis"]) == t3["in_Kreisen"]
    assert list(taxonomy.MEDIAN_POPULATION["stadt_gemeinde"]) == t3["in_Staedten_und_Gemeinden"]


def test_mottos_and_persona_texts_match(study):
    for json_type, slug in zip(JSON_TYPES, TYPES, strict=True):
        assert taxonomy.TYPE_MOTTOS_DE[slug] == study["type_mottos_de"][json_type]
        persona = study["personas"][json_type]
        assert list(taxonomy.PERSONA_CAN_TEACH_DE[slug]) == persona["can_teach"]
        assert list(taxonomy.PERSONA_WANTS_TO_LEARN_DE[slug]) == persona["wants_to_learn"]
        assert taxonomy.TYPE_FOUND_AS_DE[slug] == persona["found_as"]


def _lookup(study: dict, source: str) -> list[float]:
    """Find the row a source string cites ('Tabelle 13: Mit anderen ...') and return it in percent."""
    table_no, _, rest = source.partition(": ")
    table = _table(study, "table" + table_no.split()[1])
    scale = None
    if "(Skala 0–" in rest:
        rest, _, scale_txt = rest.partition(" (Skala 0–")
        scale = float(scale_txt.split(",")[0])
    rest = rest.removeprefix("Handlungsfeld ").removeprefix("Fortbildung ").removesuffix(" (angeboten)")
    (key,) = [k for k in table if k != "description" and k.startswith(rest)]
    row = table[key]["by_type"]
    if isinstance(row[0], list):  # Tabelle 12: [offered, planned]
        row = [pair[0] for pair in row]
    if scale is not None:
        row = [v * 100.0 / scale for v in row]
    return row


@pytest.mark.parametrize("topic", sorted(taxonomy.TOPIC_TYPE_SHARES))
def test_topic_shares_match_cited_table(study, topic):
    values, source = taxonomy.TOPIC_TYPE_SHARES[topic]
    assert topic in TOPIC_INDEX
    assert len(values) == 4
    # Scaled means are rounded to one decimal in taxonomy; plain shares must match exactly.
    assert list(values) == pytest.approx(_lookup(study, source), abs=0.05)


def test_examples_from_the_design_notes():
    assert taxonomy.TOPIC_TYPE_SHARES["glasfaserausbau"] == (
        (50.0, 38.0, 45.5, 63.5),
        "Tabelle 13: Mit anderen Gebietskörperschaften",
    )
    assert taxonomy.TOPIC_TYPE_SHARES["fim"][1].startswith("Tabelle 10")
    assert taxonomy.TOPIC_TYPE_SHARES["e-akte"][1].startswith("Tabelle 9")


def test_handlungsfeld_shares_match_table4(study):
    t4 = study["table4_handlungsfelder_percent"]
    label_to_slug = {v: k for k, v in HANDLUNGSFELD_LABELS_DE.items()}
    seen = set()
    for key, row in t4.items():
        if key == "description":
            continue
        slug = label_to_slug[key.split(" (")[0]]
        assert list(taxonomy.HANDLUNGSFELD_TYPE_SHARES[slug]) == row["by_type"]
        seen.add(slug)
    assert seen == set(taxonomy.HANDLUNGSFELD_TYPE_SHARES)


def test_persona_topics_are_vocabulary_slugs_and_disjoint_per_type():
    for typ in TYPES:
        teach, learn = set(taxonomy.PERSONA_CAN_TEACH[typ]), set(taxonomy.PERSONA_WANTS_TO_LEARN[typ])
        assert teach and learn
        assert teach <= set(TOPIC_INDEX) and learn <= set(TOPIC_INDEX)
        assert not teach & learn


def test_topic_share_matrix_places_shares_by_topic_index():
    shares, measured = taxonomy.topic_share_matrix()
    assert shares.shape == (4, len(TOPIC_INDEX))
    assert measured.sum() == len(taxonomy.TOPIC_TYPE_SHARES)
    assert np.array_equal(shares[:, TOPIC_INDEX["glasfaserausbau"]], [50.0, 38.0, 45.5, 63.5])
    assert not measured[TOPIC_INDEX["hundesteuer-digital"]]


def test_goal_centres_are_read_only():
    with pytest.raises(ValueError):
        taxonomy.GOAL_CENTRES[0, 0] = 1.0
