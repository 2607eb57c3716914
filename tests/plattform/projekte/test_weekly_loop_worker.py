"""Through a real Celery worker (embedded SQLite broker; PostgreSQL + Redis in CI): a profile edit
refreshes the project proposals, and an invitation into a project reaches the invited officer."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from tests import services
from tests.conftest import SmtpRecorder
from tests.integration.test_backends import BACKENDS, backend_env, make_app


def _until(check, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    return check()


@pytest.mark.worker
@pytest.mark.parametrize("kind", BACKENDS)
def test_profile_edit_and_invitation_go_through_the_worker(kind, tmp_path, monkeypatch):
    from flask_migrate import upgrade

    from matching.profiles import ProfileData
    from plattform.extensions import db
    from plattform.kommunen.models import Kommune
    from plattform.profile.services import save_profile
    from plattform.projekte.models import ProjectProposal, ProjectProposalMember
    from plattform.projekte.proposals import recompute
    from plattform.projekte.services import invite_kommunen, propose_project
    from tests.plattform.digest.conftest import officer, parsed
    from tests.plattform.projekte.scenarios import HUND, kommune_at

    recorder = SmtpRecorder()
    recorder.controller.start()
    try:
        with backend_env(kind, tmp_path) as (env, queue):
            env = {**env, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(recorder.port)}
            app = make_app(monkeypatch, env, queue)
            with app.app_context():
                upgrade()
                a = kommune_at("05358011", "Adorf", 0, 0, bedarfe={HUND: 2})
                kommune_at("05358012", "Bestadt", 8, 0, bedarfe={HUND: 2})
                kommune_at("05358014", "Cedorf", 4, -6, bedarfe={HUND: 2})
                late = kommune_at("05358013", "Spätdorf", 4, 6)
                invited = officer(late, name="Sven Spätdorf", status=None)
                db.session.commit()
                recompute()
                a_id, late_id, address = a.id, late.id, invited.email
                db.engine.dispose()
            with services.celery_worker(env, queue, tmp_path / "worker.log"), app.app_context():
                late = db.session.get(Kommune, late_id)
                save_profile(late, ProfileData(ags=late.ags, bedarfe={HUND: 3}, reichweite_km=40))
                db.session.commit()  # the trigger hands the recompute to the worker after the commit

                def late_in_a_proposal():
                    db.session.rollback()
                    return db.session.scalar(
                        sa.select(sa.func.count(ProjectProposalMember.id))
                        .join(ProjectProposal, ProjectProposal.id == ProjectProposalMember.proposal_id)
                        .where(ProjectProposalMember.kommune_id == late_id, ProjectProposal.thema == HUND)
                    )

                assert _until(late_in_a_proposal) == 1
                project = propose_project(db.session.get(Kommune, a_id), "e-akte", "E-Akte gemeinsam")
                invite_kommunen(project, [db.session.get(Kommune, late_id)])
                db.session.commit()
                assert _until(lambda: len(recorder.messages) >= 1)
                db.engine.dispose()
    finally:
        recorder.controller.stop()
    (message,) = recorder.messages
    msg = parsed(message)
    assert msg["To"].addresses[0].addr_spec == address
    assert msg["Subject"] == "Einladung in das gemeinsame Projekt „E-Akte gemeinsam“"
