"""Shared-project proposals on the full directory: how long propose_projects takes.

python -m benchmarks.projekte [--interest 0.26] [--seed 7] [--repeat 3]

Profiles are drawn from the study's distributions (matching.synthetic, about 10 % of Kommunen
interested per topic); --interest adds a need of 1 to random Kommunen until that share of all
Kommunen is interested in every topic (0 keeps the drawn profiles).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from benchmarks.matching import load_germany, machine
from matching.projekte import STATUS_CODES, TopicStates, propose_projects
from matching.synthetic import KommuneFacts, draw_profiles
from matching.vocabulary import TOPIC_SLUGS


def build_states(seed: int = 7, interest: float = 0.0) -> TopicStates:
    """Every Gemeinde and Kreis of the directory with a drawn profile, as TopicStates."""
    ags, names, kinds, pop, lat, lon = load_germany()
    facts = [
        KommuneFacts(a, k, int(p), float(la), float(lo))
        for a, k, p, la, lo in zip(ags, kinds, pop, lat, lon, strict=True)
    ]
    profiles = draw_profiles(facts, seed)
    col = {s: i for i, s in enumerate(TOPIC_SLUGS)}
    n, t = len(ags), len(TOPIC_SLUGS)
    need = np.zeros((n, t), np.int8)
    strength = np.zeros((n, t), np.int8)
    project = np.zeros((n, t), np.int8)
    reach = np.zeros(n)
    for r, prof in enumerate(profiles):
        for slug, level in prof.bedarfe.items():
            need[r, col[slug]] = level
        for slug, level in prof.staerken.items():
            strength[r, col[slug]] = level
        for entry in prof.projekte:
            project[r, col[entry.thema]] = STATUS_CODES[entry.status]
        reach[r] = prof.reichweite_km
    # a kreisfreie Stadt's Kreis key + "000" is its own AGS: Kreise keep their 5-digit key here
    ags = [a[:5] if k == "kreis" else a for a, k in zip(ags, kinds, strict=True)]
    states = TopicStates(
        ags=tuple(ags),
        names=tuple(names),
        lat=lat,
        lon=lon,
        reach_km=reach,
        need=need,
        strength=strength,
        project=project,
        kreis=tuple(a[:5] for a in ags),
    )
    if interest > 0:
        rng = np.random.default_rng(seed + 1)
        for c in range(t):
            now = states.interested(c)
            missing = int(interest * n) - int(now.sum())
            if missing > 0:
                need[rng.choice(np.flatnonzero(~now), missing, replace=False), c] = 1
        states = TopicStates(**{**states.__dict__, "need": need})
    return states


def main(argv: list[str] | None = None) -> int:
    """Print the time of propose_projects over all topics (wall and CPU, best and median)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--interest", type=float, default=0.26)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    states = build_states(args.seed, args.interest)
    share = np.mean([states.interested(c).mean() for c in range(len(states.topics))])
    print(f"Kommunen: {states.n}, Themen: {len(states.topics)}, interessiert je Thema: {share:.1%}")
    walls, cpus = [], []
    for _ in range(args.repeat):
        c, t = time.process_time(), time.perf_counter()
        proposals = propose_projects(states)
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    print(f"Vorschläge: {len(proposals)}")
    print(
        f"propose_projects: {min(walls):.2f} s (Median {statistics.median(walls):.2f} s), "
        f"CPU {min(cpus):.2f} s (Median {statistics.median(cpus):.2f} s)"
    )
    print("\nMaschine:")
    for k, v in machine().items():
        print(f"  {k}: {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
