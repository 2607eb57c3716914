"""Cold start: expected strengths and needs of a Kommune that has only taken the type test.

The estimate combines two sources from the study (KGSt/ÖFIT 2020): the per-type shares of the topics
it measured (``taxonomy.TOPIC_TYPE_SHARES``, Tabellen 4–16) relative to the other three types, and the
persona cards' "Was kann man von mir lernen?" / "Was kann ich von anderen lernen?". The result is
marked as estimated in the UI until the Kommune fills in its own profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from matching.taxonomy import PERSONA_CAN_TEACH, PERSONA_WANTS_TO_LEARN, TOPIC_TYPE_SHARES
from matching.vocabulary import TOPIC_INDEX, TYPES

# A persona card statement weighs as much as a 15-point lead over the other types' mean share.
PERSONA_WEIGHT = 1.5
# Percentage points of lead (or lag) that count as one unit of score.
POINTS_PER_UNIT = 10.0
# Minimum score for a topic to be listed at all: a persona statement, or an 8-point lead/lag.
MIN_SCORE = 0.8
MAX_STRENGTHS = 6
MAX_NEEDS = 4
# Score thresholds for levels 3 and 2 (below: 1).
LEVEL_3_SCORE = 2.0
LEVEL_2_SCORE = 1.2


@dataclass(frozen=True)
class EstimatedProfile:
    """Expected strengths (Stufe 1–3) and needs (Priorität 1–3) of a type; shown as 'geschätzt'."""

    typ: str
    staerken: dict[str, int]
    bedarfe: dict[str, int]


def topic_lead(typ: str, topic: str) -> float | None:
    """Points by which the type's share exceeds the other types' mean (None: the study did not measure it)."""
    if topic not in TOPIC_TYPE_SHARES:
        return None
    shares, _source = TOPIC_TYPE_SHARES[topic]
    k = TYPES.index(typ)
    others = [s for i, s in enumerate(shares) if i != k]
    return shares[k] - sum(others) / len(others)


def _level(score: float) -> int:
    """Map a score onto the 1–3 scale of strengths and needs."""
    if score >= LEVEL_3_SCORE:
        return 3
    if score >= LEVEL_2_SCORE:
        return 2
    return 1


@cache
def _estimate(typ: str) -> tuple[tuple[tuple[str, int], ...], tuple[tuple[str, int], ...]]:
    """Compute once per type; the inputs are constants."""
    teach = set(PERSONA_CAN_TEACH[typ])
    learn = set(PERSONA_WANTS_TO_LEARN[typ])
    strength_scores: dict[str, float] = {}
    need_scores: dict[str, float] = {}
    for topic in TOPIC_INDEX:
        lead = topic_lead(typ, topic) or 0.0
        s = max(lead, 0.0) / POINTS_PER_UNIT + (PERSONA_WEIGHT if topic in teach else 0.0)
        n = max(-lead, 0.0) / POINTS_PER_UNIT + (PERSONA_WEIGHT if topic in learn else 0.0)
        # The card's explicit wish overrides a statistical lead, and vice versa: never both.
        if topic in learn:
            s = 0.0
        if topic in teach:
            n = 0.0
        if s >= MIN_SCORE:
            strength_scores[topic] = s
        if n >= MIN_SCORE:
            need_scores[topic] = n

    def top(scores: dict[str, float], limit: int) -> tuple[tuple[str, int], ...]:
        # Ties broken by vocabulary order so the result is deterministic.
        ranked = sorted(scores, key=lambda t: (-scores[t], TOPIC_INDEX[t]))[:limit]
        return tuple((t, _level(scores[t])) for t in sorted(ranked, key=TOPIC_INDEX.__getitem__))

    staerken = top(strength_scores, MAX_STRENGTHS)
    taken = {t for t, _ in staerken}
    bedarfe = top({t: v for t, v in need_scores.items() if t not in taken}, MAX_NEEDS)
    return staerken, bedarfe


def estimate_profile(typ: str) -> EstimatedProfile:
    """Expected strengths and needs for a Kommune of type ``typ`` (deterministic, a handful each)."""
    if typ not in TYPES:
        raise ValueError(f"Unbekannter Kommunentyp {typ!r}.")
    staerken, bedarfe = _estimate(typ)
    return EstimatedProfile(typ=typ, staerken=dict(staerken), bedarfe=dict(bedarfe))
