"""Officers' behaviour over twelve simulated weeks: what each ignore-decay choice does to the funnel.

python -m benchmarks.officers [--seed 7] [--weeks 12] [--lands 05,06]

A seeded simulation on the directory's Kommunen of some Länder with profiles drawn from the study.
Each week a share of the officers opens the list; of the top five shown, each suggestion is
contacted, declined or ignored with probabilities that grow with the pair's fit (the engine's own
teach_in and mutual terms, pair_terms). Whether an officer is interested in a partner at all is drawn
once per pair (more likely the better the fit): an uninterested officer never writes, so repeated
ignores carry information. A contact request is accepted with a probability that grows
with what the other side gains. Contacted, accepted and declined pairs leave the lists (they are
partners or in contact, or declined: excluded); ignored pairs sink by the decay under test.

Policies: none (ignoring changes nothing), old (0.5^count · 0.5^(age/60), floor 0.05, never
recovers), new (matching.engine.ignore_factor: 0.7 per ignore, floor 0.25, back to 1 after 56 days
unseen), stricter (0.5, floor 0.1, 112 days), milder (0.85, floor 0.5, 28 days). Every policy sees
the same random stream, so differences come from the policy.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np

from matching import engine
from matching.coordinates import fill_missing

P_OPEN = 0.6  # share of officers who open their list in a given week
TOP = 5  # suggestions an officer looks at


def _old(count, age_days, _since):
    return np.clip(0.5**count * 0.5 ** (np.maximum(age_days, 0) / 60.0), 0.05, 1.0)


POLICIES: dict[str, Callable | None] = {
    "keine": None,
    "alt (0,5^n·Alter)": _old,
    "neu (0,7; ≥0,25; 56 Tage)": lambda c, _a, s: engine.ignore_factor(c, s),
    "strenger (0,5; ≥0,1; 112 Tage)": lambda c, _a, s: engine.ignore_factor(c, s, 112.0, 0.5, 0.1),
    "milder (0,85; ≥0,5; 28 Tage)": lambda c, _a, s: engine.ignore_factor(c, s, 28.0, 0.85, 0.5),
}


def build_region(seed: int, lands: tuple[str, ...]) -> engine.MatchInput:
    """The directory's Kommunen of some Länder with drawn profiles (as in benchmarks.matching)."""
    from benchmarks.matching import load_germany
    from matching.evaluation import build_input
    from matching.synthetic import KommuneFacts, draw_profiles_with_types

    ags, _names, kinds, pop, lat, lon = load_germany()
    keep = [r for r, a in enumerate(ags) if a[:2] in lands]
    ags = [ags[r] for r in keep]
    kinds = [kinds[r] for r in keep]
    pop, lat, lon = pop[keep], lat[keep], lon[keep]
    facts = [
        KommuneFacts(a, k, int(p), float(la), float(lo))
        for a, k, p, la, lo in zip(ags, kinds, pop, lat, lon, strict=True)
    ]
    profiles, types = draw_profiles_with_types(facts, seed)
    inp = build_input(ags, kinds, pop, lat, lon, profiles, types)
    inp.lat, inp.lon, inp.coord_approx = fill_missing(inp.ags, inp.lat, inp.lon)
    return inp


def simulate(base: engine.MatchInput, policy: Callable | None, weeks: int, seed: int) -> dict[str, float]:
    """Run the weekly loop under one ignore policy; the funnel and list figures."""
    rng = np.random.default_rng(seed)
    n = base.n
    latent = np.random.default_rng(seed + 1).random((n, n))  # per pair, fixed: is i interested in j?
    params = engine.MatchParams()
    ign_count: dict[tuple[int, int], int] = {}
    first_shown: dict[tuple[int, int], int] = {}
    last_shown: dict[tuple[int, int], int] = {}
    excluded: set[tuple[int, int]] = set()
    requests = accepted = declined = 0
    prev_top: np.ndarray | None = None
    turnover, two_way = [], []
    for week in range(weeks):
        day = 7 * week
        inp = engine.MatchInput(**{**base.__dict__})
        if excluded:
            inp.exclude = np.array(sorted(excluded), np.int64)
        if policy is not None and ign_count:
            pairs = np.array(list(ign_count), np.int64)
            count = np.array([ign_count[tuple(p)] for p in pairs.tolist()], float)
            age = np.array([day - first_shown[tuple(p)] for p in pairs.tolist()], float)
            since = np.array([day - last_shown[tuple(p)] for p in pairs.tolist()], float)
            inp.ignored, inp.ignored_factor = pairs, np.asarray(policy(count, age, since), np.float32)
        result = engine.compute(inp, params)
        top = result.idx[:, :TOP]
        if prev_top is not None:  # share of a top five that is new since last week
            changed = [len(set(top[i]) - set(prev_top[i])) / TOP for i in range(n) if (top[i] >= 0).all()]
            turnover.append(float(np.mean(changed)))
        prev_top = top
        prep = engine.prepare(inp, params)
        rows = np.repeat(np.arange(n), TOP)
        cols = top.reshape(-1)
        ok = cols >= 0
        terms = engine.pair_terms(prep, rows[ok], cols[ok])
        two_way.append(float((terms["mutual"] > 0).mean()))
        # the officers' week: the random stream is drawn in full, whatever the lists hold
        opens = rng.random(n) < P_OPEN
        u_act = rng.random(ok.sum())
        u_acc = rng.random(ok.sum())
        fit = np.clip(0.6 * terms["mutual"] + 0.4 * terms["teach_in"], 0, 1)
        interested = latent[rows[ok], cols[ok]] < 0.3 + 0.5 * fit
        p_contact = np.where(interested, 0.05 + 0.35 * fit, 0.0)
        p_decline = 0.03 + 0.05 * (1 - fit)
        p_accept = np.clip(0.3 + 0.6 * terms["teach_out"] + 0.4 * terms["mutual"], 0, 0.95)
        for pos, (i, j) in enumerate(zip(rows[ok].tolist(), cols[ok].tolist(), strict=True)):
            if not opens[i]:
                continue
            key = (i, j)
            first_shown.setdefault(key, day)
            last_shown[key] = day
            if u_act[pos] < p_contact[pos]:
                requests += 1
                excluded.add(key)
                if u_acc[pos] < p_accept[pos]:
                    accepted += 1
            elif u_act[pos] < p_contact[pos] + p_decline[pos]:
                declined += 1
                excluded.add(key)
            else:
                ign_count[key] = ign_count.get(key, 0) + 1
    return {
        "requests": requests,
        "accepted": accepted,
        "declined": declined,
        "turnover": float(np.mean(turnover)) if turnover else 0.0,
        "two_way_first": two_way[0],
        "two_way_last": two_way[-1],
    }


def main(argv: list[str] | None = None) -> int:
    """Print the funnel per policy."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--weeks", type=int, default=12)
    ap.add_argument("--lands", default="05", help="Länder by AGS prefix, comma-separated (05 = NRW)")
    args = ap.parse_args(argv)
    base = build_region(args.seed, tuple(args.lands.split(",")))
    print(f"Kommunen: {base.n}, Wochen: {args.weeks}, Anteil, der die Liste öffnet: {P_OPEN:.0%}")
    print(
        "\n| Umgang mit Ignorierten | Kontaktanfragen | angenommen | abgelehnt | "
        "neue Einträge der Top 5 je Woche | zweiseitig Woche 1 | zweiseitig letzte Woche |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, policy in POLICIES.items():
        r = simulate(base, policy, args.weeks, args.seed)
        print(
            f"| {name} | {r['requests']} | {r['accepted']} | {r['declined']} | {r['turnover']:.1%} "
            f"| {r['two_way_first']:.1%} | {r['two_way_last']:.1%} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
