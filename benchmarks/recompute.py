"""End-to-end recompute benchmark: `flask --app wsgi matching recompute --sync` on the full directory.

python -m benchmarks.recompute [--backends sqlite,postgres] [--repeat 3] [--seed 7]

For each backend a fresh database (a SQLite file in a temporary folder; a temporary PostgreSQL
database that is dropped afterwards) is migrated, the official directory (../shared/data) imported and
every matchable Kommune given a synthetic profile drawn from the study's figures. Then the CLI runs as
a separate process, as an operator would start it, `--repeat` times (from the second run on, it also
prunes the run before last, as in steady state). Wall time and peak RSS of that process are reported,
plus a breakdown of one recompute into its phases measured in-process.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
FULL_DIRECTORY = PROJECT_ROOT.parent / "shared" / "data" / "gv-isys-auszug-2020q4.csv"
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextmanager
def database(kind: str, folder: Path):
    """A fresh database URL of the kind; PostgreSQL databases are dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'bench.db'}"
        return
    import psycopg

    name = f"km_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_app(url: str, folder: Path):
    """The app on the benchmark database, Celery eager in this process."""
    from plattform import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_DIR": str(folder),
            "CELERY": {
                "task_always_eager": True,
                "broker_url": "memory://",
                "result_backend": "cache+memory://",
            },
        }
    )


def kommune_facts(kommunen) -> list:
    """What matching.synthetic draws a profile from, for directory rows (or rows shaped like them)."""
    from matching.synthetic import KommuneFacts

    return [
        KommuneFacts(
            ags=k.ags,
            kind="kreis"
            if k.ebene == "kreis"
            else ("gemeinde" if k.kind in ("gemeinde", "markt") else "stadt"),
            population=k.population or 1,
            lat=k.lat if k.lat is not None else 51.0,
            lon=k.lon if k.lon is not None else 10.0,
        )
        for k in kommunen
    ]


def prepare(url: str, folder: Path, seed: int) -> tuple[int, float]:
    """Migrate, import the directory, give every matchable Kommune a synthetic profile."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from matching.synthetic import draw_profiles
    from plattform.extensions import db
    from plattform.kommunen.models import Kommune
    from plattform.kommunen.services import import_gv_file, matchable_filter
    from plattform.profile.bulk import import_profiles

    app = bench_app(url, folder)
    with app.app_context():
        upgrade()
        import_gv_file(FULL_DIRECTORY)
        kommunen = db.session.scalars(sa.select(Kommune).where(matchable_filter()).order_by(Kommune.id)).all()
        facts = kommune_facts(kommunen)
        t0 = time.perf_counter()
        import_profiles(draw_profiles(facts, seed))
        seconds = time.perf_counter() - t0
        db.session.remove()
        db.engine.dispose()
    return len(facts), seconds


def run_cli(url: str, folder: Path) -> tuple[float, float, str]:
    """`flask --app wsgi matching recompute --sync` as its own process: wall and CPU seconds, output."""
    env = {**os.environ, "DATABASE_URL": url, "KOMMUNALMATCH_INSTANCE": str(folder)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "matching", "recompute", "--sync"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out.stdout.strip()


def phases(url: str, folder: Path) -> dict[str, tuple[float, float]]:
    """One recompute in-process, phase by phase (the same calls recompute_full makes)."""
    from matching import engine
    from plattform.extensions import db
    from plattform.vorschlaege import services

    app = bench_app(url, folder)
    out: dict[str, tuple[float, float]] = {}
    with app.app_context():
        t, c = time.perf_counter(), time.process_time()
        params = services.match_params()
        run_id = services.start_run("voll", params, mode="einzeln", blocks=1)
        ctx = services.build_match_input()
        out["read input from the database"] = (time.perf_counter() - t, time.process_time() - c)
        t, c = time.perf_counter(), time.process_time()
        result = engine.compute(ctx.inp, params)
        out["engine (compute)"] = (time.perf_counter() - t, time.process_time() - c)
        t, c = time.perf_counter(), time.process_time()
        rows = services.suggestion_rows(run_id, ctx, result)
        out[f"explanations + rows ({len(rows)})"] = (time.perf_counter() - t, time.process_time() - c)
        t, c = time.perf_counter(), time.process_time()
        services.write_suggestions(rows)
        out["insert (COPY or executemany, chunks of 20,000)"] = (
            time.perf_counter() - t,
            time.process_time() - c,
        )
        t, c = time.perf_counter(), time.process_time()
        gini = engine.gini(engine.appearances(result.idx, ctx.inp.n))
        arrays = services.SuggestionRunArrays(run_id=run_id, pool_npz=services._pool_blob(ctx, result))
        db.session.add(arrays)
        db.session.commit()
        services._swap(run_id, ctx.inp.n, gini)
        services.prune_runs()
        out["pools + swap + prune"] = (time.perf_counter() - t, time.process_time() - c)
        db.session.remove()
        db.engine.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if not FULL_DIRECTORY.exists():
        print(f"{FULL_DIRECTORY} fehlt", file=sys.stderr)
        return 2
    from benchmarks.matching import machine

    for kind in args.backends.split(","):
        with tempfile.TemporaryDirectory(prefix="km-bench-") as tmp:
            folder = Path(tmp)
            with database(kind, folder) as url:
                n, seed_s = prepare(url, folder, args.seed)
                load = os.getloadavg()[0]
                print(
                    f"\n== {kind}: {n} Kommunen, profiles written in {seed_s:.1f} s, load average {load:.1f}"
                )
                times = []
                for r in range(args.repeat):
                    seconds, cpu, text = run_cli(url, folder)
                    times.append(seconds)
                    print(f"  run {r + 1}: {seconds:.2f} s wall, {cpu:.2f} s CPU (process) | {text}")
                rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
                print(
                    f"  best {min(times):.2f} s, median {statistics.median(times):.2f} s, "
                    f"peak RSS {rss:.0f} MiB"
                )
                for name, (seconds, cpu) in phases(url, folder).items():
                    print(f"    {name:<45} {seconds:6.2f} s wall {cpu:6.2f} s CPU")
    print()
    for k, v in machine().items():
        print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
