"""Access to the real services the tests use: PostgreSQL, Redis, a Celery worker process, Chromium.

On a machine without a service, tests that need it skip with the reason; with REQUIRE_SERVICES=1
(set by CI) the same absence is a failure, so CI cannot pass by skipping the production path.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def services_required() -> bool:
    """Whether a missing service must fail the run (CI) instead of skipping."""
    return os.environ.get("REQUIRE_SERVICES", "").strip() in {"1", "true", "yes"}


def unavailable(reason: str):
    """Skip, or fail when the run requires the real services."""
    if services_required():
        pytest.fail(f"REQUIRE_SERVICES=1, aber: {reason}", pytrace=False)
    pytest.skip(reason)


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def postgres_available() -> str | None:
    """None if PostgreSQL answers, else the reason."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return None
    except Exception as exc:  # any failure means: not usable here
        return f"PostgreSQL nicht erreichbar ({PG_ADMIN_URL}): {exc.__class__.__name__}"


def redis_available() -> str | None:
    """None if Redis answers, else the reason."""
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
        return None
    except Exception as exc:
        return f"Redis nicht erreichbar ({REDIS_URL}): {exc.__class__.__name__}"


@contextmanager
def temporary_postgres_database():
    """Create a uniquely named database for this test run and drop it afterwards."""
    import psycopg

    name = f"km_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def clean_redis_queue(queue: str) -> None:
    """Remove what a test's Celery queue left in Redis."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"*{queue}*"):
        client.delete(key)
    client.close()


def chromium_path() -> str | None:
    """The system Chromium that `make test` installs (Playwright never downloads its own)."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@contextmanager
def celery_worker(env: dict[str, str], queue: str, log_path: Path, concurrency: int = 1):
    """Run a real `celery worker` process on the given queue; stop it afterwards."""
    full_env = {**os.environ, **env, "CELERY_QUEUE": queue, "PYTHONUNBUFFERED": "1"}
    log = log_path.open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "worker",
            "worker",
            "-Q",
            queue,
            "--pool=prefork",
            f"--concurrency={concurrency}",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"{queue}@%h",
        ],
        cwd=PROJECT_ROOT,
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"Celery-Worker beendet: {log_path.read_text()[-3000:]}")
            if "ready." in log_path.read_text():
                break
            time.sleep(0.2)
        else:
            raise RuntimeError(f"Celery-Worker nicht bereit: {log_path.read_text()[-3000:]}")
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


def free_port() -> int:
    """A TCP port on localhost that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def with_unreachable_broker(app_config: dict) -> dict:
    """The app's settings with a Redis broker on a port where nothing listens; publishing gives up
    at once (the tests of what the web does when the queue is down)."""
    celery = {
        **app_config["CELERY"],
        "task_always_eager": False,
        "broker_url": f"redis://127.0.0.1:{free_port()}/0",
        "task_publish_retry": False,
        "broker_connection_retry": False,
        "broker_connection_max_retries": 0,
        "broker_transport_options": {"max_retries": 0, "socket_connect_timeout": 1},
    }
    return {**app_config, "CELERY": celery}


class FaultySmtpServer:
    """A real TCP server on localhost that misbehaves like broken mail servers do.

    mode "close": accepts the connection and closes it before the greeting;
    mode "silent": accepts and never says a word;
    mode "lost-after-data": speaks SMTP, takes the whole message after DATA, then closes without
    the final answer (the message may have been accepted).
    """

    def __init__(self, mode: str):
        import threading

        self.mode = mode
        self.received: list[bytes] = []
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)
        for conn in self._held:
            conn.close()
        self._sock.close()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _addr = self._sock.accept()
            except OSError:
                continue
            if self.mode == "close":
                conn.close()
            elif self.mode == "silent":
                self._held.append(conn)
            else:
                self._speak_until_data(conn)

    def _speak_until_data(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        reader = conn.makefile("rb")
        conn.sendall(b"220 localhost ESMTP\r\n")
        try:
            while True:
                line = reader.readline()
                if not line:
                    break
                verb = line[:4].upper()
                if verb in (b"EHLO", b"HELO"):
                    conn.sendall(b"250 localhost\r\n")
                elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                    conn.sendall(b"250 OK\r\n")
                elif verb == b"DATA":
                    conn.sendall(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    body = b""
                    while not body.endswith(b"\r\n.\r\n"):
                        chunk = reader.readline()
                        if not chunk:
                            break
                        body += chunk
                    self.received.append(body)
                    break  # the final "250" never comes
                else:
                    conn.sendall(b"250 OK\r\n")
        finally:
            reader.close()
            conn.close()
