"""CPU per request of the member dashboard (ten explained suggestions), this checkout and another.

python -m benchmarks.dashboard [--against DIR] [--requests 200]

Each checkout runs in its own process (PYTHONPATH = that checkout) on a fresh SQLite database with
the demo data (`demo seed`: the demo region, profiles, one recompute); the Kreuzau demo officer logs
in and GETs /vorschlaege/ `--requests` times in-process. Reported: best and median CPU per request
(time.process_time, so other load on the machine counts less than in wall time), and the wall median.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]

_PROBE = """
import statistics, sys, tempfile, time
from pathlib import Path
tmp = tempfile.mkdtemp(prefix="km-dash-")
from plattform import create_app
eager = {"task_always_eager": True, "broker_url": "memory://", "result_backend": "cache+memory://"}
app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/d.db", "INSTANCE_DIR": tmp,
                  "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "MAIL_OUTBOX_DIR": tmp + "/outbox",
                  "CELERY": eager})
runner = app.test_cli_runner()
with app.app_context():
    from flask_migrate import upgrade
    upgrade()
out = runner.invoke(args=["demo", "seed"])
assert out.exit_code == 0, out.output
client = app.test_client()
login = {"email": "kreuzau@kommunalmatch.demo", "password": "Demo-Passwort-2026"}
r = client.post("/konto/anmelden", data=login)
assert r.status_code in (302, 303), r.status_code
page = client.get("/vorschlaege/")
assert page.status_code == 200 and page.text.count('class="km-suggestion') >= 10, page.text[:300]
cpu, wall = [], []
for _ in range(int(sys.argv[1])):
    t, c = time.perf_counter(), time.process_time()
    client.get("/vorschlaege/")
    cpu.append(time.process_time() - c)
    wall.append(time.perf_counter() - t)
print(min(cpu) * 1000, statistics.median(cpu) * 1000, statistics.median(wall) * 1000)
"""


def measure(tree: Path, requests: int) -> tuple[float, float, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(requests)], cwd=tree, env=env, capture_output=True, text=True
    )
    if out.returncode:
        raise SystemExit(out.stderr[-3000:])
    best, median, wall = (float(x) for x in out.stdout.split()[-3:])
    return best, median, wall


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", type=Path)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)
    trees = [("after", PROJECT_ROOT)]
    if args.against:
        trees.insert(0, ("before", args.against.resolve()))
    for label, tree in trees:
        best, median, wall = measure(tree, args.requests)
        load = os.getloadavg()[0]
        print(f"{label:<7} CPU per request best {best:.2f} ms, median {median:.2f} ms; ", end="")
        print(f"wall median {wall:.2f} ms (load average {load:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
