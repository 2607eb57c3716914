"""The production path and the embedded default, end to end: migrations, importer, a real worker.

Each test runs on SQLite + the SQLAlchemy broker (embedded default) and on PostgreSQL + Redis
(production). Without PostgreSQL or Redis the second variant skips — or fails under REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import uuid
from contextlib import ExitStack, contextmanager

import pytest
import sqlalchemy as sa

from tests import services
from tests.conftest import DEMO_REGION

BACKENDS = ["embedded", "production"]


@contextmanager
def backend_env(kind: str, tmp_path):
    """Environment variables for web and worker on the chosen backend; cleans up afterwards."""
    queue = f"km-test-{uuid.uuid4().hex[:8]}"
    with ExitStack() as stack:
        if kind == "embedded":
            env = {
                "DATABASE_URL": f"sqlite:///{tmp_path / 'km.db'}",
                "CELERY_BROKER_URL": f"sqla+sqlite:///{tmp_path / 'broker.db'}",
                "CELERY_RESULT_BACKEND": f"db+sqlite:///{tmp_path / 'results.db'}",
            }
        else:
            for reason in (services.postgres_available(), services.redis_available()):
                if reason:
                    services.unavailable(reason)
            url = stack.enter_context(services.temporary_postgres_database())
            env = {
                "DATABASE_URL": url,
                "CELERY_BROKER_URL": services.REDIS_URL,
                "CELERY_RESULT_BACKEND": services.REDIS_URL,
            }
            stack.callback(services.clean_redis_queue, queue)
        env["KOMMUNALMATCH_INSTANCE"] = str(tmp_path)
        yield env, queue


def make_app(monkeypatch, env: dict, queue: str):
    from plattform import create_app

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("CELERY_QUEUE", queue)
    monkeypatch.delenv("CELERY_TASK_ALWAYS_EAGER", raising=False)
    return create_app({"TESTING": True})


@pytest.mark.parametrize("kind", BACKENDS)
def test_migrations_upgrade_downgrade_and_match_the_models(kind, tmp_path, monkeypatch):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from flask_migrate import downgrade, upgrade

    from plattform.extensions import db
    from plattform.models import import_all_models

    with backend_env(kind, tmp_path) as (env, queue):
        app = make_app(monkeypatch, env, queue)
        with app.app_context():
            upgrade()
            import_all_models()
            with db.engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
            assert diff == [], f"Migrationen und Modelle weichen ab: {diff}"
            downgrade(revision="base")
            assert sa.inspect(db.engine).get_table_names() in ([], ["alembic_version"])
            upgrade()
            db.engine.dispose()


@pytest.mark.worker
@pytest.mark.parametrize("kind", BACKENDS)
def test_import_and_celery_round_trip_through_a_real_worker(kind, tmp_path, monkeypatch):
    from flask_migrate import upgrade

    from plattform.core.tasks import directory_counts_task
    from plattform.extensions import db
    from plattform.kommunen.services import import_gv_file

    with backend_env(kind, tmp_path) as (env, queue):
        app = make_app(monkeypatch, env, queue)
        with app.app_context():
            upgrade()
            stats = import_gv_file(DEMO_REGION)
            assert (stats.kreise, stats.gemeinden) == (10, 120)
            db.engine.dispose()
        with services.celery_worker(env, queue, tmp_path / "worker.log"), app.app_context():
            result = directory_counts_task.apply_async(queue=queue)
            assert result.get(timeout=60) == {"kreis": 10, "gemeinde": 120}
