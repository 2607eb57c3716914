"""Matching benchmark: quality on a synthetic Germany with planted partners, speed, memory.

python -m benchmarks.matching [--groups 300] [--seed 7] [--repeat 5]
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
from pathlib import Path

import numpy as np

from matching import engine
from matching.evaluation import build_input, evaluate, plant_groups
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
    """Every Gemeinde with inhabitants plus every Kreis (at its population-weighted centroid)."""
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
    for k in extract.kreise:
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


def main(argv: list[str] | None = None) -> int:
    """Print quality, speed and memory figures."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--groups", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=5)
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
        )
        engine.compute(child)
        print(_peak_rss_kib())

        return 0

    ags, _names, kinds, pop, lat, lon = load_germany()
    facts = [
        KommuneFacts(a, k, int(p), float(la), float(lo))
        for a, k, p, la, lo in zip(ags, kinds, pop, lat, lon, strict=True)
    ]
    profiles, types = draw_profiles_with_types(facts, args.seed)
    inp = build_input(ags, kinds, pop, lat, lon, profiles, types)
    planted = plant_groups(inp, args.groups, seed=args.seed, eligible=np.array([k != "kreis" for k in kinds]))
    params = engine.MatchParams()
    print(f"Kommunen: {inp.n}, Themen: {inp.strength.shape[1]}, gepflanzte Gruppen: {len(planted.groups)}")

    table = evaluate(inp, planted, params)
    print("\n| Verfahren | Precision@5 | NDCG@10 | Abdeckung (≥3) | Gegenseitigkeit | Gini der Nennungen |")
    print("|---|---|---|---|---|---|")
    for name, row in table.items():
        print(
            f"| {name} | {row['precision@5']:.3f} | {row['ndcg@10']:.3f} | {row['coverage']:.3f} "
            f"| {row['reciprocity']:.3f} | {row['gini']:.3f} |"
        )
    print("(Precision@5 kann höchstens 0,6 erreichen: jede Kommune hat 3 gepflanzte Idealpartner.)")

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
