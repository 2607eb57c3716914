"""Matching benchmark: quality on a synthetic Germany with planted partners, speed, memory.

python -m benchmarks.matching [--groups 300] [--seed 7] [--repeat 5] [--against DIR] [--quick]

The world: every Gemeinde and Kreis of the directory (each kreisfreie Stadt once), profiles drawn
from the study, planted ideal partner groups, 20 % of the other Kommunen with only the type-test
estimate of their type, 3 % without coordinates. `--against DIR` loads DIR/matching/engine.py (an
older checkout) by path and prints its figures beside this checkout's; it gets only the input fields
it knows (no estimate flags, the missing coordinates left missing).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from matching import engine
from matching.evaluation import Planted, build_input, evaluate, plant_groups, trust_report
from matching.synthetic import KommuneFacts, draw_profiles_with_types


def _find_directory() -> Path:
    """../shared/data next to the checkout; a git worktree (/work/wt/NAME) sits one level deeper."""
    for parent in Path(__file__).resolve().parents[1:4]:
        candidate = parent / "shared" / "data" / "gv-isys-auszug-2020q4.csv"
        if candidate.exists():
            return candidate
    return Path(__file__).resolve().parents[2] / "shared" / "data" / "gv-isys-auszug-2020q4.csv"


GV_ISYS = _find_directory()


def load_germany(path: Path = GV_ISYS):
    """Every Gemeinde with inhabitants plus every Kreis (at its population-weighted centroid); a
    kreisfreie Stadt appears once (it is its own Kreis, with the same AGS)."""
    from plattform.kommunen.gvisys import read_gv_isys

    extract = read_gv_isys(path)
    gem = [g for g in extract.kommunen if (g.population or 0) > 0]
    ags, names, kinds, pop, lat, lon = [], [], [], [], [], []
    for g in gem:
        ags.append(g.ags)
        names.append(g.name)
        kinds.append("gemeinde" if g.kind in ("gemeinde", "markt") else "stadt")
        pop.append(g.population)
        lat.append(g.lat if g.lat is not None else np.nan)
        lon.append(g.lon if g.lon is not None else np.nan)
    by_kreis: dict[str, list[int]] = {}
    for r, a in enumerate(ags):
        by_kreis.setdefault(a[:5], []).append(r)
    pop_a, lat_a, lon_a = np.array(pop, float), np.array(lat), np.array(lon)
    known = set(ags)
    for k in extract.kreise:
        if k.schluessel + "000" in known:  # a kreisfreie Stadt: already there as a Gemeinde, same AGS
            continue
        rows = np.array(by_kreis.get(k.schluessel, []), int)
        ok = rows[np.isfinite(lat_a[rows])] if rows.size else rows
        w = pop_a[ok]
        ags.append(k.schluessel + "000")
        names.append(k.name)
        kinds.append("kreis")
        pop.append(int(pop_a[rows].sum()) if rows.size else 0)
        lat.append(float((lat_a[ok] * w).sum() / w.sum()) if w.sum() > 0 else np.nan)
        lon.append(float((lon_a[ok] * w).sum() / w.sum()) if w.sum() > 0 else np.nan)
    return ags, names, kinds, np.array(pop, float), np.array(lat), np.array(lon)


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    blas = "?"
    try:
        from threadpoolctl import threadpool_info

        infos = [i for i in threadpool_info() if i.get("user_api") == "blas" and "numpy" in i["filepath"]]
        if infos:
            i = infos[0]
            arch, threads = i.get("architecture"), i["num_threads"]
            blas = f"{i['internal_api']} {i.get('version')} ({arch}, {threads} threads)"
    except ImportError:
        pass
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "numpy": np.__version__,
        "blas": blas,
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
        "python": platform.python_version(),
    }


def _peak_rss_kib() -> int:
    """Peak resident set of this process image in KiB: VmHWM (reset by exec), else ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def bare_blas(inp: engine.MatchInput, block: int) -> float:
    """Reference: the plain N×T @ T×N product, row block by row block, same shape as the engine's."""
    a, b = inp.need.astype(np.float32), inp.strength.astype(np.float32)
    out = np.empty((block, inp.n), np.float32)
    t = time.perf_counter()
    for s in range(0, inp.n, block):
        blk = a[s : s + block]
        np.matmul(blk, b.T, out=out[: blk.shape[0]])
    return time.perf_counter() - t


ESTIMATE_SHARE = 0.20  # Kommunen with only the type-test estimate (the test population)
NO_COORD_SHARE = 0.03  # Kommunen without coordinates


@dataclass
class World:
    """The benchmark's Germany: the engine input as this checkout sees it, plus the truth."""

    inp: engine.MatchInput  # profiles as entered (estimates for the estimate-only), coordinates filled
    planted: Planted
    estimated: np.ndarray
    no_coord: np.ndarray
    true_lat: np.ndarray
    true_lon: np.ndarray
    kinds: list[str]


def build_world(
    seed: int, groups: int, estimate_share: float = ESTIMATE_SHARE, no_coord_share: float = NO_COORD_SHARE
) -> World:
    """Directory + drawn profiles + planted groups + estimate-only Kommunen + missing coordinates."""
    from matching.coldstart import estimate_profile
    from matching.vocabulary import TOPIC_INDEX

    ags, _names, kinds, pop, lat, lon = load_germany()
    facts = [
        KommuneFacts(a, k, int(p), float(la), float(lo))
        for a, k, p, la, lo in zip(ags, kinds, pop, lat, lon, strict=True)
    ]
    profiles, types = draw_profiles_with_types(facts, seed)
    inp = build_input(ags, kinds, pop, lat, lon, profiles, types)
    planted = plant_groups(inp, groups, seed=seed, eligible=np.array([k != "kreis" for k in kinds]))
    rng = np.random.default_rng(seed + 12)
    n = inp.n
    free = np.ones(n, bool)
    free[list(planted.relevant)] = False  # planted members keep their entered profiles and places
    estimated = free & (rng.random(n) < estimate_share / free.mean())
    for r in np.nonzero(estimated)[0]:
        est = estimate_profile(types[r])
        inp.strength[r] = 0
        inp.need[r] = 0
        for slug, lvl in est.staerken.items():
            inp.strength[r, TOPIC_INDEX[slug]] = lvl
        for slug, lvl in est.bedarfe.items():
            inp.need[r, TOPIC_INDEX[slug]] = lvl
    no_coord = free & np.isfinite(inp.lat) & (rng.random(n) < no_coord_share / free.mean())
    true_lat, true_lon = inp.lat.copy(), inp.lon.copy()
    inp.lat[no_coord] = np.nan
    inp.lon[no_coord] = np.nan
    return World(inp, planted, estimated, no_coord, true_lat, true_lon, list(kinds))


def load_engine_from(checkout: Path):
    """DIR/matching/engine.py as a module of its own (pure numpy/scipy, runs with this venv)."""
    import importlib.util

    path = Path(checkout) / "matching" / "engine.py"
    spec = importlib.util.spec_from_file_location("engine_before", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["engine_before"] = mod
    spec.loader.exec_module(mod)
    return mod


def run_engine(mod, world: World, current: bool) -> tuple[np.ndarray, np.ndarray | None, float]:
    """Lists (n×k), capacities and CPU seconds of one full compute with engine module `mod`."""
    src = world.inp
    fields = {
        "lat": src.lat,
        "lon": src.lon,
        "population": src.population,
        "kind": src.kind,
        "kreis": src.kreis,
        "type_idx": src.type_idx,
        "reach_km": src.reach_km,
    }
    if current:
        from matching.coordinates import fill_missing

        lat, lon, approx = fill_missing(src.ags, src.lat, src.lon)
        fields.update(lat=lat, lon=lon, coord_approx=approx, estimated=world.estimated)
    inp = mod.MatchInput(list(src.ags), src.strength.copy(), src.need.copy(), **fields)
    params = mod.MatchParams()
    t = time.process_time()
    result = mod.compute(inp, params)
    cpu = time.process_time() - t
    return result.idx, mod.capacities(inp, params), cpu


TRUST_ROWS = [
    ("Precision@5 (gepflanzt)", "precision@5", "≥ vorher", "{:.3f}"),
    ("NDCG@10", "ndcg@10", "", "{:.3f}"),
    ("Abdeckung (≥3)", "coverage", "", "{:.3f}"),
    ("Gegenseitigkeit", "reciprocity", "", "{:.3f}"),
    ("Gini der Nennungen", "gini", "≤ 0,35", "{:.3f}"),
    ("Max. Nennungen / Kapazität", "max_appearances", "≤ Kapazität", None),
    ("Nie vorgeschlagen", "never_suggested", "≤ 2 %", "{:.1%}"),
    ("Plätze der Nur-Schätzung (Anteil an Kommunen)", "estimate_slot_share", "≤ 1,2×", None),
    ("Median-Entfernung ohne Koordinaten / übrige (km)", "median_km_no_coordinates", "≤ 2×", None),
    ("Top 5 lehren ≥ 3 Themen (wo möglich)", "diverse_top5", "", "{:.1%}"),
]


def _cell(key: str, fmt: str | None, row: dict) -> str:
    if key == "max_appearances":
        return f"{row['max_appearances']:.0f} / {row['cap']:.0f}"
    if key == "estimate_slot_share":
        share, pop = row["estimate_slot_share"], row["estimate_population_share"]
        if pop == 0:
            return "–"
        return f"{share:.1%} ({pop:.1%}; {share / pop:.2f}×)"
    if key == "median_km_no_coordinates":
        a, b = row["median_km_no_coordinates"], row["median_km_others"]
        if not np.isfinite(a):
            return f"– / {b:.0f}"
        return f"{a:.0f} / {b:.0f} ({a / b:.1f}×)"
    return fmt.format(row[key])


def compare(world: World, against: Path | None) -> dict[str, dict]:
    """Run this checkout's engine (and the other checkout's) and print the trust table."""
    runs = {}
    if against is not None:
        runs["vorher"] = (load_engine_from(against), False)
    runs["nachher"] = (engine, True)
    table, cpu = {}, {}
    for name, (mod, current) in runs.items():
        idx, cap, cpu[name] = run_engine(mod, world, current)
        table[name] = trust_report(
            world.inp,
            idx,
            cap,
            world.planted,
            estimated=world.estimated,
            no_coord=world.no_coord,
            true_lat=world.true_lat,
            true_lon=world.true_lon,
        )
    names = list(table)
    print("\n| Kennzahl | " + " | ".join(names) + " | Ziel |")
    print("|---|" + "---|" * len(names) + "---|")
    for label, key, target, fmt in TRUST_ROWS:
        cells = " | ".join(_cell(key, fmt, table[n]) for n in names)
        print(f"| {label} | {cells} | {target} |")
    cells = " | ".join(f"{cpu[n]:.2f}" for n in names)
    print(f"| CPU-Sekunden einer vollen Berechnung (process_time) | {cells} | |")
    return table


def main(argv: list[str] | None = None) -> int:
    """Print quality, speed and memory figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--groups", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--against", type=Path, help="an older checkout to compare with (its matching/)")
    ap.add_argument("--estimates", type=float, default=ESTIMATE_SHARE, help="share of estimate-only")
    ap.add_argument("--no-coords", type=float, default=NO_COORD_SHARE, help="share without coordinates")
    ap.add_argument("--quick", action="store_true", help="only the tables, no speed and memory runs")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        d = np.load(args.child)
        ags = [str(i) for i in range(d["S"].shape[0])]
        child = engine.MatchInput(
            ags,
            d["S"],
            d["N"],
            lat=d["lat"],
            lon=d["lon"],
            population=d["pop"],
            kind=d["kind"],
            kreis=d["kreis"],
            type_idx=d["t"],
            reach_km=d["r"],
            estimated=d["e"],
        )
        engine.compute(child)
        print(_peak_rss_kib())

        return 0

    world = build_world(args.seed, args.groups, args.estimates, args.no_coords)
    inp, planted = world.inp, world.planted
    print(
        f"Kommunen: {inp.n}, Themen: {inp.strength.shape[1]}, gepflanzte Gruppen: {len(planted.groups)}, "
        f"nur Typtest-Schätzung: {world.estimated.mean():.0%}, ohne Koordinaten: {world.no_coord.mean():.0%}"
    )
    compare(world, args.against)
    from matching.coordinates import fill_missing

    inp.lat, inp.lon, inp.coord_approx = fill_missing(inp.ags, inp.lat, inp.lon)
    inp.estimated = world.estimated
    params = engine.MatchParams()

    table = evaluate(inp, planted, params)
    print("\n| Verfahren | Precision@5 | NDCG@10 | Abdeckung (≥3) | Gegenseitigkeit | Gini der Nennungen |")
    print("|---|---|---|---|---|---|")
    for name, row in table.items():
        print(
            f"| {name} | {row['precision@5']:.3f} | {row['ndcg@10']:.3f} | {row['coverage']:.3f} "
            f"| {row['reciprocity']:.3f} | {row['gini']:.3f} |"
        )
    print("(Precision@5 kann höchstens 0,6 erreichen: jede Kommune hat 3 gepflanzte Idealpartner.)")
    if args.quick:
        return 0

    # speed: alternate reference and engine so both see the same machine load; report the best run
    engine.compute(inp, params)
    refs, runs = [], []
    for _ in range(args.repeat):
        refs.append(bare_blas(inp, params.block_rows))
        t = time.perf_counter()
        result = engine.compute(inp, params)
        runs.append(time.perf_counter() - t)
    ref, run = min(refs), min(runs)
    print(f"\nVolle Neuberechnung: {run:.3f} s (Median {statistics.median(runs):.3f} s)")
    print(f"BLAS-Referenz N×T @ T×N blockweise: {ref:.3f} s (Median {statistics.median(refs):.3f} s)")
    print(f"Verhältnis Engine/BLAS (beste Läufe): {run / ref:.1f}×")

    upd = []
    rng = np.random.default_rng(args.seed)
    for i in rng.choice(inp.n, 20, replace=False):
        inp.strength[i] = np.roll(inp.strength[i], 1)
        t = time.perf_counter()
        result = engine.update_one(inp, result, int(i))
        upd.append(time.perf_counter() - t)
    print(
        f"Einzelne Profiländerung (update_one): Median {statistics.median(upd) * 1000:.1f} ms, "
        f"max {max(upd) * 1000:.1f} ms"
    )

    tracemalloc.start()
    engine.compute(inp, params)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"Spitzenspeicher der Berechnung (tracemalloc, numpy-Puffer): {peak / 2**20:.0f} MiB")
    # the whole process of a bare recompute (interpreter, numpy, BLAS, input, result), in a fresh child
    np.savez(
        tmp := Path(tempfile.mkdtemp()) / "inp.npz",
        S=inp.strength,
        N=inp.need,
        lat=inp.lat,
        lon=inp.lon,
        pop=inp.population,
        kind=inp.kind,
        kreis=inp.kreis,
        t=inp.type_idx,
        r=inp.reach_km,
        e=inp.estimated,
    )
    # RUSAGE_CHILDREN, and even the child's own ru_maxrss, keep the high-water mark of the forked
    # copy of this (large) process from before exec: the child reports VmHWM of its own memory
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.matching", "--child", str(tmp)], check=True, capture_output=True
    )
    rss = int(out.stdout.split()[-1]) / 1024
    print(f"Spitzenspeicher eines Prozesses, der nur neu berechnet (max RSS): {rss:.0f} MiB")
    print("\nMaschine:")
    for k, v in machine().items():
        print(f"  {k}: {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
