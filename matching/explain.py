"""German explanations of a suggestion for both sides, built from the same components as the score."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from matching.engine import MatchInput, MatchParams, pair_components
from matching.vocabulary import TOPIC_LABELS_DE, TOPIC_SLUGS

MAX_TOPICS = 3


@dataclass
class Explanation:
    """Why j is suggested to i, in words for each side, and the numbers behind the words."""

    text_de_for_i: str
    text_de_for_j: str
    teaches_me: list[str]  # slugs j can teach i
    learns_from_me: list[str]  # slugs i can teach j
    distance_km: float | None
    parts: dict = field(default_factory=dict)


def _topics(need: np.ndarray, strength: np.ndarray) -> list[str]:
    """Topics where the learner needs and the teacher is strong, most valuable first."""
    gain = need * strength
    order = np.lexsort((np.arange(gain.size), -gain))
    slugs = TOPIC_SLUGS if gain.size == len(TOPIC_SLUGS) else [str(t) for t in range(gain.size)]
    return [slugs[t] for t in order if gain[t] > 0][:MAX_TOPICS]


def _label_list(slugs: Sequence[str]) -> str:
    """'A', 'A und B', 'A, B und C'."""
    labels = [TOPIC_LABELS_DE.get(s, s) for s in slugs]
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " und " + labels[-1]


def _side(me: str, other: str, gets: list[str], gives: list[str]) -> str:
    """The topic sentence from `me`'s point of view."""
    if gets and gives:
        return (
            f"{other} hat Erfahrung mit {_label_list(gets)}, die {me} aufbauen will; "
            f"{me} kann im Gegenzug bei {_label_list(gives)} helfen"
        )
    if gets:
        return f"{other} hat Erfahrung mit {_label_list(gets)}, die {me} aufbauen will"
    if gives:
        return f"{me} kann {other} bei {_label_list(gives)} unterstützen"
    return f"{other} ist ähnlich aufgestellt; noch keine passenden Stärken und Bedarfe angegeben"


def _context(parts: dict) -> list[str]:
    """Context phrases shared by both sides' texts."""
    out = []
    d = parts["distance_km"]
    if d is not None:
        out.append(f"{d:.0f} km entfernt" if d >= 1 else "direkt benachbart")
    if parts["size_factor"] >= 0.85 and parts.get("has_size"):
        out.append("ähnliche Größe")
    if parts["same_kreis"]:
        out.append("im selben Kreis")
    if parts["shared_network"]:
        out.append("gemeinsames Netzwerk")
    if parts["type_complement"]:
        out.append("Kommunentypen ergänzen sich")
    return out


def explain_pair(
    inp: MatchInput, i: int, j: int, names: Sequence[str], params: MatchParams | None = None
) -> Explanation:
    """Explain why j appears in i's list: what each teaches the other, distance, shared context."""
    parts = pair_components(inp, i, j, params)
    n = inp.n
    S = np.nan_to_num(np.asarray(inp.strength, np.float64).reshape(n, -1))
    N = np.nan_to_num(np.asarray(inp.need, np.float64).reshape(n, -1))
    teaches_me = _topics(N[i], S[j])
    learns_from_me = _topics(N[j], S[i])
    pop = None if inp.population is None else np.asarray(inp.population, np.float64)
    parts["has_size"] = bool(pop is not None and pop[i] > 0 and pop[j] > 0)
    ctx = _context(parts)
    text_i = "; ".join([_side(names[i], names[j], teaches_me, learns_from_me), *ctx]) + "."
    text_j = "; ".join([_side(names[j], names[i], learns_from_me, teaches_me), *ctx]) + "."
    return Explanation(text_i, text_j, teaches_me, learns_from_me, parts["distance_km"], parts)
