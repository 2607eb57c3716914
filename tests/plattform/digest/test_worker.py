"""The weekly job through a real Celery worker (embedded SQLite broker; PostgreSQL + Redis in CI).

Two weekly runs race through a worker with two processes, and the SMTP server refuses the first
message once (the retry goes back through the broker): each recipient still gets exactly one message,
with every section (contacts, projects, networks) and the one-click unsubscribe headers.
"""

from __future__ import annotations

import pytest

from tests import services
from tests.conftest import SmtpRecorder
from tests.integration.test_backends import BACKENDS, backend_env, make_app

WEEK = "2026-W48"


@pytest.mark.worker
@pytest.mark.parametrize("kind", BACKENDS)
def test_weekly_job_twice_through_a_real_worker_sends_one_message_per_recipient(kind, tmp_path, monkeypatch):
    from flask_migrate import upgrade

    from plattform.digest.tasks import send_weekly_digest
    from plattform.extensions import db
    from plattform.netzwerke.services import create_netzwerk, invite
    from plattform.projekte.services import join_project, propose_project
    from tests.factories import KommuneFactory
    from tests.plattform.digest.conftest import contact_request, officer, parsed

    recorder = SmtpRecorder()
    recorder.controller.start()
    try:
        with backend_env(kind, tmp_path) as (env, queue):
            env = {
                **env,
                "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": str(recorder.port),
                "BASE_URL": "https://kommunalmatch.example.de",
                "DIGEST_RETRY_BACKOFF": "1",
            }
            app = make_app(monkeypatch, env, queue)
            with app.app_context():
                upgrade()
                kreuzau = KommuneFactory(name="Kreuzau", ags="05358028")
                noervenich = KommuneFactory(name="Nörvenich", ags="05358044")
                first = officer(kreuzau, name="Anna Schäfer")
                second = officer(noervenich, name="Björn Öztürk")
                contact_request(noervenich, kreuzau)
                contact_request(kreuzau, noervenich)
                project = propose_project(kreuzau, "hundesteuer-digital", "Hundesteuer gemeinsam")
                join_project(project, noervenich.id)
                netzwerk = create_netzwerk("kdvz", "zweckverband")
                invite(netzwerk, ags=noervenich.ags)
                # The join and invitation notices are not under test here (the refusal must hit a digest).
                db.session.info.pop("h13_pending_notices", None)
                db.session.commit()
                emails = sorted([first.email, second.email])
                db.engine.dispose()
            recorder.fail_next = 1
            with (
                services.celery_worker(env, queue, tmp_path / "worker.log", concurrency=2),
                app.app_context(),
            ):
                runs = [send_weekly_digest.apply_async(args=(WEEK,), queue=queue) for _ in range(2)]
                task_ids = [task_id for run in runs for task_id in run.get(timeout=60)["tasks"]]
                celery_app = app.extensions["celery"]
                outcomes = sorted(celery_app.AsyncResult(i).get(timeout=120) for i in task_ids)
    finally:
        recorder.controller.stop()

    assert outcomes == ["bereits-erledigt", "bereits-erledigt", "gesendet", "gesendet"]
    assert sorted(parsed(m)["To"].addresses[0].addr_spec for m in recorder.messages) == emails
    assert recorder.fail_next == 0  # the refusal really happened and was retried
    bodies = {
        parsed(m)["To"].addresses[0].addr_spec: parsed(m).get_body(("plain",)).get_content()
        for m in recorder.messages
    }
    for m in recorder.messages:
        assert parsed(m)["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert parsed(m)["List-Unsubscribe"].startswith("<https://kommunalmatch.example.de/digest/abmelden/")
    assert "Nörvenich ist dem Projekt „Hundesteuer gemeinsam“ beigetreten." in bodies[first.email]
    assert "Kontaktanfragen" in bodies[first.email]
    assert "Nörvenich ist in das Netzwerk „kdvz“ eingeladen." in bodies[second.email]
