"""The type test: rank up to three digitalisation goals, get the nearest of the study's four types.

The study (KGSt/ÖFIT 2020, Tabelle 1) asked each municipality for its three most important of ten
goals, gave 3/2/1 points for ranks 1/2/3 and clustered the point vectors with k-means. We assign a
respondent exactly as k-means assigns a point: to the nearest cluster centre (Euclidean distance).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from matching.taxonomy import GOAL_CENTRES
from matching.vocabulary import GOAL_LABELS_DE, GOALS, TYPE_LABELS_DE, TYPES

# Points per rank, as in the study: most important 3, second 2, third 1.
RANK_POINTS: tuple[int, ...] = (3, 2, 1)
MAX_GOALS = len(RANK_POINTS)

# A result is "mixed" when the relative distance margin (d2 - d1) / d2 to the two nearest centres is
# below this: the nearest centre is less than 10 % closer than the runner-up. Rankings that put two
# types' leading goals on ranks 1 and 2 fall under it (effizienz, daseinsvorsorge, wirtschaft: between
# Optimierer and Community Manager, margin 0.05), as do rankings made only of the minor goals; a ranking
# led by a type's own top goal and completed with goals of the same type does not (margin > 0.4).
MIXED_THRESHOLD = 0.10

_GOAL_POS: dict[str, int] = {g: i for i, g in enumerate(GOALS)}


class TypeTestError(ValueError):
    """Raised for an invalid ranking, with a German message for the form and the field it concerns."""

    def __init__(self, message_de: str, field: str = "ziele") -> None:
        super().__init__(message_de)
        self.message_de = message_de
        self.field = field


@dataclass(frozen=True)
class TypeResult:
    """The outcome of the type test, with enough detail to explain it to the user."""

    typ: str
    confidence: float
    distances: dict[str, float]
    second: str
    mixed: bool
    label_de: str


def validate_ranking(ranked_goals: Sequence[str]) -> tuple[str, ...]:
    """Check a ranking (1–3 distinct known goal slugs) and return it as a tuple."""
    if isinstance(ranked_goals, str | bytes) or not isinstance(ranked_goals, Sequence):
        raise TypeTestError("Bitte die Ziele als Liste angeben.")
    goals = tuple(ranked_goals)
    if not goals:
        raise TypeTestError("Bitte mindestens ein Digitalisierungsziel auswählen.")
    if len(goals) > MAX_GOALS:
        raise TypeTestError(
            f"Bitte höchstens {MAX_GOALS} Digitalisierungsziele auswählen, nicht {len(goals)}."
        )
    seen: set[str] = set()
    for rank, goal in enumerate(goals, start=1):
        field = f"ziel_{rank}"
        if not isinstance(goal, str) or goal not in _GOAL_POS:
            raise TypeTestError(f"Unbekanntes Digitalisierungsziel {goal!r}.", field)
        if goal in seen:
            raise TypeTestError(f"Das Ziel „{GOAL_LABELS_DE[goal]}“ wurde mehrfach ausgewählt.", field)
        seen.add(goal)
    return goals


def points_from_ranking(ranked_goals: Sequence[str]) -> np.ndarray:
    """Turn a ranking into the study's 10-dimensional point vector (3/2/1 points for ranks 1/2/3)."""
    goals = validate_ranking(ranked_goals)
    points = np.zeros(len(GOALS), dtype=float)
    for goal, pts in zip(goals, RANK_POINTS, strict=False):
        points[_GOAL_POS[goal]] = pts
    return points


def classify_points(points: np.ndarray) -> TypeResult:
    """Assign a point vector to its nearest cluster centre, as k-means does."""
    dist = np.linalg.norm(GOAL_CENTRES - np.asarray(points, dtype=float)[None, :], axis=1)
    order = np.argsort(dist, kind="stable")
    d1, d2 = float(dist[order[0]]), float(dist[order[1]])
    # Relative margin: 1 when the point sits on a centre, 0 when two centres are equally near.
    confidence = 1.0 if d2 <= 0.0 else max(0.0, min(1.0, (d2 - d1) / d2))
    typ, second = TYPES[order[0]], TYPES[order[1]]
    mixed = confidence < MIXED_THRESHOLD
    label = f"zwischen {_short_label(typ)} und {_short_label(second)}" if mixed else TYPE_LABELS_DE[typ]
    return TypeResult(
        typ=typ,
        confidence=confidence,
        distances={t: float(d) for t, d in zip(TYPES, dist, strict=True)},
        second=second,
        mixed=mixed,
        label_de=label,
    )


def classify(ranked_goals: Sequence[str]) -> TypeResult:
    """Run the type test on a ranking of 1–3 goals (most important first)."""
    return classify_points(points_from_ranking(ranked_goals))


_SHORT_LABELS_DE: dict[str, str] = {
    "bedaechtige": "Bedächtige",
    "optimierer": "Optimierer",
    "serviceorientierte": "Serviceorientierte",
    "community-manager": "Community Manager",
}


def _short_label(typ: str) -> str:
    """Short German type name for the mixed label 'zwischen Optimierer und Serviceorientierte'."""
    return _SHORT_LABELS_DE[typ]
