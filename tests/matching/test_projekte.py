"""Shared-project proposals and duplication reports on constructed scenarios with known answers."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.projekte import (
    KommuneProfile,
    OpenProject,
    TopicStates,
    duplication_report,
    haversine_km,
    location_phrase_de,
    propose_projects,
)

HUND = "hundesteuer-digital"
# Kreis Düren, roughly.
LAT0, LON0 = 50.80, 6.48


def at(dx_km: float, dy_km: float) -> tuple[float, float]:
    """Coordinates dx km east and dy km north of the centre (flat approximation, fine for < 100 km)."""
    return LAT0 + dy_km / 111.2, LON0 + dx_km / (111.2 * math.cos(math.radians(LAT0)))


def kommune(ags: str, name: str, dx: float, dy: float, **kwargs) -> KommuneProfile:
    """A profile placed dx/dy km from the centre."""
    lat, lon = at(dx, dy)
    kwargs.setdefault("kreis", "05358")
    return KommuneProfile(ags=ags, name=name, lat=lat, lon=lon, **kwargs)


def ring(n: int = 8, spacing_km: float = 10.0, **kwargs) -> list[KommuneProfile]:
    """n Kommunen on a circle, neighbours spacing_km apart, all needing the dog-tax project."""
    radius = spacing_km / (2 * math.sin(math.pi / n))
    out = []
    for k in range(n):
        angle = 2 * math.pi * k / n
        out.append(
            kommune(
                f"0535800{k}",
                f"Gemeinde {k}",
                radius * math.cos(angle),
                radius * math.sin(angle),
                needs={HUND: 2},
                **kwargs,
            )
        )
    return out


def replace(p: KommuneProfile, **changes) -> KommuneProfile:
    """A copy of a profile with some fields changed."""
    return KommuneProfile(**{**p.__dict__, **changes})


# --- input --------------------------------------------------------------------------------------


def test_from_profiles_rejects_unknown_topic_naming_the_kommune():
    with pytest.raises(ValueError, match=r"05358001: needs: unknown topic 'hundesteuer'"):
        TopicStates.from_profiles([kommune("05358001", "A", 0, 0, needs={"hundesteuer": 1})])


def test_from_profiles_rejects_bad_level_and_status():
    with pytest.raises(ValueError, match=r"strengths\[e-akte\]: level must be 0..3"):
        TopicStates.from_profiles([kommune("1", "A", 0, 0, strengths={"e-akte": 4})])
    with pytest.raises(ValueError, match=r"projects\[e-akte\]: unknown status 'fertig'"):
        TopicStates.from_profiles([kommune("1", "A", 0, 0, projects={"e-akte": "fertig"})])


def test_topic_states_rejects_duplicate_ags():
    with pytest.raises(ValueError, match="unique"):
        TopicStates.from_profiles([kommune("1", "A", 0, 0), kommune("1", "B", 1, 1)])


def test_haversine_known_distance():
    # One degree of latitude is about 111.2 km.
    assert haversine_km(50.0, 7.0, 51.0, 7.0) == pytest.approx(111.2, abs=0.1)


# --- proposals ----------------------------------------------------------------------------------


def test_ring_with_finished_project_gets_one_proposal_led_by_the_experienced_kommune():
    profiles = ring()
    # Gemeinde 3 finished the project and needs nothing more: it joins as lead from outside.
    profiles[3] = replace(profiles[3], name="Kreuzau", needs={}, projects={HUND: "abgeschlossen"})
    far = [
        kommune("09162000", "München", 0, -500, needs={HUND: 3}, kreis="09162"),
        kommune("09162001", "Nachbar", 5, -500, needs={HUND: 3}, kreis="09162"),
    ]
    proposals = propose_projects(TopicStates.from_profiles(profiles + far), [HUND])
    assert len(proposals) == 1
    p = proposals[0]
    assert p.thema == HUND
    assert p.lead_ags == "05358003"
    assert set(p.members) == {x.ags for x in profiles}
    assert not {"09162000", "09162001"} & set(p.members)
    assert p.explanation_de.startswith("7 Kommunen im Umkreis von ")
    assert "arbeiten getrennt an Hundesteuer digital" in p.explanation_de
    assert "Kreuzau hat das Projekt bereits abgeschlossen und kann die Federführung übernehmen." in (
        p.explanation_de
    )
    # Ring of 8 with 10 km sides: diameter 10 / sin(22.5°) ≈ 26.1 km.
    assert p.span_km == pytest.approx(26.1, abs=0.3)


def test_ring_lead_by_strength_when_nobody_finished():
    profiles = ring()
    profiles[5] = replace(profiles[5], strengths={HUND: 3})
    profiles[2] = replace(profiles[2], strengths={HUND: 1})
    [p] = propose_projects(TopicStates.from_profiles(profiles), [HUND])
    assert p.lead_ags == "05358005"
    assert len(p.members) == 8
    assert "Gemeinde 5 bringt Erfahrung mit (Stärke 3 von 3)" in p.explanation_de
    assert p.explanation_de.startswith("8 Kommunen")


def test_lead_tie_breaks_by_ags_and_running_project_beats_plain_need():
    profiles = ring()
    profiles[6] = replace(profiles[6], projects={HUND: "laufend"})
    [p] = propose_projects(TopicStates.from_profiles(profiles), [HUND])
    assert p.lead_ags == "05358006"
    assert "laufendes Projekt" in p.explanation_de
    [q] = propose_projects(TopicStates.from_profiles(ring()), [HUND])
    assert q.lead_ags == "05358000"  # all equal: smallest AGS


def test_topic_with_only_two_interested_gives_no_proposal():
    profiles = [
        kommune("1", "A", 0, 0, needs={HUND: 3}),
        kommune("2", "B", 5, 0, projects={HUND: "geplant"}),
        kommune("3", "C", 0, 5, projects={HUND: "abgeschlossen"}),  # finished: not interested itself
    ]
    assert propose_projects(TopicStates.from_profiles(profiles), [HUND]) == []


def test_three_close_interested_make_a_proposal_planned_projects_count():
    profiles = [
        kommune("1", "A", 0, 0, needs={HUND: 1}),
        kommune("2", "B", 5, 0, projects={HUND: "geplant"}),
        kommune("3", "C", 0, 5, projects={HUND: "laufend"}),
    ]
    [p] = propose_projects(TopicStates.from_profiles(profiles), [HUND])
    assert p.members == ("1", "2", "3") and p.lead_ags == "3"


def test_reach_limits_edges():
    profiles = ring()
    # Gemeinde 0 only looks 5 km around: its neighbours 10 km away are out of its reach.
    profiles[0] = replace(profiles[0], reach_km=5.0)
    [p] = propose_projects(TopicStates.from_profiles(profiles), [HUND])
    assert "05358000" not in p.members
    assert len(p.members) == 7


def test_reuse_source_nearby_is_listed_and_far_one_is_not():
    profiles = ring()
    profiles[3] = replace(
        profiles[3], name="Kreuzau", needs={}, strengths={HUND: 2}, projects={HUND: "abgeschlossen"}
    )
    reuse = kommune("05358100", "Nideggen", 40, 0, projects={HUND: "abgeschlossen"})  # ~27 km from the ring
    too_far = kommune("05358200", "Fernstadt", 120, 0, projects={HUND: "abgeschlossen"})
    [p] = propose_projects(TopicStates.from_profiles([*profiles, reuse, too_far]), [HUND])
    assert p.lead_ags == "05358003"  # strength 2 + finished beats finished alone
    assert p.reuse_from == ("05358100",)
    assert "05358100" not in p.members
    assert "Zur Nachnutzung: Nideggen hat das Projekt bereits abgeschlossen." in p.explanation_de


def test_members_already_in_a_shared_project_are_left_out():
    profiles = ring()
    states = TopicStates.from_profiles(profiles)
    taken = {HUND: [p.ags for p in profiles[:6]]}
    assert propose_projects(states, [HUND], in_shared_project=taken) == []
    [p] = propose_projects(states, [HUND], in_shared_project={HUND: ["05358000"]})
    assert "05358000" not in p.members and len(p.members) == 7


def _open_project(**changes) -> OpenProject:
    """An open dog-tax project led by Aheim (05358001) with Bedorf (05358002) as member."""
    fields = {
        "id": 7,
        "thema": HUND,
        "titel": "Hundesteuer gemeinsam",
        "lead_ags": "05358001",
        "lead_name": "Aheim",
        "members": ("05358001", "05358002"),
    }
    return OpenProject(**{**fields, **changes})


def _around_a_project() -> list[KommuneProfile]:
    """Aheim runs the project, Bedorf is in it; Cestadt and Dorf need it nearby, Edorf 60 km off."""
    return [
        kommune("05358001", "Aheim", 0, 0, strengths={HUND: 2}, projects={HUND: "laufend"}),
        kommune("05358002", "Bedorf", 8, 0, needs={HUND: 2}),
        kommune("05358003", "Cestadt", 16, 0, needs={HUND: 3}),
        kommune("05358004", "Dorf", 4, 10, needs={HUND: 1}),
        kommune("05358005", "Edorf", 68, 0, needs={HUND: 2}),
    ]


def test_kommunen_near_an_open_project_are_proposed_to_join_it_instead_of_a_new_group():
    states = TopicStates.from_profiles(_around_a_project())
    # Without the project the five would be grouped anew, Aheim and Bedorf included.
    [alone] = propose_projects(states, [HUND], max_km=60)
    assert {"05358001", "05358002", "05358003"} <= set(alone.members)
    assert alone.existing_project_id is None

    proposals = propose_projects(states, [HUND], max_km=60, open_projects=[_open_project()])
    [join] = [p for p in proposals if p.existing_project_id == 7]
    # Near a member (within both reaches), not the members themselves; Edorf is out of reach.
    assert join.members == ("05358003", "05358004")
    assert join.lead_ags == "05358001" and join.thema == HUND
    assert join.explanation_de == (
        "Zu Hundesteuer digital gibt es schon ein gemeinsames Projekt in der Nähe: „Hundesteuer gemeinsam“ "
        "(Federführung: Aheim, 2 Mitglieder). Cestadt, Dorf können ihm beitreten, statt getrennt daran zu "
        "arbeiten."
    )
    assert join.to_json()["existing_project_id"] == 7
    # No second group: neither the project's members nor those proposed to join it are grouped anew.
    assert [p for p in proposals if p.existing_project_id is None] == []


def test_a_single_kommune_near_an_open_project_is_proposed_to_join_it():
    states = TopicStates.from_profiles(_around_a_project()[:3])
    [join] = propose_projects(states, [HUND], open_projects=[_open_project()])
    assert join.members == ("05358003",) and join.existing_project_id == 7
    assert "Cestadt kann ihm beitreten" in join.explanation_de


def test_kommunen_out_of_reach_of_an_open_project_still_form_their_own_group():
    far = [kommune(f"0535809{k}", f"Fern {k}", 100 + 8 * k, 0, needs={HUND: 2}) for k in range(3)]
    states = TopicStates.from_profiles([*_around_a_project(), *far])
    proposals = propose_projects(states, [HUND], open_projects=[_open_project()])
    # Edorf, out of the project's reach, joins the group of the far ones.
    assert sorted(((p.existing_project_id, p.members) for p in proposals), key=lambda x: x[1]) == [
        (7, ("05358003", "05358004")),
        (None, ("05358005", "05358090", "05358091", "05358092")),
    ]


def test_an_open_project_on_another_topic_changes_nothing():
    states = TopicStates.from_profiles(_around_a_project())
    other = _open_project(thema="e-akte")
    assert propose_projects(states, [HUND], max_km=60, open_projects=[other]) == propose_projects(
        states, [HUND], max_km=60
    )


def test_large_cluster_is_split_into_workable_groups():
    # 60 Kommunen on a 6 km grid: one connected blob that must be split into groups of 3..12.
    profiles = [
        kommune(f"{k:08d}", f"G{k}", (k % 10) * 6.0, (k // 10) * 6.0, needs={HUND: 1}) for k in range(60)
    ]
    proposals = propose_projects(TopicStates.from_profiles(profiles), [HUND], max_size=12)
    assert len(proposals) >= 5
    seen = [a for p in proposals for a in p.members]
    assert len(seen) == len(set(seen))  # nobody in two groups
    assert len(seen) >= 54  # at most a few stragglers are left out
    assert all(3 <= len(p.members) <= 12 for p in proposals)


def test_proposals_are_deterministic_and_json_has_cli_fields():
    profiles = [
        kommune(f"{k:08d}", f"G{k}", (k % 8) * 7.0, (k // 8) * 7.0, needs={HUND: 1 + k % 3})
        for k in range(40)
    ]
    states = TopicStates.from_profiles(profiles)
    first = [p.to_json() for p in propose_projects(states, [HUND], seed=3)]
    assert first == [p.to_json() for p in propose_projects(states, [HUND], seed=3)]
    doc = json.loads(json.dumps(first))
    assert {"thema", "lead_ags", "members", "explanation_de"} <= set(doc[0])
    scores = [p["score"] for p in doc]
    assert scores == sorted(scores, reverse=True)


def test_unknown_topic_and_bad_sizes_are_rejected():
    states = TopicStates.from_profiles(ring())
    with pytest.raises(ValueError, match="unknown topic"):
        propose_projects(states, ["hundesteuer"])
    with pytest.raises(ValueError):
        propose_projects(states, [HUND], min_size=5, max_size=5)


def test_kommunen_without_coordinates_are_skipped():
    profiles = [*ring(), KommuneProfile("9", "Ohne Ort", float("nan"), float("nan"), needs={HUND: 3})]
    [p] = propose_projects(TopicStates.from_profiles(profiles), [HUND])
    assert "9" not in p.members


def test_vectorised_input_at_full_scale_shape():
    # The array form, as services build it: 2,000 Kommunen × all topics, random but seeded.
    rng = np.random.default_rng(0)
    n, t = 2000, 37
    states = TopicStates(
        ags=tuple(f"{i:08d}" for i in range(n)),
        names=tuple(f"K{i}" for i in range(n)),
        lat=rng.uniform(50.0, 52.0, n),
        lon=rng.uniform(6.0, 9.0, n),
        reach_km=np.full(n, 30.0),
        need=(rng.random((n, t)) < 0.1) * rng.integers(1, 4, (n, t)),
        strength=(rng.random((n, t)) < 0.1) * rng.integers(1, 4, (n, t)),
        project=(rng.random((n, t)) < 0.05) * rng.integers(1, 4, (n, t)),
    )
    proposals = propose_projects(states)
    assert proposals
    assert {p.thema for p in proposals} <= set(states.topics)
    assert all(3 <= len(p.members) <= 12 and p.lead_ags in p.members for p in proposals)


@st.composite
def scenarios(draw):
    """Random Kommunen in a 120×120 km box with random reach, needs and project states."""
    n = draw(st.integers(min_value=3, max_value=40))
    profiles = []
    for k in range(n):
        x = draw(st.floats(min_value=0, max_value=120))
        y = draw(st.floats(min_value=0, max_value=120))
        reach = draw(st.sampled_from([10.0, 25.0, 40.0, 60.0]))
        need = draw(st.integers(min_value=0, max_value=3))
        strength = draw(st.integers(min_value=0, max_value=3))
        status = draw(st.sampled_from([None, "geplant", "laufend", "abgeschlossen"]))
        profiles.append(
            kommune(
                f"{k:08d}",
                f"G{k}",
                x,
                y,
                reach_km=reach,
                needs={HUND: need} if need else {},
                strengths={HUND: strength} if strength else {},
                projects={HUND: status} if status else {},
            )
        )
    return profiles


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.integers(min_value=4, max_value=8))
def test_property_members_are_close_lead_is_member_sizes_hold(profiles, max_size):
    states = TopicStates.from_profiles(profiles)
    max_km = 40.0
    proposals = propose_projects(states, [HUND], max_km=max_km, max_size=max_size)
    by_ags = {p.ags: p for p in profiles}
    interested = {
        p.ags for p in profiles if p.needs.get(HUND, 0) >= 1 or p.projects.get(HUND) in ("geplant", "laufend")
    }
    seen_interested: set[str] = set()
    for prop in proposals:
        assert prop.lead_ags in prop.members
        assert 3 <= len(prop.members) <= max_size
        assert len(set(prop.members)) == len(prop.members)
        assert not set(prop.reuse_from) & set(prop.members)
        inside = set(prop.members) & interested
        assert len(inside) >= 3 or len(inside) == len(prop.members) - 1
        assert not inside & seen_interested  # an interested Kommune sits in one group per topic
        seen_interested |= inside
        assert set(prop.members) - inside <= {prop.lead_ags}  # only the lead may come from outside
        for a in prop.members:
            pa = by_ags[a]
            bound = [
                min(pa.reach_km, by_ags[b].reach_km, max_km)
                - float(haversine_km(pa.lat, pa.lon, by_ags[b].lat, by_ags[b].lon))
                for b in prop.members
                if b != a
            ]
            assert max(bound) >= -1e-6, f"{a} has no member within the distance bound"


# --- duplication report -------------------------------------------------------------------------


def test_duplication_report_counts_per_kreis():
    dueren = [kommune(f"053580{k:02d}", f"D{k}", k * 3.0, 0, needs={HUND: 1}) for k in range(9)]
    dueren.append(kommune("05358090", "Im Projekt", 1, 1, needs={HUND: 2}))
    dueren.append(kommune("05358091", "Fertig", 2, 2, projects={HUND: "abgeschlossen"}))
    euskirchen = [kommune("05366001", "E1", 30, 30, needs={HUND: 1}, kreis="05366")]
    aachen = [
        kommune("05334002", "A1", -20, 0, projects={HUND: "laufend"}, kreis="05334"),
        kommune("05334004", "A2", -25, 0, projects={HUND: "geplant"}, kreis="05334"),
    ]
    states = TopicStates.from_profiles(dueren + euskirchen + aachen)
    entries = duplication_report(
        states,
        group_names={"05358": "Kreis Düren", "05366": "Kreis Euskirchen", "05334": "Städteregion Aachen"},
        topics=[HUND],
        in_shared_project={HUND: ["05358090"]},
    )
    assert [(e.group, e.count) for e in entries] == [("05358", 9), ("05334", 2)]
    assert entries[0].text_de == "9 Kommunen im Kreis Düren arbeiten getrennt an Hundesteuer digital"
    assert entries[0].ags == tuple(f"053580{k:02d}" for k in range(9))
    assert (
        entries[1].text_de == "2 Kommunen in der Städteregion Aachen arbeiten getrennt an Hundesteuer digital"
    )
    assert entries[0].to_json()["count"] == 9


def test_duplication_report_by_land_and_min_count():
    profiles = [kommune(f"0{k}", f"K{k}", k, 0, needs={"e-akte": 1}, land="NW") for k in range(4)]
    states = TopicStates.from_profiles(profiles)
    by_land = {p.ags: p.land for p in profiles}
    [entry] = duplication_report(states, by_land, {"NW": "Nordrhein-Westfalen"}, topics=["e-akte"])
    assert entry.text_de == "4 Kommunen in Nordrhein-Westfalen arbeiten getrennt an DMS/E-Akte"
    assert duplication_report(states, by_land, topics=["e-akte"], min_count=5) == []


@pytest.mark.parametrize(
    ("name", "phrase"),
    [
        ("Kreis Düren", "im Kreis Düren"),
        ("Rhein-Erft-Kreis", "im Rhein-Erft-Kreis"),
        ("Netzwerk ANDI", "im Netzwerk ANDI"),
        ("Städteregion Aachen", "in der Städteregion Aachen"),
        ("Bayern", "in Bayern"),
    ],
)
def test_location_phrase(name, phrase):
    assert location_phrase_de(name) == phrase


def test_reuse_radius_is_configurable():
    profiles = ring()
    finished = {HUND: "abgeschlossen"}
    profiles[3] = replace(profiles[3], name="Kreuzau", needs={}, strengths={HUND: 2}, projects=finished)
    reuse = kommune("05358100", "Nideggen", 40, 0, projects=finished)  # ~27 km from the ring
    states = TopicStates.from_profiles([*profiles, reuse])
    [wide] = propose_projects(states, [HUND], reuse_km=30.0)
    [narrow] = propose_projects(states, [HUND], reuse_km=20.0)
    assert wide.lead_ags == narrow.lead_ags == "05358003"
    assert wide.reuse_from == ("05358100",)
    assert narrow.reuse_from == ()
