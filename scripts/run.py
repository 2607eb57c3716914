"""`make run`'s last step: start web, worker and beat from the Procfile, say where the platform is once
it answers, and end quietly on Ctrl-C.

- The processes are the Procfile's, run by honcho's process manager (the same as `honcho start`), but
  every process gets the web server's PORT: honcho alone gives the second and third process PORT+100
  and PORT+200, and the worker would then write e-mail links to a port nobody listens on
  (``plattform/config.py`` derives ``BASE_URL`` from ``PORT`` unless it is set).
- The banner "Kommunalmatch läuft: …" is printed only once ``/health`` answers 200, not before the
  server has started (the first start of the web server takes several seconds).
- Ctrl-C stops all three and exits 0, so make does not add "Error 130".

    python scripts/run.py [--port 5000] [--procfile Procfile]
    python scripts/run.py --announce URL     (only wait for URL/health, then print the banner)
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# honcho's return codes for "stopped by SIGINT / SIGTERM": an asked-for stop, not a failure.
STOPPED_ON_REQUEST = (130, 143)


def banner(base_url: str) -> str:
    """The lines printed once the platform answers."""
    return f"\n  Kommunalmatch läuft: {base_url}/   (Strg-C beendet Web, Worker und Beat)\n"


def answers(url: str) -> bool:
    """True when GET url returns 200."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def wait_until_ready(
    base_url: str,
    timeout: float = 180.0,
    interval: float = 0.3,
    keep_waiting: Callable[[], bool] = lambda: True,
) -> bool:
    """Poll base_url/health until it answers 200; False after `timeout` s or when keep_waiting() says no."""
    deadline = time.monotonic() + timeout
    health = base_url.rstrip("/") + "/health"
    while keep_waiting() and time.monotonic() < deadline:
        if answers(health):
            return True
        time.sleep(interval)
    return False


def announce(base_url: str, out=None, keep_waiting: Callable[[], bool] = lambda: True, **wait) -> bool:
    """Print the banner once the platform answers; a hint if it never does. True when it answered."""
    out = out or sys.stdout
    if wait_until_ready(base_url, keep_waiting=keep_waiting, **wait):
        print(banner(base_url), file=out, flush=True)
        return True
    if keep_waiting():
        print(
            f"\n  Kommunalmatch antwortet noch nicht unter {base_url}/health; siehe die Zeilen von „web“.\n",
            file=out,
            flush=True,
        )
    return False


def procfile_processes(path: Path) -> dict[str, str]:
    """name -> command of a Procfile (lines "name: command"; others, e.g. comments, are skipped)."""
    from honcho.environ import parse_procfile

    return dict(parse_procfile(path.read_text()).processes)


def process_table(port: int, procfile: Path, environ=None) -> list[tuple[str, str, dict[str, str]]]:
    """(name, command, environment) of each process: all with the web server's PORT."""
    env = {**(os.environ if environ is None else environ), "PORT": str(port)}
    return [(name, cmd, env) for name, cmd in procfile_processes(procfile).items()]


def serve(port: int, procfile: Path) -> int:
    """Run the Procfile's processes until one ends or Ctrl-C; the exit code for the shell."""
    from honcho.manager import Manager
    from honcho.printer import Printer

    manager = Manager(Printer(sys.stdout))
    for name, cmd, env in process_table(port, procfile):
        manager.add_process(name, cmd, env=env, cwd=str(ROOT))
    stopped = threading.Event()
    base_url = f"http://127.0.0.1:{port}"
    threading.Thread(
        target=announce, args=(base_url,), kwargs={"keep_waiting": lambda: not stopped.is_set()}, daemon=True
    ).start()
    try:
        manager.loop()
    finally:
        stopped.set()
    if manager.returncode in STOPPED_ON_REQUEST:
        print("Kommunalmatch beendet.", flush=True)
        return 0
    return manager.returncode or 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Web, Worker und Beat starten (make run).")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 5000))
    parser.add_argument("--procfile", type=Path, default=ROOT / "Procfile")
    parser.add_argument("--announce", metavar="URL", help="nur warten, bis URL/health antwortet")
    parser.add_argument("--timeout", type=float, default=180.0)
    args = parser.parse_args(argv)
    if args.announce:
        return 0 if announce(args.announce, timeout=args.timeout) else 1
    return serve(args.port, args.procfile)


if __name__ == "__main__":
    sys.exit(main())
