"""The nightly recompute: scheduled by beat, and run by a real Celery worker on both backends."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests import services
from tests.integration.test_backends import BACKENDS, backend_env, make_app


def test_recompute_is_in_the_beat_schedule_and_registered(app):
    entry = app.config["CELERY"]["beat_schedule"]["projekte-recompute-proposals"]
    assert entry["task"] == "projekte.recompute_proposals"
    assert "projekte.recompute_proposals" in app.extensions["celery"].tasks


@pytest.mark.worker
@pytest.mark.parametrize("kind", BACKENDS)
def test_a_real_worker_recomputes_the_stored_proposals(kind, tmp_path, monkeypatch):
    from flask_migrate import upgrade

    from plattform.extensions import db
    from plattform.kommunen.services import load_demo_region
    from plattform.netzwerke.demo import seed_networks
    from plattform.projekte.models import ProjectProposal, ProjectProposalMember
    from plattform.projekte.tasks import recompute_proposals

    with backend_env(kind, tmp_path) as (env, queue):
        app = make_app(monkeypatch, env, queue)
        with app.app_context():
            upgrade()
            load_demo_region()
            seed_networks()
            db.session.execute(sa.delete(ProjectProposalMember))
            db.session.execute(sa.delete(ProjectProposal))
            db.session.commit()
            db.engine.dispose()
        with services.celery_worker(env, queue, tmp_path / "worker.log"), app.app_context():
            stats = recompute_proposals.apply_async(queue=queue).get(timeout=120)
            assert stats["proposals"] >= 1
            dog_tax = ProjectProposal.thema == "hundesteuer-digital"
            leads = db.session.scalars(sa.select(ProjectProposal.lead_kommune_id).where(dog_tax)).all()
            assert len(leads) == 1
            db.engine.dispose()
