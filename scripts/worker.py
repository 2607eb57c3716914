"""The Procfile's worker: `celery -A worker worker ARGS…`, stopped warmly and quietly.

honcho stops a process by sending SIGTERM to its whole process group. For Celery's prefork pool that
means the pool's children get the signal at the same moment as the main process, die of it, and the
main process logs "ERROR … Process 'ForkPoolWorker-1' … exited with 'signal 15 (SIGTERM)'". Here
Celery runs in a process group of its own; SIGTERM or SIGINT to this wrapper becomes one SIGTERM to
Celery's main process, which ends its pool itself (warm shutdown). honcho kills what has not ended
after 5 s, and Celery's exit (billiard's pool finaliser) often takes longer than that even when
idle: after GRACE seconds the wrapper ends Celery's process group itself. A task cut off that way
is not lost: tasks are acknowledged late (plattform/config.py), so the next start runs it again.

    python scripts/worker.py --loglevel=INFO --concurrency=2 --pool=prefork
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
PR_SET_PDEATHSIG = 1
GRACE = 3.5  # seconds: below honcho's KILL_WAIT of 5


def _own_group_dying_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    os.setpgrp()
    # Linux: if this wrapper is killed (SIGKILL), Celery gets SIGTERM instead of living on.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def main(args: list[str]) -> int:
    celery = subprocess.Popen(
        [str(BIN / "celery"), "-A", "worker", "worker", *args], preexec_fn=_own_group_dying_with_parent
    )
    asked = False

    def stop(signum, frame):
        nonlocal asked
        asked = True
        if celery.poll() is None:
            celery.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    deadline = None
    while True:
        try:
            code = celery.wait(timeout=0.25)
            break
        except subprocess.TimeoutExpired:
            if not asked:
                continue
            deadline = deadline or time.monotonic() + GRACE
            if time.monotonic() >= deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(celery.pid, signal.SIGKILL)
    if asked and code in (0, -signal.SIGTERM, -signal.SIGKILL):
        return 0
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
