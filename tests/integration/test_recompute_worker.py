"""The recompute through a real Celery worker on both backends: embedded (SQLite + SQLAlchemy broker)
and production (PostgreSQL + Redis), including a failure in the middle of the write and the chord."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from tests import services as test_services
from tests.conftest import DEMO_REGION
from tests.integration.test_backends import BACKENDS, backend_env, make_app

pytestmark = pytest.mark.worker


def _prepare(app) -> list[int]:
    """Migrate, import the demo region, give it profiles; return the matchable ids in row order."""
    from flask_migrate import upgrade

    from plattform.extensions import db
    from plattform.kommunen.models import Kommune
    from plattform.kommunen.services import import_gv_file, matchable_filter
    from tests.plattform.vorschlaege.helpers import seed_profiles

    with app.app_context():
        upgrade()
        import_gv_file(DEMO_REGION)
        seed_profiles(seed=8)
        ids = db.session.scalars(sa.select(Kommune.id).where(matchable_filter()).order_by(Kommune.id)).all()
        db.engine.dispose()
    return ids


def _install_failure(kommune_id: int) -> None:
    """A database trigger that rejects the suggestions of one Kommune in the middle of the list."""
    from plattform.extensions import db

    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(
                sa.text(
                    "CREATE FUNCTION km_fail_midway() RETURNS trigger AS $$ BEGIN "
                    f"IF NEW.kommune_id = {kommune_id} THEN "
                    "RAISE EXCEPTION 'eingeschleuster Fehler'; END IF; "
                    "RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                sa.text(
                    "CREATE TRIGGER km_fail_midway BEFORE INSERT ON suggestion "
                    "FOR EACH ROW EXECUTE FUNCTION km_fail_midway()"
                )
            )
        else:
            conn.execute(
                sa.text(
                    "CREATE TRIGGER km_fail_midway BEFORE INSERT ON suggestion "
                    f"WHEN NEW.kommune_id = {kommune_id} "
                    "BEGIN SELECT RAISE(ABORT, 'eingeschleuster Fehler'); END"
                )
            )


def _remove_failure() -> None:
    from plattform.extensions import db

    with db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "DROP TRIGGER km_fail_midway"
                + (" ON suggestion" if db.engine.dialect.name == "postgresql" else "")
            )
        )


@pytest.mark.parametrize("kind", BACKENDS)
def test_recompute_through_a_worker_survives_a_failure_midway(kind, tmp_path, monkeypatch):
    from plattform.extensions import db
    from plattform.vorschlaege import services
    from plattform.vorschlaege.models import Suggestion, SuggestionRun
    from plattform.vorschlaege.tasks import recompute_all
    from tests.plattform.vorschlaege.helpers import lists_by_kommune

    with backend_env(kind, tmp_path) as (env, queue):
        env = {**env, "MATCHING_WRITE_CHUNK": "200"}  # several committed chunks before the failure
        app = make_app(monkeypatch, env, queue)
        ids = _prepare(app)
        with test_services.celery_worker(env, queue, tmp_path / "worker.log"), app.app_context():
            first = recompute_all.apply_async(queue=queue).get(timeout=120)
            assert first["current"] and first["suggestions"] == 10 * len(ids)
            served = lists_by_kommune(first["run_id"])

            _install_failure(ids[len(ids) // 2])
            with pytest.raises(Exception, match="eingeschleuster Fehler"):
                recompute_all.apply_async(queue=queue).get(timeout=120)
            db.session.remove()
            failed = db.session.scalar(sa.select(SuggestionRun).order_by(SuggestionRun.id.desc()))
            assert failed.id > first["run_id"] and failed.status == "fehlgeschlagen"
            assert "eingeschleuster Fehler" in failed.error
            assert db.session.scalar(sa.select(sa.func.count()).where(Suggestion.run_id == failed.id)) == 0
            assert services.current_run_id() == first["run_id"]
            assert lists_by_kommune(first["run_id"]) == served
            db.session.remove()

            _remove_failure()
            again = recompute_all.apply_async(queue=queue).get(timeout=120)
            assert again["current"] and again["run_id"] > failed.id
            assert services.current_run_id() == again["run_id"]
            assert lists_by_kommune(again["run_id"]) == served
            db.session.remove()
            db.engine.dispose()


@pytest.mark.parametrize("kind", BACKENDS)
def test_chord_of_two_blocks_through_real_workers_equals_a_single_run(kind, tmp_path, monkeypatch):
    from plattform.extensions import db
    from plattform.vorschlaege import services
    from plattform.vorschlaege.models import SuggestionRun
    from plattform.vorschlaege.tasks import recompute_all
    from tests.plattform.vorschlaege.helpers import lists_by_kommune

    with backend_env(kind, tmp_path) as (env, queue):
        env = {**env, "MATCHING_CHORD_MIN_ROWS": "100", "MATCHING_CHORD_BLOCK_ROWS": "70"}
        app = make_app(monkeypatch, env, queue)
        ids = _prepare(app)
        log = tmp_path / "worker.log"
        with test_services.celery_worker(env, queue, log, concurrency=2), app.app_context():
            started = recompute_all.apply_async(queue=queue).get(timeout=120)
            assert started["blocks"] == 2 and started["status"] == "laeuft"
            deadline = time.monotonic() + 180
            while True:
                db.session.remove()
                run = db.session.get(SuggestionRun, started["run_id"])
                if run.status != "laeuft" or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            assert run.status == "fertig", run.error
            assert services.current_run_id() == run.id and run.size == len(ids)
            chord_lists = lists_by_kommune(run.id)
        text = log.read_text()
        assert text.count("vorschlaege.score_block[") >= 2 and "vorschlaege.merge_blocks[" in text
        # the writing is fanned out again: one task per row range, then the swap
        assert text.count("vorschlaege.write_block[") >= 2 and "vorschlaege.swap_run[" in text
        with app.app_context():
            single = services.recompute_full()
            assert lists_by_kommune(single.run_id) == chord_lists
            db.session.remove()
            db.engine.dispose()
