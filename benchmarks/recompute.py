"""End-to-end recompute benchmark on PostgreSQL: the CLI, its start-up, the engine and the stored bytes,
for this checkout and (with --against) another one, side by side in the same run.

python -m benchmarks.recompute [--against DIR] [--repeat 2] [--seed 7]

For each checkout a fresh PostgreSQL database is migrated by that checkout's own migrations, the
official directory (tests/data, 11,088 matchable Kommunen) imported and every matchable Kommune given
a synthetic profile drawn from the study's figures. Then, as an operator would start them, separate
processes run in that checkout:

- `flask --app wsgi matching status` (start-up: nothing but app creation and one query),
- `flask --app wsgi matching recompute --sync` (CPU of the process, plus the CPU PostgreSQL's
  processes spent meanwhile: the COPY and its checks happen there),
- a probe that times `engine.compute` alone on the same input.

"After start-up" = recompute CPU (process + PostgreSQL) − start-up CPU; the issue's target is that
this stays ≤ 2× the engine's own CPU. Bytes per suggestion come from pg_column_size (the row beyond
its ids) and pg_total_relation_size (table and indexes). PostgreSQL's CPU is read from /proc for all
its processes (with the reaped backends' time), so other work on the machine's PostgreSQL during the
run would count too (noted).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
FULL_DIRECTORY = PROJECT_ROOT / "tests" / "data" / "gv-isys-auszug-2020q4.csv"
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextmanager
def database(kind: str, folder: Path):
    """A fresh database URL of the kind (a SQLite file in `folder`, or a PostgreSQL database that is
    dropped afterwards)."""
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
    """In this process: migrate, import the directory, give every matchable Kommune a synthetic profile."""
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


# Run inside a checkout (cwd), so each side migrates and computes with its own code.
_PREPARE = """
import sys
from pathlib import Path
from benchmarks.recompute import prepare
print(prepare(sys.argv[1], Path(sys.argv[2]), int(sys.argv[4]))[0])
"""

_ENGINE = """
import sys, time
from pathlib import Path
from plattform import create_app
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "INSTANCE_DIR": sys.argv[2]})
with app.app_context():
    from matching import engine
    from plattform.vorschlaege import services
    ctx = services.build_match_input()
    c = time.process_time()
    engine.compute(ctx.inp, services.match_params())
    print(time.process_time() - c)
"""


def _postgres_cpu() -> float:
    """CPU seconds (user + system) of every running postgres process, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        if name.startswith("postgres"):
            fields = stat[stat.rindex(")") + 2 :].split()
            # own and reaped children's time: a backend that ended (the CLI's connection) is counted
            # in its parent's cutime/cstime once the postmaster has waited for it
            total += sum(int(x) for x in fields[11:15]) / tick
    return total


def _run(tree: Path, args: list[str], env: dict) -> tuple[float, float, str]:
    """A process in `tree`: wall seconds, its CPU seconds, stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(args, cwd=tree, env=env, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out.stdout.strip()


def _bytes(url: str) -> tuple[int, float, float]:
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(plain) as conn:
        cols = [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'suggestion'"
        )]  # fmt: skip
        ids = [c for c in cols if c in ("id", "run_id", "kommune_id", "partner_id", "rank")]
        beyond = " + ".join(f"pg_column_size({c})" for c in cols if c not in ids) or "0"
        n, extra = conn.execute(f"SELECT count(*), avg({beyond}) FROM suggestion").fetchone()
        total = conn.execute("SELECT pg_total_relation_size('suggestion')").fetchone()[0]
    return n, float(extra or 0), total / max(n, 1)


def measure(tree: Path, seed: int, repeat: int) -> dict:
    """Every figure for one checkout, on its own fresh database."""
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="km-bench-") as tmp, database("postgres", Path(tmp)) as url:
        env = {**os.environ, "DATABASE_URL": url, "KOMMUNALMATCH_INSTANCE": tmp, "PYTHONPATH": str(tree)}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        n = int(
            _run(tree, [py, "-c", _PREPARE, url, tmp, str(FULL_DIRECTORY), str(seed)], env)[2].split()[-1]
        )
        flask = [py, "-m", "flask", "--app", "wsgi", "matching"]
        _run(tree, [*flask, "status"], env)  # byte-compile once
        startup = min(_run(tree, [*flask, "status"], env)[1] for _ in range(3))
        runs = []
        for _ in range(repeat):
            pg0 = _postgres_cpu()
            wall, cpu, text = _run(tree, [*flask, "recompute", "--sync"], env)
            runs.append((wall, cpu, _postgres_cpu() - pg0, text))
        engine_cpu = min(
            float(_run(tree, [py, "-c", _ENGINE, url, tmp], env)[2].split()[-1]) for _ in range(2)
        )
        rows, extra, total = _bytes(url)
    best = min(runs, key=lambda r: r[1] + r[2])
    return {
        "n": n,
        "startup": startup,
        "wall": best[0],
        "cli_cpu": best[1],
        "pg_cpu": best[2],
        "engine": engine_cpu,
        "rows": rows,
        "bytes_beyond_ids": extra,
        "bytes_total": total,
        "output": best[3],
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", type=Path, help="another checkout (e.g. main before the change)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    from benchmarks.matching import machine

    trees = [("after (this checkout)", PROJECT_ROOT)]
    if args.against:
        trees.insert(0, (f"before ({args.against})", args.against.resolve()))
    results = []
    for label, tree in trees:
        load = os.getloadavg()
        r = measure(tree, args.seed, args.repeat)
        results.append((label, r, load))
        print(f"{label}: {r['output']}", flush=True)
    print()
    header = f"{'':<34}" + "".join(f"{label.split(' ')[0]:>14}" for label, _r, _l in results)
    print(header)

    def row(name, fn, fmt="{:14.2f}"):
        print(f"{name:<34}" + "".join(fmt.format(fn(r)) for _l, r, _ in results))

    row("Kommunen", lambda r: r["n"], "{:14d}")
    row("start-up CPU s (matching status)", lambda r: r["startup"])
    row("recompute wall s", lambda r: r["wall"])
    row("recompute CPU s (CLI process)", lambda r: r["cli_cpu"])
    row("PostgreSQL CPU s meanwhile", lambda r: r["pg_cpu"])
    row("after start-up CPU s", lambda r: r["cli_cpu"] + r["pg_cpu"] - r["startup"])
    row("engine CPU s (compute alone)", lambda r: r["engine"])
    row("after start-up / engine", lambda r: (r["cli_cpu"] + r["pg_cpu"] - r["startup"]) / r["engine"])
    row("suggestions stored", lambda r: r["rows"], "{:14d}")
    row("bytes per row beyond ids", lambda r: r["bytes_beyond_ids"], "{:14.1f}")
    row("bytes per row incl. indexes", lambda r: r["bytes_total"], "{:14.1f}")
    print()
    for label, _r, load in results:
        print(f"load average during {label}: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    for k, v in machine().items():
        print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
