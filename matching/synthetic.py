"""Synthetic profiles for demos, benchmarks and the matching evaluation, drawn from the study's figures.

Each Kommune gets a type drawn from the study's type shares for its kind (KGSt/ÖFIT 2020, Tabelle 2),
a goal ranking drawn around that type's cluster centre (Tabelle 1, so the type test mostly recovers
the type), strengths and needs drawn from the per-type topic shares (Tabellen 4–16) and persona cards,
a few projects, the forms of co-operation it is open for, and a reach that grows with its size.
Seeded with a numpy Generator: the same inputs and seed give the same profiles.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from matching.profiles import ProfileData, ProjectEntry
from matching.taxonomy import (
    GOAL_CENTRES,
    HANDLUNGSFELD_TYPE_SHARES,
    PERSONA_CAN_TEACH,
    PERSONA_WANTS_TO_LEARN,
    TYPE_SHARE_BY_KIND,
    topic_share_matrix,
)
from matching.vocabulary import (
    GOALS,
    HANDLUNGSFELDER,
    OPEN_FOR,
    PROJECT_STATUSES,
    TOPIC_INDEX,
    TOPIC_LABELS_DE,
    TOPIC_SLUGS,
    TOPICS,
    TYPES,
)

# Sharpness of the goal draw: log-weight = GOAL_SHARPNESS * centre value. At 2.0 a type's leading goal
# (centre ~2.5–2.9) is ranked first by most members, while the others still vary, as in a survey.
GOAL_SHARPNESS = 2.0
# Base probabilities of holding a strength / need in a topic, before the type and size adjustments.
BASE_STRENGTH_P = 0.10
BASE_NEED_P = 0.09
PERSONA_STRENGTH_BONUS = 0.15
PERSONA_NEED_BONUS = 0.20
# Level distribution 1/2/3 for strengths and needs; persona topics lean towards 3.
LEVEL_P = np.array([0.40, 0.35, 0.25])
PERSONA_LEVEL_P = np.array([0.15, 0.35, 0.50])
STATUS_P = np.array([0.35, 0.45, 0.20])  # geplant, laufend, abgeschlossen
OPEN_FOR_P = np.array([0.85, 0.60, 0.70])  # lernpartnerschaft, gemeinsames-projekt, nachnutzung
# Fachverfahren are the typical shared projects ("the dog tax digitised twelve times", seed 003).
FACHVERFAHREN: tuple[str, ...] = tuple(t.slug for t in TOPICS if t.group == "Fachverfahren")
# Fields of action the study did not tabulate by type get this share (percent) in the draw.
UNTABULATED_FIELD_SHARE = 8.0


@dataclass(frozen=True)
class KommuneFacts:
    """What the directory knows about a Kommune: enough to draw a plausible profile."""

    ags: str
    kind: str  # "kreis" | "stadt" | "gemeinde"
    population: int
    lat: float
    lon: float


def _size_factor(population: np.ndarray) -> np.ndarray:
    """Bigger Kommunen have more strengths and projects: 0.5 at 1,000 inhabitants, ~1.2 at 100,000."""
    return np.clip(0.5 + 0.35 * np.log10(np.maximum(population, 100) / 1000.0), 0.35, 1.7)


def _reach_km(kind: str, population: int, jitter: float) -> int:
    """Reach grows with size; Kreise look across their neighbours. Rounded to 5 km."""
    base = 80.0 if kind == "kreis" else 20.0 + 12.0 * math.log10(max(population, 100) / 1000.0)
    km = max(10.0, min(200.0, base * jitter))
    return int(5 * round(km / 5))


def _probabilities() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-type strength/need probabilities and persona masks over all topics."""
    shares, measured = topic_share_matrix()
    n_types, n_topics = shares.shape
    mean = shares.mean(axis=0)
    # Relative share of a type against the mean over types (1 = average); unmeasured topics stay at 1.
    rel = np.ones_like(shares)
    safe = measured & (mean > 0)
    rel[:, safe] = (shares[:, safe] + 1.0) / (mean[safe] + 1.0)
    teach = np.zeros((n_types, n_topics), dtype=bool)
    learn = np.zeros((n_types, n_topics), dtype=bool)
    for k, typ in enumerate(TYPES):
        teach[k, [TOPIC_INDEX[t] for t in PERSONA_CAN_TEACH[typ]]] = True
        learn[k, [TOPIC_INDEX[t] for t in PERSONA_WANTS_TO_LEARN[typ]]] = True
    p_strength = np.clip(BASE_STRENGTH_P * rel, 0.02, 0.4) + PERSONA_STRENGTH_BONUS * teach
    p_need = np.clip(BASE_NEED_P / rel, 0.02, 0.4) + PERSONA_NEED_BONUS * learn
    return p_strength, p_need, teach, learn


def _field_log_weights() -> np.ndarray:
    """Log-weights [type, field] for drawing Handlungsfelder from Tabelle 4."""
    w = np.full((len(TYPES), len(HANDLUNGSFELDER)), UNTABULATED_FIELD_SHARE)
    for j, slug in enumerate(HANDLUNGSFELDER):
        if slug in HANDLUNGSFELD_TYPE_SHARES:
            w[:, j] = HANDLUNGSFELD_TYPE_SHARES[slug]
    return np.log(w + 1.0)


def _top_k_gumbel(rng: np.random.Generator, log_w: np.ndarray, k: int) -> np.ndarray:
    """Draw k items without replacement per row with probability ∝ exp(log_w) (Gumbel top-k trick)."""
    keys = log_w + rng.gumbel(size=log_w.shape)
    return np.argsort(-keys, axis=1, kind="stable")[:, :k]


def draw_profiles_with_types(
    kommunen: Sequence[KommuneFacts], seed: int
) -> tuple[list[ProfileData], list[str]]:
    """Draw one profile per Kommune and return the drawn (true) type of each alongside."""
    rng = np.random.default_rng(seed)
    n = len(kommunen)
    if n == 0:
        return [], []
    kinds = [k.kind for k in kommunen]
    for i, kind in enumerate(kinds):
        if kind not in ("kreis", "stadt", "gemeinde"):
            raise ValueError(f"Kommune {kommunen[i].ags}: unbekannte Art {kind!r}.")
    population = np.array([k.population for k in kommunen], dtype=float)

    # Type from Tabelle 2, per kind.
    share = np.array([TYPE_SHARE_BY_KIND[kind] for kind in kinds]) / 100.0
    cum = np.cumsum(share / share.sum(axis=1, keepdims=True), axis=1)
    types_idx = (rng.random(n)[:, None] > cum).sum(axis=1).clip(0, len(TYPES) - 1)

    # Goals: three, drawn around the type's centre (Tabelle 1).
    goals_idx = _top_k_gumbel(rng, GOAL_SHARPNESS * GOAL_CENTRES[types_idx], 3)
    n_goals = rng.choice([1, 2, 3], size=n, p=[0.03, 0.07, 0.90])
    fields_idx = _top_k_gumbel(rng, _field_log_weights()[types_idx], 3)
    n_fields = rng.integers(1, 4, size=n)

    # Strengths and needs: independent Bernoulli per topic, scaled by size for strengths.
    p_strength, p_need, teach, learn = _probabilities()
    size = _size_factor(population)
    ps = np.clip(p_strength[types_idx] * size[:, None], 0.0, 0.9)
    pn = np.clip(p_need[types_idx], 0.0, 0.9)
    has_s = rng.random(ps.shape) < ps
    has_n = (rng.random(pn.shape) < pn) & ~has_s  # a Kommune does not need what it is strong in
    u_level = rng.random(ps.shape)
    persona_s = teach[types_idx]
    persona_n = learn[types_idx]
    cum_base, cum_persona = np.cumsum(LEVEL_P), np.cumsum(PERSONA_LEVEL_P)
    lvl_s = (
        np.where(
            persona_s, (u_level[..., None] > cum_persona).sum(-1), (u_level[..., None] > cum_base).sum(-1)
        )
        + 1
    )
    u_level_n = rng.random(pn.shape)
    lvl_n = (
        np.where(
            persona_n, (u_level_n[..., None] > cum_persona).sum(-1), (u_level_n[..., None] > cum_base).sum(-1)
        )
        + 1
    )
    lvl_s = lvl_s.clip(1, 3)
    lvl_n = lvl_n.clip(1, 3)

    # Projects: Poisson count by size; topics from own needs, strengths and the Fachverfahren.
    n_projects = np.minimum(rng.poisson(0.9 * size), 3)
    status_idx = rng.choice(len(PROJECT_STATUSES), size=(n, 3), p=STATUS_P)
    pick_u = rng.random((n, 3))
    open_mask = rng.random((n, len(OPEN_FOR))) < OPEN_FOR_P
    jitter = rng.uniform(0.75, 1.25, size=n)

    profiles: list[ProfileData] = []
    topic_slugs = TOPIC_SLUGS
    for i, facts in enumerate(kommunen):
        s_idx = np.flatnonzero(has_s[i])
        n_idx = np.flatnonzero(has_n[i])
        staerken = {topic_slugs[j]: int(lvl_s[i, j]) for j in s_idx}
        bedarfe = {topic_slugs[j]: int(lvl_n[i, j]) for j in n_idx}
        pool = [topic_slugs[j] for j in n_idx] + [topic_slugs[j] for j in s_idx] + list(FACHVERFAHREN)
        projekte = []
        used: set[str] = set()
        for m in range(int(n_projects[i])):
            thema = pool[int(pick_u[i, m] * len(pool))]
            if thema in used:
                continue
            used.add(thema)
            projekte.append(
                ProjectEntry(
                    thema=thema,
                    status=PROJECT_STATUSES[int(status_idx[i, m])],
                    titel=TOPIC_LABELS_DE[thema],
                )
            )
        offen = tuple(o for o, flag in zip(OPEN_FOR, open_mask[i], strict=True) if flag) or OPEN_FOR[:1]
        profiles.append(
            ProfileData(
                ags=facts.ags,
                ziele=tuple(GOALS[g] for g in goals_idx[i, : n_goals[i]]),
                handlungsfelder=tuple(HANDLUNGSFELDER[f] for f in fields_idx[i, : n_fields[i]]),
                staerken=staerken,
                bedarfe=bedarfe,
                projekte=tuple(projekte),
                offen_fuer=offen,
                reichweite_km=_reach_km(facts.kind, facts.population, float(jitter[i])),
            )
        )
    return profiles, [TYPES[k] for k in types_idx]


def draw_profiles(kommunen: Sequence[KommuneFacts], seed: int) -> list[ProfileData]:
    """Draw one plausible profile per Kommune from the study's figures (seeded, repeatable)."""
    return draw_profiles_with_types(kommunen, seed)[0]
