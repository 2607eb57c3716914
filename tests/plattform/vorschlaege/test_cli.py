"""`flask matching recompute|show|status` and the demo step."""

from __future__ import annotations

import json

from plattform.extensions import db
from plattform.vorschlaege import services
from plattform.vorschlaege.models import SuggestionRun
from tests.plattform.vorschlaege.helpers import seed_profiles


def test_recompute_sync_then_show_as_json_on_stdout_only(demo_region, runner):
    seed_profiles()
    result = runner.invoke(args=["matching", "recompute", "--sync"])
    assert result.exit_code == 0, result.output
    assert "126 Kommunen, 1260 Vorschläge" in result.output

    result = runner.invoke(args=["matching", "show", "05358008", "--limit", "3", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)  # the whole stdout is one document
    assert doc["ags"] == "05358008" and doc["name"] == "Düren, Stadt"
    assert doc["run"]["id"] == services.current_run_id() and doc["run"]["size"] == 126
    assert len(doc["suggestions"]) == 3
    for s in doc["suggestions"]:
        assert set(s) >= {
            "ags",
            "name",
            "score",
            "teaches_me",
            "learns_from_me",
            "distance_km",
            "explanation_de",
        }
        assert s["explanation_de"].endswith(".") and s["ags"] != "05358008"
        assert s["distance_km"] is None or s["distance_km"] >= 0
    assert [s["rank"] for s in doc["suggestions"]] == [1, 2, 3]
    assert doc["suggestions"][0]["score"] >= doc["suggestions"][2]["score"]


def test_show_as_text_names_partners_and_reasons(demo_region, runner):
    seed_profiles()
    services.recompute_full()
    result = runner.invoke(args=["matching", "show", "05358008", "--limit", "2"])
    assert result.exit_code == 0
    assert (
        "Düren, Stadt (05358008), Lauf" in result.output
        and " 1. " in result.output
        and " 3. " not in result.output
    )


def test_show_before_any_run_and_for_an_unknown_ags(demo_region, runner):
    result = runner.invoke(args=["matching", "show", "05358008", "--json"])
    assert json.loads(result.stdout) == {
        "ags": "05358008",
        "name": "Düren, Stadt",
        "run": None,
        "suggestions": [],
    }
    result = runner.invoke(args=["matching", "show", "99999999"])
    assert result.exit_code != 0 and "nicht im Gemeindeverzeichnis" in result.output


def test_recompute_without_sync_enqueues_the_task_and_prints_its_id(demo_region, runner):
    result = runner.invoke(args=["matching", "recompute"])
    assert result.exit_code == 0
    task_id = result.output.strip()
    assert len(task_id) == 36 and task_id.count("-") == 4  # a Celery task id (eager here: already done)
    assert db.session.scalar(db.select(SuggestionRun.status)) == "fertig"


def test_status_lists_runs_and_marks_the_current_one(demo_region, runner):
    assert "Noch kein Lauf" in runner.invoke(args=["matching", "status"]).output
    first = services.recompute_full()
    second = services.recompute_full()
    out = runner.invoke(args=["matching", "status"]).output
    assert f"* Lauf {second.run_id}: fertig" in out and f"  Lauf {first.run_id}: fertig" in out


def test_demo_seed_ends_with_suggestions(app, runner):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "Vorschläge berechnet: 126 Kommunen" in result.output
    assert services.current_run_id() is not None
