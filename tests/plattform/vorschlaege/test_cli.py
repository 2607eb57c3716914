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
            "explanation",
            "facts",
            "explanation_de",
        }
        assert s["explanation"].endswith(".") and s["ags"] != "05358008"
        assert s["explanation_de"] == s["explanation"]  # --lang de is the default
        assert [t["topic"] for t in s["facts"]["teaches_me"]] == s["teaches_me"]
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


def test_show_several_all_and_in_english(demo_region, runner):
    seed_profiles()
    services.recompute_full()
    two = runner.invoke(args=["matching", "show", "05358008", "05358024", "--limit", "1", "--json"])
    assert two.exit_code == 0, two.output
    docs = json.loads(two.stdout)
    assert [d["ags"] for d in docs] == ["05358008", "05358024"]
    everyone = json.loads(runner.invoke(args=["matching", "show", "--all", "--limit", "1", "--json"]).stdout)
    assert len(everyone) == 126 and len({d["ags"] for d in everyone}) == 126
    en = json.loads(runner.invoke(args=["matching", "show", "05358008", "--json", "--lang", "en"]).stdout)
    de = json.loads(runner.invoke(args=["matching", "show", "05358008", "--json"]).stdout)
    for s_en, s_de in zip(en["suggestions"], de["suggestions"], strict=True):
        assert s_en["facts"] == s_de["facts"] and s_en["explanation_de"] == s_de["explanation"]
        assert s_en["explanation"] != s_de["explanation"]
        assert " km " not in s_en["explanation"] or " away" in s_en["explanation"]
        assert "entfernt" not in s_en["explanation"] and "lernen" not in s_en["explanation"]


def test_show_refuses_an_unknown_language_and_names_an_unknown_ags_among_several(demo_region, runner):
    bad_lang = runner.invoke(args=["matching", "show", "05358008", "--lang", "fr"])
    assert bad_lang.exit_code != 0 and "'de'" in bad_lang.output and "'en'" in bad_lang.output
    mixed = runner.invoke(args=["matching", "show", "05358008", "99999999", "--json"])
    assert mixed.exit_code != 0 and "99999999" in mixed.output
    assert runner.invoke(args=["matching", "show"]).exit_code != 0


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
