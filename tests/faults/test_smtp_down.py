"""The SMTP server is down (connection refused) while the weekly digest runs through a real worker.

Two weekly runs race through a worker with two processes while nothing listens on the mail port;
every recipient's message is refused at least once and retried through the broker. Then the server
starts on the same port: each recipient gets exactly one message, and a third run sends nothing.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests import services
from tests.conftest import SmtpRecorder
from tests.faults.conftest import make_fault_app, wait_for
from tests.integration.test_backends import BACKENDS, backend_env

pytestmark = [pytest.mark.faults, pytest.mark.worker]

WEEK = "2026-W48"


def restart(recorder: SmtpRecorder) -> None:
    """Start the SMTP server again on the same port with the same handler (a new controller)."""
    from aiosmtpd.controller import Controller

    recorder.controller = Controller(recorder.controller.handler, hostname="127.0.0.1", port=recorder.port)
    recorder.controller.start()


@pytest.mark.parametrize("kind", BACKENDS)
def test_smtp_down_during_the_digest_is_retried_and_each_recipient_gets_one_message(
    kind, tmp_path, monkeypatch
):
    from flask_migrate import upgrade

    from plattform.digest.models import DigestDelivery
    from plattform.digest.tasks import send_weekly_digest
    from plattform.extensions import db
    from tests.factories import KommuneFactory
    from tests.plattform.digest.conftest import contact_request, officer, parsed

    recorder = SmtpRecorder()  # port reserved, nothing listening yet: connection refused
    running = False
    try:
        with backend_env(kind, tmp_path) as (env, queue):
            env = {
                **env,
                "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": str(recorder.port),
                "BASE_URL": "https://kommunalmatch.example.de",
                "DIGEST_RETRY_BACKOFF": "1",
                "DIGEST_RETRY_BACKOFF_MAX": "2",
                "DIGEST_RETRY_MAX": "100",  # the outage must not use up the retries
            }
            app = make_fault_app(monkeypatch, env, queue)
            with app.app_context():
                upgrade()
                kommunen = [
                    KommuneFactory(name="Kreuzau", ags="05358028"),
                    KommuneFactory(name="Nörvenich", ags="05358044"),
                    KommuneFactory(name="Düren", ags="05358008"),
                ]
                people = [
                    officer(k, name=n)
                    for k, n in zip(kommunen, ["Anna Schäfer", "Björn Öztürk", "Cem Yılmaz"], strict=True)
                ]
                for a, b in ((1, 0), (2, 1), (0, 2)):
                    contact_request(kommunen[a], kommunen[b])
                db.session.commit()
                emails = sorted(p.email for p in people)
                db.session.remove()

            with (
                services.celery_worker(env, queue, tmp_path / "worker.log", concurrency=2),
                app.app_context(),
            ):
                runs = [send_weekly_digest.apply_async(args=(WEEK,), queue=queue) for _ in range(2)]
                task_ids = [task_id for run in runs for task_id in run.get(timeout=60)["tasks"]]
                assert len(task_ids) == 2 * len(people)

                def all_refused():
                    db.session.remove()
                    rows = db.session.scalars(sa.select(DigestDelivery)).all()
                    return len(rows) == len(people) and all(
                        r.status == "reserved" and "ConnectionRefused" in (r.error or "") for r in rows
                    )

                wait_for(all_refused, "jede Zustellung einmal abgewiesen", timeout=120)
                assert recorder.messages == []
                restart(recorder)
                running = True

                celery_app = app.extensions["celery"]
                outcomes = sorted(celery_app.AsyncResult(i).get(timeout=180) for i in task_ids)
                third = send_weekly_digest.apply_async(args=(WEEK,), queue=queue).get(timeout=60)
                again = [celery_app.AsyncResult(i).get(timeout=60) for i in third["tasks"]]
                db.session.remove()
                rows = db.session.scalars(sa.select(DigestDelivery)).all()
                db.session.remove()
                db.engine.dispose()
    finally:
        if running:
            recorder.controller.stop()

    assert outcomes == ["bereits-erledigt"] * len(people) + ["gesendet"] * len(people)
    assert again == ["bereits-erledigt"] * len(people)
    assert sorted(parsed(m)["To"].addresses[0].addr_spec for m in recorder.messages) == emails
    assert all(r.status == "sent" and r.attempts >= 2 for r in rows)  # refused first, then retried
