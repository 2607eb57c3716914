"""Two views of the same suggestion list at the same moment (found by the load benchmark: HTTP 500).

Both requests look for the "shown" rows, find none and insert them; a trigger holds both inserts
until both have arrived, so they really collide on the unique constraint. Neither may fail, and each
pair is recorded once.
"""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from tests import services
from tests.conftest import DEMO_REGION
from tests.faults.conftest import (
    admin_connection,
    backends_waiting_on_advisory_lock,
    database_name,
    make_fault_app,
    pause_on_insert,
    wait_for,
)

pytestmark = [pytest.mark.faults, pytest.mark.postgres]

LOCK_KEY = 7_101_005
EAGER = {"task_always_eager": True, "broker_url": "memory://", "result_backend": "cache+memory://"}


def test_two_simultaneous_views_record_each_shown_partner_once(tmp_path, monkeypatch):
    from flask_migrate import upgrade

    from plattform.extensions import db
    from plattform.kommunen.models import Kommune
    from plattform.kommunen.services import import_gv_file
    from plattform.vorschlaege.models import SuggestionFeedback
    from plattform.vorschlaege.services import record_shown

    reason = services.postgres_available()
    if reason:
        services.unavailable(reason)
    with services.temporary_postgres_database() as url:
        env = {"DATABASE_URL": url, "KOMMUNALMATCH_INSTANCE": str(tmp_path)}
        app = make_fault_app(monkeypatch, env, "km-faults-views", CELERY=dict(EAGER))
        with app.app_context():
            upgrade()
            import_gv_file(DEMO_REGION)
            kommune, *partners = db.session.scalars(sa.select(Kommune.id).order_by(Kommune.id).limit(4)).all()
            db.session.remove()

        errors: list[BaseException] = []

        def view():
            try:
                with app.app_context():
                    record_shown(kommune, partners)
            except BaseException as exc:
                errors.append(exc)

        dbname = database_name(url)
        with (
            pause_on_insert(dbname, "suggestion_feedback", "true", LOCK_KEY) as pause,
            admin_connection() as admin,
        ):
            threads = [threading.Thread(target=view, daemon=True) for _ in range(2)]
            for thread in threads:
                thread.start()
            wait_for(
                lambda: len(backends_waiting_on_advisory_lock(admin, dbname)) == 2,
                "beide Ansichten schreiben",
            )
            pause.release()
            for thread in threads:
                thread.join(60)
        assert errors == []
        with app.app_context():
            rows = db.session.execute(
                sa.select(SuggestionFeedback.partner_id, SuggestionFeedback.count).where(
                    SuggestionFeedback.kommune_id == kommune, SuggestionFeedback.kind == "ignoriert"
                )
            ).all()
            assert sorted(rows) == [(p, 0) for p in sorted(partners)]
            db.session.remove()
            db.engine.dispose()
