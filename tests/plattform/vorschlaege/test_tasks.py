"""Celery tasks of the suggestions, run eagerly in the test app (the real worker: tests/integration)."""

from __future__ import annotations

import numpy as np
import sqlalchemy as sa
from celery.schedules import crontab

from plattform.extensions import db
from plattform.vorschlaege import beat_schedule, services, tasks
from plattform.vorschlaege.models import SuggestionRun
from tests.plattform.vorschlaege.helpers import lists_by_kommune, scores, seed_profiles


def test_small_directories_are_recomputed_in_one_task(demo_region):
    seed_profiles()
    out = tasks.recompute_all.delay().get()
    run = db.session.get(SuggestionRun, out["run_id"])
    assert out["current"] and run.status == "fertig" and run.params["blocks"] == 1
    assert services.current_run_id() == run.id


def test_large_directories_are_split_into_a_chord_of_row_blocks(demo_region, app):
    seed_profiles()
    single = services.recompute_full()
    app.config.update(MATCHING_CHORD_MIN_ROWS=100, MATCHING_CHORD_BLOCK_ROWS=70)
    out = tasks.recompute_all.delay().get()
    run = db.session.get(SuggestionRun, out["run_id"])
    db.session.refresh(run)
    assert out["blocks"] == 2 and run.params["blocks"] == 2 and run.params["mode"] == "bloecke"
    assert run.status == "fertig" and services.current_run_id() == run.id
    assert lists_by_kommune(run.id) == lists_by_kommune(single.run_id)
    np.testing.assert_allclose(scores(run.id), scores(single.run_id), rtol=1e-5)


def test_the_chord_errback_fails_the_run_and_keeps_the_current_one(demo_region):
    first = services.recompute_full()
    run_id, _blocks = services.start_block_run(block_rows=100)
    tasks.fail_run.delay(run_id)
    run = db.session.get(SuggestionRun, run_id)
    db.session.refresh(run)
    assert run.status == "fehlgeschlagen" and "Block" in run.error
    assert services.current_run_id() == first.run_id


def test_many_profile_edits_at_once_trigger_a_full_recompute(demo_region):
    first = services.recompute_full()
    ids = db.session.scalars(sa.select(sa.literal_column("id")).select_from(sa.table("kommune"))).all()
    assert tasks.recompute_kommunen.delay(ids).get() == {"full": True}
    assert services.current_run_id() > first.run_id


def test_nightly_recompute_is_scheduled_at_half_past_two_unless_configured(app):
    entry = beat_schedule(app)["vorschlaege-nightly-recompute"]
    assert entry["task"] == tasks.recompute_all.name == "vorschlaege.recompute_all"
    assert entry["schedule"] == crontab(hour=2, minute=30)
    app.config["MATCHING_NIGHTLY_AT"] = "04:05"
    assert beat_schedule(app)["vorschlaege-nightly-recompute"]["schedule"] == crontab(hour=4, minute=5)
    assert app.config["CELERY"]["beat_schedule"]["vorschlaege-nightly-recompute"]["task"] == entry["task"]
    assert app.extensions["celery"].conf.timezone == "Europe/Berlin"
