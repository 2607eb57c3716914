"""Bulk profile import benchmark: the profiles of every matchable Kommune of the full directory.

python -m benchmarks.profile_import [--backends sqlite,postgres] [--formats .jsonl,.csv,.xlsx] [--seed 7]

For each backend a fresh database (see benchmarks.recompute) is migrated and the official directory
imported; then a file with a drawn profile for every matchable Kommune (matching.synthetic) is imported
the way `flask profile import` does it (read, validate in one pass, write set-wise, commit), three
times: into the empty database (all new), the same file again (all unchanged) and a file with every
profile changed (all rewritten). Wall and CPU seconds (process time, this process; PostgreSQL's own
CPU is not in it) and the load average before and after are printed as a Markdown table.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import tempfile
import time
from pathlib import Path

from benchmarks.recompute import FULL_DIRECTORY, bench_app, database, kommune_facts


def _measure(fn) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def run(kind: str, formats: list[str], seed: int) -> list[tuple]:
    """Import all, again unchanged, then all changed, for each format (fresh profiles per format)."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from matching.synthetic import draw_profiles
    from plattform.extensions import db
    from plattform.kommunen.models import Kommune
    from plattform.kommunen.services import import_gv_file, matchable_filter
    from plattform.profile.bulk import import_profile_file
    from plattform.profile.formats import write_profiles
    from plattform.profile.models import Profile, ProfileProject, ProfileTopic

    rows = []
    with tempfile.TemporaryDirectory() as tmp, database(kind, Path(tmp)) as url:
        folder = Path(tmp)
        app = bench_app(url, folder)
        with app.app_context():
            upgrade()
            import_gv_file(FULL_DIRECTORY)
            kommunen = db.session.scalars(
                sa.select(Kommune).where(matchable_filter()).order_by(Kommune.id)
            ).all()
            facts = kommune_facts(kommunen)
            first = draw_profiles(facts, seed)
            second = [
                dataclasses.replace(p, reichweite_km=p.reichweite_km % 900 + 7)
                for p in draw_profiles(facts, seed + 1)
            ]
            for ext in formats:
                for table in (ProfileTopic, ProfileProject, Profile):
                    db.session.execute(sa.delete(table))
                db.session.commit()
                for label, profiles in (("neu", first), ("unverändert", first), ("alle geändert", second)):
                    path = folder / f"profile{ext}"
                    write_profiles(path, profiles)

                    def once(path=path):
                        result = import_profile_file(path)
                        db.session.commit()
                        return result

                    load_before = os.getloadavg()[0]
                    wall, cpu, result = _measure(once)
                    rows.append(
                        (
                            kind,
                            ext,
                            label,
                            len(profiles),
                            path.stat().st_size,
                            wall,
                            cpu,
                            load_before,
                            os.getloadavg()[0],
                            result,
                        )
                    )
                    print(
                        f"{kind} {ext} {label}: {wall:.2f} s wall, {cpu:.2f} s CPU ({result.summary()})",
                        flush=True,
                    )
            db.session.remove()
            db.engine.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--formats", default=".jsonl,.csv,.xlsx")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rows = []
    for kind in args.backends.split(","):
        rows += run(kind, args.formats.split(","), args.seed)
    print("\n| backend | format | import | profiles | file | wall | CPU | load before/after |")
    print("|---|---|---|---|---|---|---|---|")
    for kind, ext, label, n, size, wall, cpu, lb, la, _result in rows:
        cells = [kind, ext, label, f"{n:,}", f"{size / 2**20:.1f} MiB", f"{wall:.1f} s", f"{cpu:.1f} s"]
        print("| " + " | ".join([*cells, f"{lb:.1f} / {la:.1f}"]) + " |")
    print(f"\nnproc {os.cpu_count()}")


if __name__ == "__main__":
    main()
