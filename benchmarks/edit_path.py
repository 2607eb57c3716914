"""One profile edit → that Kommune's changed list readable in the API, on the full directory (PostgreSQL).

python -m benchmarks.edit_path [--edits 15] [--seed 7]
(for another checkout: cd DIR && PYTHONPATH=DIR python /path/to/benchmarks/edit_path.py)

The directory (11,088 matchable Kommunen) with synthetic profiles and a full recompute; then, for
`--edits` Kommunen in turn, the profile is saved as the editor saves it (profile service + commit;
the after-commit hook runs the update task, inline here: Celery eager) and the Kommune's list is read
through the API with a bearer token until it shows the change. Reported: wall and CPU per edit
(median, p90), and `engine.update_one` alone (median CPU). The first edit of a worker reads every
profile once; the figures are given for the first and for the following edits.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=15)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    sys.path.insert(0, os.getcwd())
    import numpy as np
    import sqlalchemy as sa

    from benchmarks.recompute import bench_app, database, prepare
    from matching import engine
    from matching.profiles import ProfileData
    from matching.vocabulary import TOPIC_SLUGS
    from plattform.accounts.models import KommuneMembership, User
    from plattform.api.services import create_token
    from plattform.extensions import db
    from plattform.kommunen.models import Kommune
    from plattform.kommunen.services import matchable_filter
    from plattform.profile.services import save_profile
    from plattform.vorschlaege import services

    with tempfile.TemporaryDirectory(prefix="km-bench-") as tmp, database("postgres", Path(tmp)) as url:
        n, _ = prepare(url, Path(tmp), args.seed)
        app = bench_app(url, Path(tmp))
        with app.app_context():
            services.recompute_full()
            rng = random.Random(args.seed)
            kommunen = db.session.scalars(
                sa.select(Kommune).where(matchable_filter()).order_by(Kommune.id)
            ).all()
            chosen = rng.sample(kommunen, args.edits)
            user = User(email="bench@example.org", name="Bench", password_hash="!")
            db.session.add(user)
            db.session.flush()
            for k in chosen:
                db.session.add(
                    KommuneMembership(user_id=user.id, kommune_id=k.id, status="bestaetigt", role="mitglied")
                )
            db.session.commit()
            _row, token = create_token(user, "bench", "lesen")
            db.session.commit()
            client = app.test_client()
            headers = {"Authorization": f"Bearer {token}"}
            walls, cpus = [], []
            for k in chosen:
                before = client.get(f"/api/v1/kommunen/{k.ags}/vorschlaege", headers=headers).json["items"]
                wants = rng.sample(TOPIC_SLUGS, 3)
                data = ProfileData(
                    ags=k.ags, staerken={rng.choice(TOPIC_SLUGS): 3}, bedarfe=dict.fromkeys(wants, 3)
                )
                t, c = time.perf_counter(), time.process_time()
                save_profile(k, data, user_id=user.id)
                db.session.commit()  # the hook runs the update task inline
                after = client.get(f"/api/v1/kommunen/{k.ags}/vorschlaege", headers=headers).json["items"]
                walls.append(time.perf_counter() - t)
                cpus.append(time.process_time() - c)
                if [s["ags"] for s in after] == [s["ags"] for s in before]:
                    print(f"  note: list of {k.ags} unchanged by its edit", file=sys.stderr)
            ctx = services.build_match_input()
            result = engine.compute(ctx.inp, services.match_params())
            one = []
            for r in rng.sample(range(ctx.inp.n), 20):
                c = time.process_time()
                engine.update_one(ctx.inp, result, r)
                one.append(time.process_time() - c)
            db.session.remove()
            db.engine.dispose()

    def ms(values):
        return (
            f"median {statistics.median(values) * 1000:.0f} ms, p90 {np.percentile(values, 90) * 1000:.0f} ms"
        )

    print(f"{n} Kommunen, {args.edits} edits, load average {os.getloadavg()[0]:.2f}")
    print(f"  first edit of the worker: {walls[0] * 1000:.0f} ms wall, {cpus[0] * 1000:.0f} ms CPU")
    print(f"  following edits, wall: {ms(walls[1:])}")
    print(f"  following edits, CPU:  {ms(cpus[1:])}")
    print(f"  engine.update_one alone, CPU: {ms(one)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
