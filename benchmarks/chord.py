"""Chord benchmark: one full recompute of N Kommunen through one and through two Celery workers.

python -m benchmarks.chord [--n 100000] [--workers 1,2] [--block-rows 6000] [--repeat 2] [--seed 7]

Set-up, in a temporary PostgreSQL database that is dropped at the end: the official directory
(../shared/data) is imported and topped up to N matchable Kommunen with SYNTHETIC Gemeinden. They are
marked as such: AGS 9kkkkggg (no Land has the key 9x), name "Synthetische Gemeinde <AGS>", stand
"synthetisch (benchmarks.chord)"; in groups of 30 (one synthetic Kreis key each) around a centre
drawn from the real Gemeinden's coordinates (so they spread over Germany as the real ones do), with
populations drawn from the real Gemeinden's. Every matchable Kommune gets a profile drawn by
matching.synthetic (is_demo = true), written with COPY: the profile row (type test result included)
and its topic rows; projects are left out (the matching does not read them), and import_profiles
would need ~30 minutes for 100,000 profiles.

Then, for every worker count W (configurations interleaved, `--repeat` rounds): W real `celery
worker` processes (tests.services.celery_worker: prefork, concurrency 1 each, started with
OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=MKL_NUM_THREADS=1, so one worker uses one core) consume a Redis
queue of their own; the previous run's rows are truncated (untimed, so every run starts from the
same state and its prune deletes nothing); `vorschlaege.recompute_all` is sent and the run is
awaited until "fertig". MATCHING_CHORD_MIN_ROWS=1, so a small --n also takes the chord.

Figures, from the workers' log lines (timestamps and Celery's "succeeded in") against the moment the
task was sent: freeze (recompute_all: read the input, freeze it in the run, send the blocks), the
parallel part (first score_block start to last score_block done; the sum of the blocks' own times
shows the work), the hand-over (last block done to callback start: Redis collects the block results,
sends them as the callback's arguments, the worker passes them to its pool process) and the serial
callback merge_blocks (merge and exposure only), then the fanned-out writing (first write_block start
to last write_block done: facts and COPY in parallel) and the small swap_run; "whole" is task sent to
swap_run done.
Peak RSS (VmHWM) of each worker's pool process is read before the workers stop. The tasks' results
and the queue's Redis keys are removed and the database dropped at the end, also after an error or
Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from benchmarks.recompute import FULL_DIRECTORY, database

SYNTHETIC_PREFIX = "9"  # AGS 9xxxxxxx: Land keys are 01–16
SYNTHETIC_STAND = "synthetisch (benchmarks.chord)"
GROUP = 30  # synthetic Gemeinden per synthetic Kreis key (real Kreise: ~27 Gemeinden on average)
THREAD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
LOG_LINE = re.compile(
    r"^\[(?P<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}): \w+/[\w-]+\] "
    r"Task (?P<task>vorschlaege\.\w+)\[(?P<id>[0-9a-f-]+)\] (?:received|succeeded in (?P<secs>[\d.e-]+)s)"
)


def _app(url: str, folder: Path, queue: str):
    """The web side's app: same database, same Redis broker and queue as the workers, not eager."""
    from plattform import create_app
    from tests.services import REDIS_URL

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_DIR": str(folder),
            "CELERY": {
                "task_always_eager": False,
                "broker_url": REDIS_URL,
                "result_backend": REDIS_URL,
                "task_default_queue": queue,
                # as the workers (CELERY_QUEUE=queue): their results are stored under the queue's name
                "result_backend_transport_options": {"global_keyprefix": f"{queue}:"},
            },
        }
    )


def _raw(url: str):
    """A plain psycopg connection to the benchmark database (for COPY)."""
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1))


def prepare(url: str, folder: Path, queue: str, n: int, seed: int) -> dict:
    """Migrate, import the directory, add synthetic Gemeinden up to n matchable, write all profiles."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from plattform.extensions import db
    from plattform.kommunen.models import Kommune
    from plattform.kommunen.services import import_gv_file, matchable_filter

    info: dict = {}
    app = _app(url, folder, queue)
    with app.app_context():
        t0 = time.perf_counter()
        upgrade()
        import_gv_file(FULL_DIRECTORY)
        info["directory_s"] = time.perf_counter() - t0
        real = db.session.execute(
            sa.select(Kommune.lat, Kommune.lon, Kommune.population, Kommune.land_schluessel).where(
                matchable_filter(),
                Kommune.ebene == "gemeinde",
                Kommune.lat.is_not(None),
                Kommune.population > 0,
            )
        ).all()
        info["real"] = db.session.scalar(sa.select(sa.func.count()).where(matchable_filter()))
        db.session.remove()
        db.engine.dispose()

    rng = np.random.default_rng(seed)
    extra = max(0, n - info["real"])
    info["synthetic"] = extra
    t0 = time.perf_counter()
    now = datetime.now(UTC)
    with _raw(url) as conn:
        if extra:
            groups = math.ceil(extra / GROUP)
            centre = rng.integers(0, len(real), groups)  # a real Gemeinde per synthetic Kreis key
            c_lat = np.array([real[c].lat for c in centre]) + rng.normal(0, 0.08, groups)
            c_lon = np.array([real[c].lon for c in centre]) + rng.normal(0, 0.12, groups)
            pops = np.array([r.population for r in real])[rng.integers(0, len(real), extra)]
            lat = np.repeat(c_lat, GROUP)[:extra] + rng.normal(0, 0.12, extra)  # ~13 km around it
            lon = np.repeat(c_lon, GROUP)[:extra] + rng.normal(0, 0.18, extra)
            with (
                conn.cursor() as cur,
                cur.copy(
                    "COPY kommune (ags, ebene, name, name_search, kind, land_schluessel, population,"
                    " lat, lon, stand, active, updated_at) FROM STDIN"
                ) as copy,
            ):
                for i in range(extra):
                    ags = f"{SYNTHETIC_PREFIX}{i // GROUP:04d}{i % GROUP:03d}"
                    name = f"Synthetische Gemeinde {ags}"
                    land = real[centre[i // GROUP]].land_schluessel
                    place = (int(pops[i]), float(lat[i]), float(lon[i]))
                    copy.write_row(
                        (
                            ags,
                            "gemeinde",
                            name,
                            name.lower(),
                            "gemeinde",
                            land,
                            *place,
                            SYNTHETIC_STAND,
                            True,
                            now,
                        )
                    )
            conn.commit()
        info["kommunen_s"] = time.perf_counter() - t0

    with app.app_context():
        t0 = time.perf_counter()
        kommunen = db.session.execute(
            sa.select(
                Kommune.id,
                Kommune.ags,
                Kommune.ebene,
                Kommune.kind,
                Kommune.population,
                Kommune.lat,
                Kommune.lon,
            )
            .where(matchable_filter())
            .order_by(Kommune.id)
        ).all()
        db.session.remove()
        db.engine.dispose()
    with _raw(url) as conn:
        _write_profiles(conn, kommunen, seed, now)
        conn.execute("ANALYZE")
        conn.commit()
    info["profiles"], info["profiles_s"] = len(kommunen), time.perf_counter() - t0
    return info


def _write_profiles(conn, kommunen: list, seed: int, now: datetime) -> None:
    """A drawn profile (matching.synthetic) for each Kommune, written with COPY (no projects)."""
    from benchmarks.recompute import kommune_facts
    from matching.synthetic import draw_profiles
    from matching.typology import classify

    facts = kommune_facts(kommunen)  # as benchmarks.recompute.prepare draws them
    profiles = draw_profiles(facts, seed)
    with (
        conn.cursor() as cur,
        cur.copy(
            "COPY profile (kommune_id, ziele, typ, typ_confidence, typ_mixed_with, handlungsfelder,"
            " offen_fuer, reichweite_km, estimated, is_demo, created_at, updated_at) FROM STDIN"
        ) as copy,
    ):
        for k, p in zip(kommunen, profiles, strict=True):
            t = classify(p.ziele)  # the type test, as profile.services._fill applies it
            typ = (t.typ, t.confidence, t.second if t.mixed else None)
            lists = (json.dumps(list(p.handlungsfelder)), json.dumps(list(p.offen_fuer)))
            copy.write_row(
                (k.id, json.dumps(list(p.ziele)), *typ, *lists, p.reichweite_km, False, True, now, now)
            )
    profile_of = dict(conn.execute("SELECT kommune_id, id FROM profile").fetchall())
    with (
        conn.cursor() as cur,
        cur.copy("COPY profile_topic (profile_id, thema, staerke, bedarf) FROM STDIN") as copy,
    ):
        for k, p in zip(kommunen, profiles, strict=True):
            for thema in sorted(set(p.staerken) | set(p.bedarfe)):
                copy.write_row((profile_of[k.id], thema, p.staerken.get(thema), p.bedarfe.get(thema)))
    conn.commit()


def check_profiles(url: str, folder: Path, queue: str) -> int:
    """How many Kommunen the recompute will cover; each must have its profile."""
    import sqlalchemy as sa

    from plattform.extensions import db
    from plattform.vorschlaege import services

    with _app(url, folder, queue).app_context():
        n = services.count_matchable()
        with_profile = db.session.scalar(sa.text("SELECT count(*) FROM profile"))
        db.session.remove()
        db.engine.dispose()
    if with_profile != n:
        raise RuntimeError(f"{with_profile} Profile für {n} abgleichbare Kommunen")
    return n


def _vm_hwm_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _pool_children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _events(logs: list[Path]) -> list[tuple[float, str, str, float | None]]:
    """(unix time, task, 'received'|'done', own seconds) from the workers' log lines."""
    out = []
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            m = LOG_LINE.match(line)
            if m:
                at = datetime.strptime(m["at"], "%Y-%m-%d %H:%M:%S,%f").timestamp()  # local time
                secs = float(m["secs"]) if m["secs"] else None
                out.append((at, m["task"], "received" if secs is None else "done", secs))
    return sorted(out)


def timeline(sent: float, logs: list[Path]) -> dict:
    """The run's phases from the log lines, in seconds after the task was sent."""
    ev = _events(logs)
    blocks = [
        (at, secs) for at, task, kind, secs in ev if task == "vorschlaege.score_block" and kind == "done"
    ]
    (freeze_done,) = [
        at for at, task, kind, _ in ev if task == "vorschlaege.recompute_all" and kind == "done"
    ]
    ((cb_done, cb_secs),) = [
        (at, secs) for at, task, kind, secs in ev if task == "vorschlaege.merge_blocks" and kind == "done"
    ]
    writes = [
        (at, secs) for at, task, kind, secs in ev if task == "vorschlaege.write_block" and kind == "done"
    ]
    ((swap_done, _swap_secs),) = [
        (at, secs) for at, task, kind, secs in ev if task == "vorschlaege.swap_run" and kind == "done"
    ]
    first_start = min(at - secs for at, secs in blocks)
    last_done = max(at for at, _ in blocks)
    return {
        "blocks": len(blocks),
        "freeze": freeze_done - sent,
        "parallel": last_done - first_start,
        "block_sum": sum(secs for _, secs in blocks),
        "block_max": max(secs for _, secs in blocks),
        "handover": (cb_done - cb_secs) - last_done,
        "callback": cb_secs,
        "writes": (max(at for at, _ in writes) - min(at - secs for at, secs in writes)) if writes else 0.0,
        "whole": swap_done - sent,
    }


def one_run(url: str, folder: Path, queue: str, workers: int, block_rows: int, timeout: float) -> dict:
    """Start `workers` workers, recompute through the chord once, return the timeline and peak RSS."""
    import sqlalchemy as sa

    from plattform.extensions import db
    from plattform.vorschlaege.models import SuggestionRun
    from plattform.vorschlaege.tasks import recompute_all
    from tests.services import REDIS_URL, celery_worker

    env = {
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_RESULT_BACKEND": REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "KOMMUNALMATCH_INSTANCE": str(folder),
        "MATCHING_CHORD_MIN_ROWS": "1",
        "MATCHING_CHORD_BLOCK_ROWS": str(block_rows),
        **THREAD_ENV,
    }
    stamp = uuid.uuid4().hex[:6]
    logs = [folder / f"worker-{workers}-{stamp}-{w}.log" for w in range(workers)]
    app = _app(url, folder, queue)
    with ExitStack() as stack, app.app_context():
        # every run starts from the same state: no earlier run (untimed)
        db.session.execute(
            sa.text("TRUNCATE suggestion, suggestion_run_arrays, matching_state, suggestion_run")
        )
        db.session.commit()
        procs = [stack.enter_context(celery_worker(env, queue, log, concurrency=1)) for log in logs]
        load_before = os.getloadavg()
        sent = time.time()
        started = recompute_all.apply_async(queue=queue).get(timeout=600)
        while True:
            db.session.remove()
            run = db.session.get(SuggestionRun, started["run_id"])
            if run.status != "laeuft":
                break
            if time.time() - sent > timeout:
                raise TimeoutError(f"Lauf {run.id} nach {timeout:.0f} s nicht fertig")
            time.sleep(0.2)
        if run.status != "fertig":
            raise RuntimeError(f"Lauf {run.id}: {run.status}: {run.error}")
        suggestions = db.session.scalar(sa.select(sa.func.count()).select_from(sa.text("suggestion")))
        while not any(t == "vorschlaege.swap_run" and k == "done" for _, t, k, _ in _events(logs)):
            if time.time() - sent > timeout:  # its "succeeded" line follows the swap (prune, catch-up)
                raise TimeoutError("swap_run ohne Abschlusszeile im Log")
            time.sleep(0.2)
        rss = [max([_vm_hwm_kib(c) for c in _pool_children(p.pid)] or [0]) / 1024 for p in procs]
        main_rss = [_vm_hwm_kib(p.pid) / 1024 for p in procs]
        load_after = os.getloadavg()
        db.session.remove()
        db.engine.dispose()
    result = timeline(sent, logs)
    result.update(
        workers=workers,
        size=run.size,
        suggestions=suggestions,
        pool_rss_mib=rss,
        main_rss_mib=main_rss,
        load=(load_before[0], load_after[0]),
    )
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--block-rows", type=int, default=6000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds one run may take")
    args = parser.parse_args(argv)
    from benchmarks.load import machine
    from tests.services import clean_redis_queue, postgres_available, redis_available

    for reason in (postgres_available(), redis_available()):
        if reason:
            print(reason, file=sys.stderr)
            return 2
    if not FULL_DIRECTORY.exists():
        print(f"{FULL_DIRECTORY} fehlt", file=sys.stderr)
        return 2
    counts = [int(w) for w in args.workers.split(",")]
    queue = f"km-bench-chord-{uuid.uuid4().hex[:8]}"
    print(f"machine before: {machine()}", flush=True)
    results: list[dict] = []
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="km-chord-")))
        url = stack.enter_context(database("postgres", folder))
        stack.callback(clean_redis_queue, queue)
        info = prepare(url, folder, queue, args.n, args.seed)
        n = check_profiles(url, folder, queue)
        print(
            f"{n} matchable Kommunen ({info['real']} from the directory, {info['synthetic']} synthetic); "
            f"directory {info['directory_s']:.0f} s, synthetic rows {info['kommunen_s']:.1f} s, "
            f"{info['profiles']} profiles {info['profiles_s']:.0f} s",
            flush=True,
        )
        print(f"blocks of {args.block_rows} rows; queue {queue}", flush=True)
        for r in range(args.repeat):
            for w in counts:
                res = one_run(url, folder, queue, w, args.block_rows, args.timeout)
                results.append(res)
                print(
                    f"  round {r + 1}, {w} worker(s): whole {res['whole']:.1f} s = freeze {res['freeze']:.1f}"
                    f" + parallel {res['parallel']:.1f} (blocks {res['blocks']}, sum {res['block_sum']:.1f},"
                    f" max {res['block_max']:.1f}) + hand-over {res['handover']:.1f}"
                    f" + callback {res['callback']:.1f} s + writes {res['writes']:.1f} s"
                    f" | {res['suggestions']}"
                    " suggestions, pool RSS "
                    + ", ".join(f"{m:.0f}" for m in res["pool_rss_mib"])
                    + f" MiB, load {res['load'][0]:.2f} → {res['load'][1]:.2f}",
                    flush=True,
                )
    print()
    for key in ("parallel", "whole", "callback", "writes", "freeze"):
        by_w = {w: [x[key] for x in results if x["workers"] == w] for w in counts}
        line = ", ".join(
            f"{w}: best {min(v):.1f} s median {statistics.median(v):.1f} s" for w, v in by_w.items()
        )
        print(f"{key:<9} {line}")
    if 1 in counts and 2 in counts:
        for key in ("parallel", "whole"):
            one = [x[key] for x in results if x["workers"] == 1]
            two = [x[key] for x in results if x["workers"] == 2]
            print(
                f"ratio one/two workers, {key}: {min(one) / min(two):.2f}× (best), "
                f"{statistics.median(one) / statistics.median(two):.2f}× (median)"
            )
    print(f"machine after: {machine()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
