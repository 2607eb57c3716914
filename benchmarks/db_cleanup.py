"""What emptying the test database between two tests costs: TRUNCATE … RESTART IDENTITY CASCADE of
every table (the suite's cleanup until 2026-12-04) against DELETE children-first plus a reset of the
sequences (the cleanup now), each after importing the demo region, on PostgreSQL.

python -m benchmarks.db_cleanup [--rounds 10]

Needs a PostgreSQL server (TEST_PG_ADMIN_URL, default postgresql://postgres@127.0.0.1:5432/postgres);
works in a temporary database that is dropped afterwards. Prints wall and CPU milliseconds per
cleanup (median and maximum) and the load average; both ways run alternately in the same process,
so a noisy machine affects them alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa


def _truncate(db) -> None:
    names = ", ".join(f'"{t.name}"' for t in reversed(db.metadata.sorted_tables))
    with db.engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


def _delete(db) -> None:
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
        conn.execute(sa.text("SELECT setval(c.oid, 1, false) FROM pg_class c WHERE c.relkind = 'S'"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()

    from plattform import create_app
    from plattform.extensions import db
    from plattform.kommunen.services import import_gv_file
    from plattform.models import import_all_models
    from tests import services
    from tests.conftest import DEMO_REGION, _base_config

    reason = services.postgres_available()
    if reason:
        raise SystemExit(f"PostgreSQL fehlt: {reason}")
    ways = {"TRUNCATE": _truncate, "DELETE + setval": _delete}
    timings: dict[str, list[tuple[float, float]]] = {name: [] for name in ways}
    with services.temporary_postgres_database() as url, tempfile.TemporaryDirectory() as tmp:
        app = create_app(_base_config(Path(tmp), url))
        with app.app_context():
            import_all_models()
            db.create_all()
            print(f"{len(db.metadata.sorted_tables)} tables, {args.rounds} rounds, load {os.getloadavg()}")
            for _round in range(args.rounds):
                for name, clean in ways.items():
                    import_gv_file(DEMO_REGION)
                    db.session.commit()
                    db.session.remove()
                    wall, cpu = time.perf_counter(), time.process_time()
                    clean(db)
                    timings[name].append(
                        ((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000)
                    )
                    assert db.session.scalar(sa.text("SELECT count(*) FROM kommune")) == 0
                    db.session.remove()
            db.engine.dispose()
    for name, rows in timings.items():
        walls, cpus = [w for w, _ in rows], [c for _, c in rows]
        print(
            f"{name:16} wall median {statistics.median(walls):7.1f} ms, max {max(walls):7.1f} ms; "
            f"CPU median {statistics.median(cpus):5.1f} ms"
        )
    print(f"load average afterwards {os.getloadavg()}")


if __name__ == "__main__":
    main()
