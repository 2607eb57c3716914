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
    S<comp>,<ctx>,<ign>  the score's parts: complementarity, context factor, ignore factor, each in
                         ten-thousandths

The vocabulary's topic order is append-only, so stored indices stay valid. A token the decoder
does not know (a newer engine, an old run) is kept in `Facts.unknown`; the renderer then says a
neutral sentence and logs it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.dtypes import StringDType

from matching.vocabulary import TOPIC_SLUGS, TYPES

MAX_TOPICS = 3


@dataclass(frozen=True)
class Words:
    """The thresholds behind every qualitative word of an explanation."""

    similar_size_max_ratio: float = 2.0  # "ähnlich groß": the larger population at most twice the smaller
    neighbour_max_km: float = 1.0  # below this the distance is said as "direkt benachbart"
    # The card's fit word (fit_level): "sehr gut" needs topics entered on both sides and a context
    # factor of at least this (distance within both reaches, sizes not far apart); "gut" one side's topics.
    strong_min_context: float = 0.5
    # "Lage und Umfeld sprechen dafür" from this context factor up; below weak_context "schwächen ab".
    good_context: float = 1.0
    weak_context: float = 0.5


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

    def seen_from_partner(self) -> Facts:
        """The same pair's facts from the partner's side: who teaches whom and the size swapped.

        The score's parts and the estimate flag belong to one direction and are left out (the
        partner's own stored suggestion, where there is one, is the better source)."""
        swapped_size = {"larger": "smaller", "smaller": "larger"}.get(self.size or "", self.size)
        return Facts(
            teaches_me=self.learns_from_me,
            learns_from_me=self.teaches_me,
            distance_km=self.distance_km,
            distance_approx=self.distance_approx,
            size=swapped_size,
            same_kreis=self.same_kreis,
            shared_networks=self.shared_networks,
            own_type=self.partner_type,
            partner_type=self.own_type,
            partner_estimated=any(t.estimated for t in self.learns_from_me),
            unknown=self.unknown,
        )

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


FIT_LEVELS = ("stark", "gut", "moeglich")


def fit_level(facts: Facts, words: Words = WORDS) -> str:
    """The card's one word for how well a pair fits, by WORDS (docs/matching.md):

    "stark": each side can teach the other a topic it entered itself (not only estimated), and the
    context factor (distance within both reaches, size) is at least WORDS.strong_min_context;
    "gut": at least one side can teach the other something; "moeglich": suggested by place alone.
    """
    entered_in = any(not t.estimated for t in facts.teaches_me)
    entered_out = any(not t.estimated for t in facts.learns_from_me)
    context = facts.parts.get("context", 1.0) if facts.parts else 1.0
    if entered_in and entered_out and context >= words.strong_min_context:
        return "stark"
    if facts.teaches_me or facts.learns_from_me:
        return "gut"
    return "moeglich"


def _topic_json(t: TopicFact) -> dict:
    return {"topic": t.slug, "level": t.level, "estimated": t.estimated}


# ------------------------------------------------------------------------------------------ encode


PART_SCALE = 10_000  # the score's parts are stored as whole ten-thousandths


def _part(x: float) -> str:
    """A score part in ten-thousandths: 0.312 → "3120" (NaN and ±inf → "0")."""
    return str(round(x * PART_SCALE)) if math.isfinite(x) else "0"


def _tenths(d: float) -> str:
    """A distance with one decimal, by the same integer arithmetic as the vectorised encoder."""
    t = int(np.round(d * 10))
    return f"{t // 10}.{t % 10}"


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
        tokens.append(f"D{_tenths(distance_km)}{'~' if distance_approx else ''}")
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
    tokens.append("S" + ",".join(_part(float(v)) for v in parts))
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
                # ten-thousandths; codes of earlier runs wrote decimals
                comp, ctx, ign = (float(x) if "." in x else int(x) / PART_SCALE for x in body.split(","))
                values["parts"] = {"comp": comp, "context": ctx, "ignored": ign}
            else:
                unknown.append(token)
        except (ValueError, KeyError, IndexError):
            unknown.append(token)
    return Facts(**values, unknown=tuple(unknown))


# ----------------------------------------------------------------------------------------- compute


def _top3(gain: np.ndarray) -> np.ndarray:
    """Per pair the (up to) MAX_TOPICS topic indices of positive gain, largest first, ties to the
    lower index (argmax takes the first maximum); -1 where fewer topics gain."""
    g = gain.copy()
    out = np.full((g.shape[0], MAX_TOPICS), -1, np.int64)
    if g.shape[1] == 0:
        return out
    rows = np.arange(g.shape[0])
    for k in range(MAX_TOPICS):
        best = np.argmax(g, axis=1)
        ok = g[rows, best] > 0
        out[ok, k] = best[ok]
        g[rows, best] = -1
    return out


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


def _pair_topics(need: dict[str, int], strength: dict[str, int], estimated: bool) -> tuple[TopicFact, ...]:
    """The (up to) MAX_TOPICS topics the teacher's strengths meet the learner's needs in, best first,
    ties in vocabulary order (as pair_codes chooses them)."""
    order = {slug: r for r, slug in enumerate(TOPIC_SLUGS)}
    gains = [
        (-(need[t] * strength[t]), order[t], t)
        for t in need
        if t in order and need[t] > 0 and strength.get(t, 0) > 0
    ]
    return tuple(TopicFact(t, int(strength[t]), estimated) for _g, _o, t in sorted(gains)[:MAX_TOPICS])


def facts_for_pair(
    me: dict,
    partner: dict,
    distance_km: float | None,
    distance_approx: bool = False,
    same_kreis: bool = False,
) -> Facts:
    """The facts of a pair no stored run holds (e.g. a contact request from outside the lists),
    from `me`'s side. Each side is a dict with "strength" and "need" (topic → 1–3), "estimated",
    "population" and "type"; the score's parts are not computed here."""
    return Facts(
        teaches_me=_pair_topics(me["need"], partner["strength"], bool(partner.get("estimated"))),
        learns_from_me=_pair_topics(partner["need"], me["strength"], bool(me.get("estimated"))),
        distance_km=None if distance_km is None or not math.isfinite(distance_km) else round(distance_km, 1),
        distance_approx=distance_approx,
        size=size_relation(me.get("population") or 0, partner.get("population") or 0),
        same_kreis=same_kreis,
        own_type=me.get("type") if me.get("type") in TYPES else None,
        partner_type=partner.get("type") if partner.get("type") in TYPES else None,
        partner_estimated=bool(partner.get("estimated")),
    )


def _text(values) -> np.ndarray:
    return np.asarray(values).astype(StringDType())


def _when(cond: np.ndarray, text: np.ndarray | str) -> np.ndarray:
    """`text` where cond holds, else the empty string."""
    return np.where(cond, text, _text(np.array([""]))[0]).astype(StringDType())


def _topic_tokens(letter: str, topics: np.ndarray, levels: np.ndarray, estimated: np.ndarray) -> np.ndarray:
    """The T… / L… token of every pair ("" without topics), as encode writes it."""
    code = _text(np.array([""] * topics.shape[0]))
    est = _when(estimated, "e")
    for k in range(topics.shape[1]):
        has = topics[:, k] >= 0
        item = np.char.zfill(_text(np.maximum(topics[:, k], 0)), 2) + _text(levels[:, k]) + est
        sep = _when(code != "", ",")
        code = np.where(has, code + sep + item, code).astype(StringDType())
    return np.where(code != "", letter + code, code).astype(StringDType())


def pair_codes(
    inp, terms: dict[str, np.ndarray], rows: np.ndarray, cols: np.ndarray, distance_km
) -> list[str]:
    """Facts codes of the pairs (rows[p], cols[p]) from the row's point of view, vectorised: the same
    strings `encode` writes pair by pair (a test holds them equal).

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
    S_int = S.astype(np.int64)
    est = _flags(inp, "estimated", n)
    approx = _flags(inp, "coord_approx", n)
    teach = _top3(N[i] * S[j])
    learn = _top3(N[j] * S[i])
    codes = [
        _topic_tokens("T", teach, np.take_along_axis(S_int[j], np.maximum(teach, 0), 1), est[j]),
        _topic_tokens("L", learn, np.take_along_axis(S_int[i], np.maximum(learn, 0), 1), est[i]),
    ]
    d = np.asarray(distance_km, dtype=np.float64)
    known = np.isfinite(d)
    tenths = np.round(np.where(known, d, 0.0) * 10).astype(np.int64)
    dist = "D" + _text(tenths // 10) + "." + _text(tenths % 10) + _when(approx[i] | approx[j], "~")
    codes.append(np.where(known, dist, _text(np.array(["D?"]))[0]).astype(StringDType()))
    pop = np.full(n, np.nan) if inp.population is None else np.asarray(inp.population, np.float64)
    pa, pb = pop[i], pop[j]
    sized = (pa > 0) & (pb > 0)
    ratio = np.divide(pb, pa, out=np.ones_like(pb), where=sized)
    limit = WORDS.similar_size_max_ratio
    size = np.where(ratio > limit, "G+", np.where(ratio < 1 / limit, "G-", "G="))
    codes.append(_when(sized, _text(size)))
    kreis = np.full(n, -1) if inp.kreis is None else np.asarray(inp.kreis, np.int64)
    codes.append(_when((kreis[i] >= 0) & (kreis[i] == kreis[j]), "K"))
    shared = _shared_networks(inp, i, j)
    codes.append(_when(shared > 0, "N" + _text(shared)))
    types = np.full(n, -1) if inp.type_idx is None else np.asarray(inp.type_idx, np.int64)
    ta, tb = types[i], types[j]
    ok_a, ok_b = (ta >= 0) & (ta < len(TYPES)), (tb >= 0) & (tb < len(TYPES))
    ca = np.where(ok_a, _text(np.maximum(ta, 0)), "x").astype(StringDType())
    cb = np.where(ok_b, _text(np.maximum(tb, 0)), "x").astype(StringDType())
    codes.append(_when(ok_a | ok_b, "Y" + ca + cb))
    codes.append(_when(est[j], "E"))

    def part(x):
        x = np.asarray(x, dtype=np.float64)
        return _text(np.where(np.isfinite(x), np.round(x * PART_SCALE), 0).astype(np.int64))

    ctx = np.exp(np.asarray(terms["log_context"], np.float64))
    codes.append("S" + part(terms["comp"]) + "," + part(ctx) + "," + part(terms["ignored_factor"]))
    out = codes[0]
    for token in codes[1:]:
        sep = _when((out != "") & (token != ""), "|")
        out = (out + sep + token).astype(StringDType())
    return out.tolist()


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
