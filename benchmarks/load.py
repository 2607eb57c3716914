"""Load benchmark: gunicorn on PostgreSQL with the full directory and 2,000 logged-in officers, driven by wrk.

python -m benchmarks.load [--workers N] [--threads N] [--connections 20] [--duration 20]

Set-up (not timed): a temporary PostgreSQL database, migrated; the official directory
(../shared/data) imported; every matchable Kommune given a synthetic profile; one full recompute;
2,000 users with approved memberships of 2,000 different Gemeinden (bulk insert, one password hash).
Then gunicorn serves the app on 127.0.0.1 with the production settings of gunicorn.conf.py (the
worker count and threads can be overridden to compare variants), every user logs in through the real
form (CSRF token, password check) to get a session cookie, and wrk (a second process, 20
connections) measures each endpoint in turn for a fixed time and at most a fixed number of requests:
/health, a static page logged in (`/datenschutz` with each session: what every logged-in page costs
at least), the dashboard (rotating over all sessions), the search page (rotating filters), the
directory search (rotating names), the API (`GET /api/v1/kommunen/<ags>/vorschlaege` with each
user's read token, if the checkout has plattform.api), /health again. For each endpoint the CPU time
that gunicorn and PostgreSQL spent per request is read from /proc (where the 2 cores go). The
figures are printed; the database is dropped at the end.

Rate limits are switched off for the run: 2,000 logins from 127.0.0.1 would hit the login limit;
none of the measured pages is rate limited. Celery runs eagerly (the measured pages queue nothing).
Needs `wrk` (Debian: apt-get install wrk). Localhost only; stops by itself.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from benchmarks.recompute import FULL_DIRECTORY, PROJECT_ROOT, bench_app, database, prepare

LUA = Path(__file__).resolve().parent / "load" / "rotate.lua"
PASSWORD = "Last-Test-Passwort-2026"
API_TODO = "TODO(api): plattform.api is not in this checkout; the API line was not measured"


# ------------------------------------------------------------------------------------ set-up


def recompute(url: str, folder: Path) -> dict:
    """One full recompute in this process (the suggestions the dashboard reads)."""
    from plattform.extensions import db
    from plattform.vorschlaege.services import recompute_full

    app = bench_app(url, folder)
    with app.app_context():
        summary = recompute_full().as_dict()
        db.session.remove()
        db.engine.dispose()
    return summary


def create_users(url: str, folder: Path, count: int) -> list[tuple[str, int]]:
    """`count` confirmed officers, each with an approved membership of another Gemeinde (bulk insert)."""
    import sqlalchemy as sa

    from plattform.accounts.models import KommuneMembership, User
    from plattform.accounts.passwords import hash_password
    from plattform.core.clock import utcnow
    from plattform.extensions import db
    from plattform.kommunen.models import Kommune
    from plattform.kommunen.services import matchable_filter

    app = bench_app(url, folder)
    with app.app_context():
        gemeinden = db.session.scalars(
            sa.select(Kommune.id).where(matchable_filter(), Kommune.ebene == "gemeinde").order_by(Kommune.id)
        ).all()
        if len(gemeinden) < count:
            raise SystemExit(f"Nur {len(gemeinden)} Gemeinden für {count} Nutzer.")
        stride = len(gemeinden) / count
        chosen = [gemeinden[int(i * stride)] for i in range(count)]  # spread over the whole country
        now = utcnow()
        password_hash = hash_password(PASSWORD)
        users = [
            {
                "email": f"last{i:05d}@kommune.example.de",
                "name": f"Lasttest {i}",
                "funktion": "Digitalisierungsbeauftragte",
                "password_hash": password_hash,
                "is_admin": False,
                "email_confirmed_at": now,
                "privacy_accepted_at": now,
                "created_at": now,
                "locale": "de",
                "session_version": 1,
                "active": True,
            }
            for i in range(count)
        ]
        db.session.execute(sa.insert(User), users)
        ids = dict(
            db.session.execute(
                sa.select(User.email, User.id).where(User.email.like("last%@kommune.example.de"))
            ).all()
        )
        db.session.execute(
            sa.insert(KommuneMembership),
            [
                {
                    "user_id": ids[u["email"]],
                    "kommune_id": kommune_id,
                    "role": "mitglied",
                    "status": "bestaetigt",
                    "requested_at": now,
                    "decided_at": now,
                }
                for u, kommune_id in zip(users, chosen, strict=True)
            ],
        )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return [(u["email"], k) for u, k in zip(users, chosen, strict=True)]


def create_api_tokens(url: str, folder: Path, users: list[tuple[str, int]]) -> list[str] | None:
    """A read token per user with the API's own service ("lines" for wrk), or None without the API."""
    try:
        from plattform.api.services import create_token
    except ImportError:
        return None
    import sqlalchemy as sa

    from plattform.accounts.models import User
    from plattform.extensions import db
    from plattform.kommunen.models import Kommune

    app = bench_app(url, folder)
    lines = []
    with app.app_context():
        by_email = {u.email: u for u in db.session.scalars(sa.select(User).where(User.email.like("last%")))}
        ags = dict(db.session.execute(sa.select(Kommune.id, Kommune.ags)).all())
        for email, kommune_id in users:
            _token, text = create_token(by_email[email], "Lasttest", "lesen")
            lines.append(f"/api/v1/kommunen/{ags[kommune_id]}/vorschlaege\tAuthorization: Bearer {text}")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return lines


def request_lines(url: str, folder: Path) -> tuple[list[str], list[str]]:
    """Paths for the search page (rotating filters) and the directory search (rotating names)."""
    import sqlalchemy as sa

    from matching.vocabulary import TOPIC_SLUGS, TYPES
    from plattform.extensions import db
    from plattform.kommunen.models import Kommune, Land

    app = bench_app(url, folder)
    with app.app_context():
        laender = db.session.scalars(sa.select(Land.schluessel).order_by(Land.schluessel)).all()
        names = db.session.scalars(
            sa.select(Kommune.name).where(Kommune.ebene == "gemeinde").order_by(Kommune.id)
        ).all()
        db.session.remove()
        db.engine.dispose()
    groessen = ["", "unter-5000", "5000-20000", "20000-50000", "ab-100000"]
    rollen = ["beides", "staerke", "bedarf"]
    suche = []
    for i, thema in enumerate(TOPIC_SLUGS):
        params = {"thema": thema, "rolle": rollen[i % 3], "land": laender[i % len(laender)]}
        if i % 2:
            params["typ"] = TYPES[i % len(TYPES)]
        if groessen[i % len(groessen)]:
            params["groesse"] = groessen[i % len(groessen)]
        suche.append("/suche/?" + urllib.parse.urlencode(params))
    prefixes = sorted({re.split(r"[ ,(/-]", n)[0][:5] for n in names[:: max(1, len(names) // 300)]})
    kommunen = ["/kommunen/?" + urllib.parse.urlencode({"q": p}) for p in prefixes if len(p) >= 3]
    return suche, kommunen


# ------------------------------------------------------------------------------------ server


def start_gunicorn(url: str, folder: Path, port: int, workers: int | None, threads: int | None, log: Path):
    """gunicorn on 127.0.0.1:port with production settings (gunicorn.conf.py, secure cookies, no debug)."""
    env = {
        **os.environ,
        "KOMMUNALMATCH_ENV": "production",
        "DATABASE_URL": url,
        "KOMMUNALMATCH_INSTANCE": str(folder),
        "SECRET_KEY": secrets.token_hex(32),
        "BASE_URL": f"http://127.0.0.1:{port}",
        "RATELIMIT_DISABLED": "1",
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "CELERY_BROKER_URL": "memory://",
        "CELERY_RESULT_BACKEND": "cache+memory://",
    }
    command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"]
    # No recycling during the run: at ~1,500 health requests/s each worker would restart every few
    # seconds (in production, at tens of requests per second, it is every few minutes).
    command += ["--bind", f"127.0.0.1:{port}", "--max-requests", "0"]
    if workers:
        command += ["--workers", str(workers)]
    if threads and threads > 1:
        command += ["--worker-class", "gthread", "--threads", str(threads)]
    command += [
        "--access-logfile",
        "-" if os.environ.get("LOAD_ACCESS_LOG") else "/dev/null",
        "--error-logfile",
        "-",
        "wsgi:app",
    ]
    proc = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn beendet:\n{log.read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                return proc, " ".join(command[1:])
        except OSError:
            pass
        time.sleep(0.3)
    proc.terminate()
    raise SystemExit("gunicorn antwortet nicht")


def free_port() -> int:
    """A TCP port on localhost that is free right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cookie(headers, name: str = "session") -> str | None:
    for key, value in headers:
        if key.lower() == "set-cookie" and value.startswith(name + "="):
            return value.split(";", 1)[0]
    return None


def log_in(port: int, email: str) -> str:
    """Log one user in through the real form; returns the 'session=…' cookie."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/konto/anmelden")
    page = conn.getresponse()
    body = page.read().decode()
    cookie = _cookie(page.getheaders())
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": PASSWORD})
    conn.request(
        "POST",
        "/konto/anmelden",
        body=form,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    answer = conn.getresponse()
    answer.read()
    session = _cookie(answer.getheaders())
    conn.close()
    if answer.status != 302 or session is None:
        raise RuntimeError(f"Anmeldung von {email} fehlgeschlagen: {answer.status}")
    return session


def log_in_all(port: int, emails: list[str], parallel: int) -> list[str]:
    """Session cookies of all users (logins in parallel: each costs one Argon2 check)."""
    with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
        return list(pool.map(lambda e: log_in(port, e), emails))


# ------------------------------------------------------------------------------------ load


def run_wrk(port: int, lines: list[str], folder: Path, args, duration: int | None = None) -> dict:
    """One wrk run over the given request lines; returns the figures of rotate.lua's done()."""
    lines_file = folder / f"lines-{time.monotonic_ns()}.txt"
    lines_file.write_text("\n".join(lines) + "\n")
    per_thread = max(1, args.max_requests // args.wrk_threads)
    out = subprocess.run(
        [
            "wrk",
            f"-t{args.wrk_threads}",
            f"-c{args.connections}",
            f"-d{duration or args.duration}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            str(LUA),
            f"http://127.0.0.1:{port}",
            "--",
            str(lines_file),
            str(per_thread),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=(duration or args.duration) + 60,
    )
    match = re.search(r"^LOADJSON (\{.*\})$", out.stdout, re.M)
    if match is None:
        raise RuntimeError(out.stdout + out.stderr)
    figures = json.loads(match.group(1))
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    return figures


def cpu_seconds() -> dict[str, float]:
    """CPU seconds (user + system) used so far by the gunicorn processes and by PostgreSQL's."""
    tick = os.sysconf("SC_CLK_TCK")
    totals = {"gunicorn": 0.0, "postgres": 0.0}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # ended meanwhile
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        used = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        if "gunicorn" in command:
            totals["gunicorn"] += used
        elif name.startswith("postgres"):
            totals["postgres"] += used
    return totals


def machine() -> dict:
    """nproc, CPU model, load average: what the figures depend on."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": model or platform.processor(),
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
        "python": platform.python_version(),
    }


def main(argv: list[str] | None = None) -> int:
    """Set up, serve, log in, measure, print, clean up."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--workers", type=int, help="gunicorn worker processes (default: gunicorn.conf.py)")
    parser.add_argument("--threads", type=int, help="threads per worker (>1: gthread; default: sync)")
    parser.add_argument("--connections", type=int, default=20, help="concurrent clients")
    parser.add_argument("--duration", type=int, default=20, help="seconds per measured endpoint")
    parser.add_argument("--max-requests", type=int, default=50000, help="upper bound per endpoint")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    # SIGTERM (e.g. timeout) ends like Ctrl-C: gunicorn stopped, database dropped by the finally blocks
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    if shutil.which("wrk") is None:
        raise SystemExit("wrk fehlt (Debian: apt-get install wrk).")
    if not FULL_DIRECTORY.exists():
        raise SystemExit(f"{FULL_DIRECTORY} fehlt.")
    report: dict = {"machine_before": machine(), "args": vars(args) | {"json": str(args.json)}}
    with tempfile.TemporaryDirectory(prefix="km-load-") as tmp, database("postgres", Path(tmp)) as url:
        folder = Path(tmp)
        t0 = time.perf_counter()
        profiles, _seconds = prepare(url, folder, args.seed)
        summary = recompute(url, folder)
        users = create_users(url, folder, args.users)
        suche, kommunen = request_lines(url, folder)
        api = create_api_tokens(url, folder, users)
        report["setup"] = {
            "profiles": profiles,
            "suggestions": summary["suggestions"],
            "users": len(users),
            "seconds": round(time.perf_counter() - t0, 1),
        }
        print(f"Aufbau: {report['setup']}", flush=True)

        port = free_port()
        server, command = start_gunicorn(
            url, folder, port, args.workers, args.threads, folder / "gunicorn.log"
        )
        report["gunicorn"] = command
        try:
            t1 = time.perf_counter()
            cookies = log_in_all(port, [email for email, _k in users], parallel=8)
            report["logins"] = {"count": len(cookies), "seconds": round(time.perf_counter() - t1, 1)}
            print(f"Anmeldungen: {report['logins']}", flush=True)
            dashboard = [f"/vorschlaege/\tCookie: {c}" for c in cookies]
            scenarios = [
                ("health", ["/health\t"]),
                # the floor of any logged-in page: session, user, permissions, navigation, static text
                ("seite angemeldet", [f"/datenschutz\tCookie: {c}" for c in cookies]),
                ("dashboard", dashboard),
                ("suche", [f"{p}\tCookie: {cookies[i % len(cookies)]}" for i, p in enumerate(suche)]),
                ("verzeichnis", [f"{p}\t" for p in kommunen]),
                *([("api", api)] if api else []),
                ("health (2)", ["/health\t"]),
            ]
            run_wrk(port, dashboard, folder, args, duration=5)  # warm-up: pools, caches, imports
            results = {}
            for name, lines in scenarios:
                before = cpu_seconds()
                results[name] = run_wrk(port, lines, folder, args)
                after = cpu_seconds()
                r = results[name]
                r["cpu_ms_per_request"] = {
                    k: round(1000 * (after[k] - before[k]) / max(1, r["requests"]), 2) for k in after
                }
                print(
                    f"{name:16s} {r['rps']:8.1f} req/s  p50 {r['p50_us'] / 1000:7.1f} ms  "
                    f"p95 {r['p95_us'] / 1000:7.1f} ms  p99 {r['p99_us'] / 1000:7.1f} ms  "
                    f"n={r['requests']}  nicht-200={r['bad']} {r['first_bad']}  "
                    f"Fehler={r['connect_errors'] + r['read_errors'] + r['write_errors'] + r['timeouts']}  "
                    f"CPU/Anfrage: gunicorn {r['cpu_ms_per_request']['gunicorn']} ms, "
                    f"PostgreSQL {r['cpu_ms_per_request']['postgres']} ms",
                    flush=True,
                )
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        report["results"] = results
        report["machine_after"] = machine()
    health = max(results["health"]["rps"], results["health (2)"]["rps"])
    ratio = results["dashboard"]["rps"] / health
    p95 = results["dashboard"]["p95_us"] / 1000
    report["checks"] = {
        "dashboard_p95_ms": round(p95, 1),
        "dashboard_p95_ok": p95 <= 150,
        "dashboard_vs_health": round(ratio, 3),
        "dashboard_vs_health_ok": ratio >= 0.25,
        # for comparison: what a logged-in page that shows only static text reaches
        "static_logged_in_vs_health": round(results["seite angemeldet"]["rps"] / health, 3),
    }
    if "api" in results:
        api_p95 = results["api"]["p95_us"] / 1000
        report["checks"].update(api_p95_ms=round(api_p95, 1), api_p95_ok=api_p95 <= 150)
    else:
        report["checks"]["api"] = API_TODO
    print(
        f"Dashboard p95 {p95:.1f} ms (Ziel ≤ 150 ms: {'ja' if p95 <= 150 else 'NEIN'}); "
        f"Dashboard/Health {ratio:.1%} (Ziel ≥ 25 %: {'ja' if ratio >= 0.25 else 'NEIN'})"
    )
    if "api" in results:
        print(f"API p95 {api_p95:.1f} ms (Ziel ≤ 150 ms: {'ja' if api_p95 <= 150 else 'NEIN'})")
    else:
        print(API_TODO)
    print(f"Maschine vorher {report['machine_before']}, nachher {report['machine_after']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
