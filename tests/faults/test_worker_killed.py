"""A worker process killed (SIGKILL) in the middle of a full recompute.

The recompute runs unchanged in a real Celery worker (PostgreSQL + Redis, own database and queue);
a trigger pauses its write at one Kommune in the middle of the list, after several chunks are
committed. There the pool process gets SIGKILL, as from the OOM killer. Readers keep the old run;
acks_late + reject_on_worker_lost put the task back on the queue, the new pool process runs it again,
and that run completes and is swapped in.
"""

from __future__ import annotations

import os
import re
import signal

import pytest
import sqlalchemy as sa

from tests import services
from tests.faults.conftest import (
    admin_connection,
    backends_waiting_on_advisory_lock,
    child_pids,
    database_name,
    make_fault_app,
    pause_on_insert,
    require_postgres_and_redis,
    wait_for,
)
from tests.integration.test_backends import backend_env
from tests.integration.test_recompute_worker import _prepare

pytestmark = [pytest.mark.faults, pytest.mark.worker, pytest.mark.postgres, pytest.mark.redis]

LOCK_KEY = 7_101_001


def dashboard_partner_ids(client, kommune_id: int) -> list[int]:
    """The partners the dashboard shows, in order (what a reader sees)."""
    response = client.get(f"/vorschlaege/?kommune={kommune_id}")
    assert response.status_code == 200, response.text[:500]
    return [int(x) for x in re.findall(r'id="vorschlag-(\d+)"', response.text)]


def test_sigkill_during_the_write_keeps_the_old_run_and_the_redelivered_task_swaps_in(tmp_path, monkeypatch):
    from plattform.extensions import db
    from plattform.kommunen.models import Kommune
    from plattform.vorschlaege import services as vorschlaege
    from plattform.vorschlaege.models import Suggestion, SuggestionRun
    from plattform.vorschlaege.tasks import recompute_all
    from tests.factories import PASSWORD, MembershipFactory, UserFactory
    from tests.plattform.vorschlaege.helpers import lists_by_kommune

    require_postgres_and_redis()
    log = tmp_path / "worker.log"
    with backend_env("production", tmp_path) as (env, queue):
        env = {**env, "MATCHING_WRITE_CHUNK": "200"}  # several committed chunks before the pause
        app = make_fault_app(monkeypatch, env, queue)
        ids = _prepare(app)
        dbname = database_name(env["DATABASE_URL"])
        reader = ids[0]
        target = ids[len(ids) // 2]
        with services.celery_worker(env, queue, log) as worker, app.app_context():
            first = recompute_all.apply_async(queue=queue).get(timeout=120)
            assert first["current"]
            served = lists_by_kommune(first["run_id"])
            officer = UserFactory()
            MembershipFactory(user=officer, kommune=db.session.get(Kommune, reader), status="bestaetigt")
            db.session.commit()
            client = app.test_client()
            assert (
                client.post(
                    "/konto/anmelden", data={"email": officer.email, "password": PASSWORD}
                ).status_code
                == 302
            )
            shown = dashboard_partner_ids(client, reader)
            assert shown == [partner for _rank, partner, _text in served[reader]]
            db.session.remove()

            with (
                pause_on_insert(dbname, "suggestion", f"NEW.kommune_id = {target}", LOCK_KEY) as pause,
                admin_connection() as admin,
            ):
                pending = recompute_all.apply_async(queue=queue)
                (paused_backend,) = wait_for(
                    lambda: backends_waiting_on_advisory_lock(admin, dbname),
                    "Neuberechnung hält beim Schreiben",
                )
                killed_run = db.session.scalar(sa.select(sa.func.max(SuggestionRun.id)))
                assert killed_run > first["run_id"]
                written = db.session.scalar(sa.select(sa.func.count()).where(Suggestion.run_id == killed_run))
                assert 0 < written < len(served) * 10, "the pause must strike in the middle of the write"
                db.session.remove()

                (pool_process,) = child_pids(worker.pid)
                os.kill(pool_process, signal.SIGKILL)

                # The redelivered task runs in a new pool process and reaches the same pause.
                wait_for(
                    lambda: set(backends_waiting_on_advisory_lock(admin, dbname)) - {paused_backend},
                    "erneut zugestellte Aufgabe erreicht dieselbe Stelle",
                )
                assert pool_process not in child_pids(worker.pid)
                rerun = db.session.scalar(sa.select(sa.func.max(SuggestionRun.id)))
                assert rerun > killed_run
                # Meanwhile readers see the old run, unchanged.
                assert vorschlaege.current_run_id() == first["run_id"]
                assert lists_by_kommune(first["run_id"]) == served
                assert dashboard_partner_ids(client, reader) == shown
                db.session.remove()
                pause.release()

            result = pending.get(timeout=180)  # the same task id: its redelivery finished
            assert result["run_id"] == rerun and result["current"]
            assert vorschlaege.current_run_id() == rerun
            assert lists_by_kommune(rerun) == served
            assert dashboard_partner_ids(client, reader) == shown
            killed = db.session.get(SuggestionRun, killed_run)
            # Nobody finished the killed run: it stays "laeuft" until prune_runs declares it stale.
            assert killed.status == "laeuft" and killed.finished_at is None
            db.session.remove()
            db.engine.dispose()
    text = log.read_text()
    assert "SIGKILL" in text or "signal 9" in text, text[-3000:]
