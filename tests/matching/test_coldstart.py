"""Cold-start estimates: a handful of strengths and needs per type, from the study and persona cards."""

from __future__ import annotations

import pytest

from matching.coldstart import EstimatedProfile, estimate_profile, topic_lead
from matching.taxonomy import PERSONA_CAN_TEACH, PERSONA_WANTS_TO_LEARN
from matching.vocabulary import TOPIC_INDEX, TYPES


@pytest.mark.parametrize("typ", TYPES)
def test_estimate_is_a_handful_of_valid_levels(typ):
    est = estimate_profile(typ)
    assert isinstance(est, EstimatedProfile) and est.typ == typ
    assert 2 <= len(est.staerken) <= 6
    assert 1 <= len(est.bedarfe) <= 4
    for levels in (est.staerken, est.bedarfe):
        assert set(levels) <= set(TOPIC_INDEX)
        assert all(v in (1, 2, 3) for v in levels.values())
    assert not set(est.staerken) & set(est.bedarfe)


@pytest.mark.parametrize("typ", TYPES)
def test_estimate_is_deterministic_and_not_shared(typ):
    a, b = estimate_profile(typ), estimate_profile(typ)
    assert a == b
    a.staerken.clear()  # callers may mutate their copy without touching the cache
    assert estimate_profile(typ) == b


@pytest.mark.parametrize("typ", TYPES)
def test_persona_wishes_become_needs(typ):
    est = estimate_profile(typ)
    # Every persona wish is a need unless the cap cut it; the first wish is always there.
    assert PERSONA_WANTS_TO_LEARN[typ][0] in est.bedarfe
    assert set(est.staerken) & set(PERSONA_CAN_TEACH[typ])


def test_study_leads_show_up():
    # Bedächtige lead all types on Sicherheit (Tabelle 4: 27.3 vs ~14) and lag on data use (Tabelle 11).
    bed = estimate_profile("bedaechtige")
    assert bed.staerken["it-sicherheit"] == 3
    assert bed.bedarfe["datennutzung"] == 3
    # Community Manager lead on local economy (Tabelle 14: 50.0 vs ~19).
    assert estimate_profile("community-manager").staerken["lokale-wirtschaft"] == 3
    # Serviceorientierte know FIM best (Tabelle 10: 38.1).
    assert "fim" in estimate_profile("serviceorientierte").staerken


def test_types_complement_each_other():
    # The "D-Team": some type can teach what another wants to learn.
    ests = {t: estimate_profile(t) for t in TYPES}
    for typ in TYPES:
        others_teach = set().union(*(set(ests[o].staerken) for o in TYPES if o != typ))
        assert set(ests[typ].bedarfe) & others_teach, typ


def test_topic_lead():
    assert topic_lead("community-manager", "glasfaserausbau") == pytest.approx(
        63.5 - (50.0 + 38.0 + 45.5) / 3
    )
    assert topic_lead("optimierer", "hundesteuer-digital") is None


def test_unknown_type_is_rejected():
    with pytest.raises(ValueError):
        estimate_profile("pioniere")
