"""Helpers for the fault tests: an app on the real services, a pause the test controls, polling.

The pause is a PostgreSQL trigger that waits for an advisory lock the test holds: the app's own code
runs unchanged until the chosen row, then waits there, so the test knows exactly where it strikes.
Every test uses its own database, queue, ports and processes, so it cannot disturb other runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import contextmanager

import pytest

from tests import services
from tests.conftest import IsolatedClient


def pytest_configure(config):
    """Register the marker (the suite runs with --strict-markers)."""
    config.addinivalue_line("markers", "faults: fault injection against the real services (tests/faults)")


def make_fault_app(monkeypatch, env: dict, queue: str, **overrides):
    """An app configured like production from the environment; forms without CSRF, no rate limits."""
    from plattform import create_app

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("CELERY_QUEUE", queue)
    monkeypatch.delenv("CELERY_TASK_ALWAYS_EAGER", raising=False)
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, **overrides})
    app.test_client_class = IsolatedClient  # every request in its own app context, as in production
    return app


def wait_for(predicate: Callable[[], object], what: str, timeout: float = 120, interval: float = 0.2):
    """Poll until predicate() is truthy and return its value; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"Zeitüberschreitung beim Warten auf: {what}")
        time.sleep(interval)


def database_name(url: str) -> str:
    """The database name at the end of a SQLAlchemy URL."""
    return url.rsplit("/", 1)[1].split("?", 1)[0]


def admin_connection(database: str | None = None):
    """An autocommit psycopg connection as the PostgreSQL superuser (to the given database)."""
    import psycopg

    url = services.PG_ADMIN_URL
    if database:
        url = url.rsplit("/", 1)[0] + "/" + database
    return psycopg.connect(url, autocommit=True)


def backends_waiting_on_advisory_lock(admin, database: str) -> list[int]:
    """The pids of the database's backends that wait for an advisory lock (i.e. sit in the pause)."""
    rows = admin.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock' "
        "AND wait_event = 'advisory' ORDER BY pid",
        (database,),
    ).fetchall()
    return [r[0] for r in rows]


def terminate_backends(admin, database: str) -> int:
    """Drop every connection the app holds to the database (what a PostgreSQL restart does)."""
    rows = admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid()",
        (database,),
    ).fetchall()
    return sum(1 for r in rows if r[0])


@contextmanager
def pause_on_insert(database: str, table: str, condition: str, lock_key: int):
    """Make INSERTs into `table` whose NEW row meets `condition` wait while the test holds the lock.

    Yields the admin connection that holds the advisory lock; `release()` on the returned handle lets
    the waiting writers go on. The trigger is dropped afterwards.
    """
    with admin_connection(database) as setup:
        setup.execute(
            f"CREATE FUNCTION km_pause_{table}() RETURNS trigger AS $$ BEGIN "
            f"IF {condition} THEN PERFORM pg_advisory_xact_lock_shared({lock_key}); END IF; "
            "RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        setup.execute(
            f"CREATE TRIGGER km_pause_{table} BEFORE INSERT ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION km_pause_{table}()"
        )
    holder = admin_connection(database)
    holder.execute("SELECT pg_advisory_lock(%s)", (lock_key,))
    handle = _LockHandle(holder, lock_key)
    try:
        yield handle
    finally:
        handle.release()
        holder.close()
        with admin_connection(database) as teardown:
            teardown.execute(f"DROP TRIGGER IF EXISTS km_pause_{table} ON {table}")
            teardown.execute(f"DROP FUNCTION IF EXISTS km_pause_{table}()")


class _LockHandle:
    """The advisory lock that holds the pause; release once to let the writers continue."""

    def __init__(self, conn, key: int):
        self.conn, self.key, self.held = conn, key, True

    def release(self) -> None:
        """Let every paused writer continue."""
        if self.held:
            self.conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
            self.held = False


def require_postgres_and_redis() -> None:
    """Skip (or fail under REQUIRE_SERVICES=1) without PostgreSQL or the shared Redis."""
    for reason in (services.postgres_available(), services.redis_available()):
        if reason:
            services.unavailable(reason)


def child_pids(pid: int) -> list[int]:
    """The direct children of a process (Linux /proc), e.g. the pool processes of a Celery worker."""
    import os

    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may contain spaces, so split after the last ')'
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            children.append(int(entry))
    return sorted(children)


class OwnRedis:
    """A private redis-server on a free port (no persistence), which the test stops and starts again."""

    def __init__(self, log_path):
        import shutil

        self.binary = shutil.which("redis-server")
        if self.binary is None:
            services.unavailable("redis-server ist nicht installiert (apt-get install redis-server)")
        self.port = services.free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log_path = log_path
        self.proc = None

    def ping(self) -> bool:
        """Whether this server answers."""
        import redis

        try:
            client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1)
            try:
                return bool(client.ping())
            finally:
                client.close()
        except redis.RedisError:
            return False

    def start(self) -> None:
        """Start the server and wait until it answers."""
        import subprocess

        log = open(self.log_path, "a")  # noqa: SIM115 (closed with the process)
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        wait_for(self.ping, f"redis-server auf Port {self.port}", timeout=30, interval=0.1)

    def stop(self) -> None:
        """Stop the server (SIGTERM, as systemd does) and wait until the port is closed."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        self.proc = None
