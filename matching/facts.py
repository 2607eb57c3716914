"""The facts that justify a suggestion, computed by the engine's side and stored as a short code.

A suggestion is explained from facts, never from stored sentences: which topics the partner can
teach me and I can teach the partner (with levels, and whether a level was entered or only
estimated from the type test), the distance and whether it rests on approximate coordinates, the
size relation, the same Kreis, shared networks, both types and the score's parts. The web layer
renders them at read time in the reader's language (plattform/vorschlaege/explain.py).

Every qualitative word has one threshold, here in WORDS, used when the facts are computed and
documented in docs/matching.md; the renderer only names what a fact holds.

Code (ASCII, tokens separated by "|", each led by one letter; ~40–60 bytes per suggestion):

    T<tt><l>[e],…   topics the partner can teach me: vocabulary index (2 digits), level 1–3, e = estimated
    L<tt><l>[e],…   topics I can teach the partner (same form)
    D<km>[~] | D?   distance in km, one decimal; ~ = a side's coordinates are approximate; ? = unknown
    G= | G+ | G-    size: similar / partner larger / partner smaller (absent: a population unknown)
    K               same Kreis
    N<n>            number of shared networks
    Y<a><b>         my type and the partner's (index into vocabulary.TYPES, x = unknown)
    E               the partner's profile is only the type-test estimate
    S<comp>,<ctx>,<ign>  the score's parts: complementarity, context factor, ignore factor (3 digits)

The vocabulary's topic order is append-only, so stored indices stay valid. A token the decoder
does not know (a newer engine, an old run) is kept in `Facts.unknown`; the renderer then says a
neutral sentence and logs it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from matching.vocabulary import TOPIC_SLUGS, TYPES

MAX_TOPICS = 3


@dataclass(frozen=True)
class Words:
    """The thresholds behind every qualitative word of an explanation."""

    similar_size_max_ratio: float = 2.0  # "ähnlich groß": the larger population at most twice the smaller
    neighbour_max_km: float = 1.0  # below this the distance is said as "direkt benachbart"


WORDS = Words()


@dataclass(frozen=True)
class TopicFact:
    """One topic one side can teach the other: its level there and whether it is only estimated."""

    slug: str
    level: int
    estimated: bool = False


@dataclass(frozen=True)
class Facts:
    """Why the partner is in my list, as facts (from my point of view)."""

    teaches_me: tuple[TopicFact, ...] = ()
    learns_from_me: tuple[TopicFact, ...] = ()
    distance_km: float | None = None
    distance_approx: bool = False
    size: str | None = None  # "similar" | "larger" | "smaller" (the partner compared with me) | None
    same_kreis: bool = False
    shared_networks: int = 0
    own_type: str | None = None
    partner_type: str | None = None
    partner_estimated: bool = False
    parts: dict[str, float] = field(default_factory=dict)  # comp, context, ignored
    unknown: tuple[str, ...] = ()

    @property
    def complementary_types(self) -> bool:
        """Both types known and different: the study's "D-Team" complement."""
        return bool(self.own_type and self.partner_type and self.own_type != self.partner_type)

    def as_json(self) -> dict:
        """The API's and the CLI's `facts` object."""
        return {
            "teaches_me": [_topic_json(t) for t in self.teaches_me],
            "learns_from_me": [_topic_json(t) for t in self.learns_from_me],
            "distance_km": self.distance_km,
            "distance_approximate": self.distance_approx,
            "size": self.size,
            "same_kreis": self.same_kreis,
            "shared_networks": self.shared_networks,
            "own_type": self.own_type,
            "partner_type": self.partner_type,
            "partner_estimated": self.partner_estimated,
            "score_parts": dict(self.parts),
        }


def _topic_json(t: TopicFact) -> dict:
    return {"topic": t.slug, "level": t.level, "estimated": t.estimated}


# ------------------------------------------------------------------------------------------ encode


def _sig3(x: float) -> str:
    """Three significant digits, short: 0.312, 1, 0.0405."""
    if not math.isfinite(x) or x == 0:
        return "0"
    return f"{x:.3g}"


def _topics_token(letter: str, topics: list[tuple[int, int, bool]]) -> str:
    return letter + ",".join(f"{t:02d}{lvl}{'e' if est else ''}" for t, lvl, est in topics)


def encode(
    teaches_me: list[tuple[int, int, bool]],
    learns_from_me: list[tuple[int, int, bool]],
    distance_km: float | None,
    distance_approx: bool,
    size: str | None,
    same_kreis: bool,
    shared_networks: int,
    own_type: int,
    partner_type: int,
    partner_estimated: bool,
    parts: tuple[float, float, float],
) -> str:
    """One suggestion's facts as its code (see the module docstring)."""
    tokens = []
    if teaches_me:
        tokens.append(_topics_token("T", teaches_me))
    if learns_from_me:
        tokens.append(_topics_token("L", learns_from_me))
    if distance_km is None or not math.isfinite(distance_km):
        tokens.append("D?")
    else:
        tokens.append(f"D{distance_km:.1f}{'~' if distance_approx else ''}")
    if size:
        tokens.append("G" + {"similar": "=", "larger": "+", "smaller": "-"}[size])
    if same_kreis:
        tokens.append("K")
    if shared_networks:
        tokens.append(f"N{shared_networks}")
    a = str(own_type) if 0 <= own_type < len(TYPES) else "x"
    b = str(partner_type) if 0 <= partner_type < len(TYPES) else "x"
    if a != "x" or b != "x":
        tokens.append(f"Y{a}{b}")
    if partner_estimated:
        tokens.append("E")
    tokens.append("S" + ",".join(_sig3(float(v)) for v in parts))
    return "|".join(tokens)


# ------------------------------------------------------------------------------------------ decode


def _decode_topics(body: str) -> tuple[TopicFact, ...]:
    out = []
    for item in body.split(","):
        estimated = item.endswith("e")
        core = item[:-1] if estimated else item
        index, level = int(core[:-1]), int(core[-1])
        if not 0 <= index < len(TOPIC_SLUGS) or not 1 <= level <= 3:
            raise ValueError(item)
        out.append(TopicFact(TOPIC_SLUGS[index], level, estimated))
    return tuple(out)


_SIZE = {"=": "similar", "+": "larger", "-": "smaller"}


def _type(ch: str) -> str | None:
    return TYPES[int(ch)] if ch.isdigit() and int(ch) < len(TYPES) else None


def decode(code: str | None) -> Facts:
    """A stored code back to Facts; tokens it cannot read are collected in `unknown`, never raised."""
    values: dict = {}
    unknown: list[str] = []
    for token in (code or "").split("|"):
        if not token:
            continue
        letter, body = token[0], token[1:]
        try:
            if letter == "T":
                values["teaches_me"] = _decode_topics(body)
            elif letter == "L":
                values["learns_from_me"] = _decode_topics(body)
            elif letter == "D":
                if body != "?":
                    values["distance_approx"] = body.endswith("~")
                    values["distance_km"] = float(body.rstrip("~"))
            elif letter == "G":
                values["size"] = _SIZE[body]
            elif letter == "K" and not body:
                values["same_kreis"] = True
            elif letter == "N":
                values["shared_networks"] = int(body)
            elif letter == "Y" and len(body) == 2:
                values["own_type"], values["partner_type"] = _type(body[0]), _type(body[1])
            elif letter == "E" and not body:
                values["partner_estimated"] = True
            elif letter == "S":
                comp, ctx, ign = (float(x) for x in body.split(","))
                values["parts"] = {"comp": comp, "context": ctx, "ignored": ign}
            else:
                unknown.append(token)
        except (ValueError, KeyError, IndexError):
            unknown.append(token)
    return Facts(**values, unknown=tuple(unknown))


# ----------------------------------------------------------------------------------------- compute


def _top_topics(need: np.ndarray, strength: np.ndarray) -> list[list[int]]:
    """Per pair: topic indices where the learner needs and the teacher is strong, most valuable first."""
    gain = need * strength
    if gain.shape[1] == 0:
        return [[] for _ in range(gain.shape[0])]
    order = np.argsort(-gain, axis=1, kind="stable")[:, :MAX_TOPICS]  # ties: lower topic index first
    count = (np.take_along_axis(gain, order, 1) > 0).sum(1)
    return [row[:c] for row, c in zip(order.tolist(), count.tolist(), strict=True)]


def size_relation(pop_me: float, pop_partner: float, words: Words = WORDS) -> str | None:
    """The one size word a pair may carry, by WORDS.similar_size_max_ratio (None: a size unknown)."""
    if not (pop_me > 0 and pop_partner > 0):
        return None
    ratio = pop_partner / pop_me
    if ratio > words.similar_size_max_ratio:
        return "larger"
    if ratio < 1 / words.similar_size_max_ratio:
        return "smaller"
    return "similar"


def pair_codes(
    inp, terms: dict[str, np.ndarray], rows: np.ndarray, cols: np.ndarray, distance_km
) -> list[str]:
    """Facts codes of the pairs (rows[p], cols[p]) from the row's point of view.

    `terms` are the engine's score parts of the same pairs (engine.pair_terms: the one formula);
    `distance_km` the haversine distances the run stores.
    """
    n = inp.n
    i = np.asarray(rows, dtype=np.int64)
    j = np.asarray(cols, dtype=np.int64)
    if i.size == 0:
        return []
    S = np.clip(np.nan_to_num(np.asarray(inp.strength, np.float32).reshape(n, -1)), 0, 3)
    N = np.clip(np.nan_to_num(np.asarray(inp.need, np.float32).reshape(n, -1)), 0, 3)
    est = _flags(inp, "estimated", n)
    approx = _flags(inp, "coord_approx", n)
    teaches = _top_topics(N[i], S[j])
    learns = _top_topics(N[j], S[i])
    S_int = S.astype(np.int64)
    pop = np.full(n, np.nan) if inp.population is None else np.asarray(inp.population, np.float64)
    kreis = np.full(n, -1) if inp.kreis is None else np.asarray(inp.kreis, np.int64)
    types = np.full(n, -1) if inp.type_idx is None else np.asarray(inp.type_idx, np.int64)
    shared = _shared_networks(inp, i, j)
    dist = np.asarray(distance_km, dtype=np.float64)
    comp = terms["comp"].tolist()
    ctx = np.exp(terms["log_context"]).tolist()
    ign = terms["ignored_factor"].tolist()
    out = []
    for p, (a, b) in enumerate(zip(i.tolist(), j.tolist(), strict=True)):
        d = dist[p]
        out.append(
            encode(
                [(t, int(S_int[b, t]), bool(est[b])) for t in teaches[p]],
                [(t, int(S_int[a, t]), bool(est[a])) for t in learns[p]],
                float(d) if math.isfinite(d) else None,
                bool(approx[a] or approx[b]),
                size_relation(pop[a], pop[b]),
                bool(kreis[a] >= 0 and kreis[a] == kreis[b]),
                int(shared[p]),
                int(types[a]),
                int(types[b]),
                bool(est[b]),
                (comp[p], ctx[p], ign[p]),
            )
        )
    return out


def _flags(inp, name: str, n: int) -> np.ndarray:
    value = getattr(inp, name, None)
    return np.zeros(n, bool) if value is None else np.asarray(value, dtype=bool).reshape(-1)


def _shared_networks(inp, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """How many networks each pair shares (0 without network data)."""
    if inp.networks is None:
        return np.zeros(i.size, np.int64)
    from matching.engine import networks_matrix

    net = networks_matrix(inp.networks, inp.n)
    if net is None:
        return np.zeros(i.size, np.int64)
    return np.asarray(net[i].multiply(net[j]).sum(1)).reshape(-1).astype(np.int64)
