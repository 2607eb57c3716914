"""Suggestion services on a real database: input, exclusions, explanations, swap, failures, updates."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import sqlalchemy as sa

from matching import engine
from matching.profiles import ProfileData
from matching.vocabulary import TOPIC_INDEX
from plattform.extensions import db
from plattform.kontakte.models import ContactRequest, Partnership
from plattform.profile.services import save_profile
from plattform.vorschlaege import services
from plattform.vorschlaege.explain import sentence
from plattform.vorschlaege.models import MatchingState, Suggestion, SuggestionFeedback, SuggestionRun
from tests.factories import KommuneFactory
from tests.plattform.vorschlaege.helpers import lists_by_kommune, scores, seed_profiles

# A is strong where B, C, D, E need help and needs what they are strong in; F has no profile.
NEEDS_OF_A = {"e-akte": 3, "fim": 2}
STRONG_OF_A = {"ozg-umsetzung": 3}


@pytest.fixture
def world(app):
    """Six Kommunen within 20 km, five of them with profiles that make everyone want A."""
    ks = {}
    for r, name in enumerate("ABCDEF"):
        ks[name] = KommuneFactory(name=f"Gemeinde {name}", ags=f"05354{r:03d}", lat=50.8 + 0.03 * r, lon=6.5)
    db.session.flush()
    save_profile(ks["A"], ProfileData(ags=ks["A"].ags, staerken=STRONG_OF_A, bedarfe=NEEDS_OF_A))
    for name in "BCDE":
        save_profile(
            ks[name],
            ProfileData(ags=ks[name].ags, staerken={"e-akte": 3, "fim": 2}, bedarfe={"ozg-umsetzung": 3}),
        )
    db.session.commit()
    return ks


def partner_ids(kommune) -> list[int]:
    return [s.partner_id for s in services.current_suggestions(kommune.id)]


def test_input_has_profiles_places_kinds_and_empty_rows_for_kommunen_without_profile(world):
    KommuneFactory(name="Aufgelöst", active=False)
    kreis = KommuneFactory(ags="05354", ebene="kreis", kind="kreis", name="Düren", lat=None, lon=None)
    db.session.commit()
    ctx = services.build_match_input()
    ids = [world[x].id for x in "ABCDEF"] + [kreis.id]
    assert ctx.ids.tolist() == ids  # the inactive Kommune is not matchable
    a, f, k = 0, 5, 6
    assert ctx.inp.strength[a, engine_topic("ozg-umsetzung")] == 3
    assert ctx.inp.need[a, engine_topic("e-akte")] == 3
    assert not ctx.inp.strength[f].any() and not ctx.inp.need[f].any()
    assert np.isnan(ctx.inp.reach_km[f]) and ctx.inp.reach_km[a] == 50
    assert ctx.inp.kind[k] == engine.KIND_CODES["kreis"] and ctx.inp.kind[a] == engine.KIND_CODES["gemeinde"]
    # the Kreis has no coordinates of its own: its members' centre stands in, flagged approximate
    assert ctx.inp.coord_approx[k] and not ctx.inp.coord_approx[a] and np.isfinite(ctx.inp.lat[k])
    assert ctx.inp.kreis[a] == ctx.inp.kreis[k]  # same Kreisschlüssel 05354
    from plattform.kommunen.models import Kommune

    assert db.session.get(Kommune, ids[k]).display_name == "Kreis Düren"  # how explanations name it


def engine_topic(slug: str) -> int:
    from matching.vocabulary import TOPIC_INDEX

    return TOPIC_INDEX[slug]


def test_partners_declined_and_not_interested_pairs_are_never_suggested(world):
    a, b, c, d = (world[x] for x in "ABCD")
    db.session.add(Partnership(kommune_a_id=min(a.id, b.id), kommune_b_id=max(a.id, b.id)))
    db.session.add(ContactRequest(from_kommune_id=c.id, to_kommune_id=a.id, status="abgelehnt"))
    db.session.commit()
    services.mark_not_interested(a.id, d.id)
    services.recompute_full()

    assert set(partner_ids(a)) == {world["E"].id, world["F"].id}
    for other in (b, c, d):  # exclusions hold in both directions
        assert a.id not in partner_ids(other)
    stored = db.session.scalars(sa.select(Suggestion.partner_id).where(Suggestion.kommune_id == a.id)).all()
    assert set(stored) == {world["E"].id, world["F"].id}  # excluded in the run, not only filtered on read


def test_reads_hide_new_partners_and_not_interested_before_the_next_run(world):
    a, e = world["A"], world["E"]
    services.recompute_full()
    assert e.id in partner_ids(a)
    services.mark_not_interested(a.id, e.id)
    assert e.id not in partner_ids(a)
    db.session.add(Partnership(kommune_a_id=min(a.id, world["B"].id), kommune_b_id=max(a.id, world["B"].id)))
    db.session.commit()
    assert world["B"].id not in partner_ids(a)
    assert len(services.current_suggestions(a.id, limit=2)) == 2


def test_stored_facts_are_the_engines_facts(world, app):
    services.recompute_full()
    ctx = services.build_match_input()
    suggestions = db.session.scalars(
        sa.select(Suggestion).order_by(Suggestion.kommune_id, Suggestion.rank)
    ).all()
    assert len(suggestions) == 6 * 5
    prep = engine.prepare(ctx.inp)
    for s in suggestions:
        i, j = ctx.row_of[s.kommune_id], ctx.row_of[s.partner_id]
        facts = s.fact_sheet
        assert not facts.unknown
        for t in facts.teaches_me:  # every topic the partner "can teach me" is its strength and my need
            col = TOPIC_INDEX[t.slug]
            assert ctx.inp.need[i, col] > 0 and ctx.inp.strength[j, col] == t.level
        for t in facts.learns_from_me:
            col = TOPIC_INDEX[t.slug]
            assert ctx.inp.need[j, col] > 0 and ctx.inp.strength[i, col] == t.level
        terms = engine.pair_terms(prep, np.array([i]), np.array([j]))
        parts = facts.parts
        assert parts["comp"] == pytest.approx(float(terms["comp"][0]), rel=5e-3)
        assert parts["comp"] * parts["context"] * parts["ignored"] == pytest.approx(s.score, rel=2e-2)
        assert facts.distance_km == pytest.approx(s.distance_km, abs=0.06)
    b_to_a = next(s for s in suggestions if s.kommune_id == world["B"].id and s.partner_id == world["A"].id)
    assert b_to_a.teaches_me == ["ozg-umsetzung"] and b_to_a.learns_from_me == ["e-akte", "fim"]
    with app.test_request_context():
        text = sentence(b_to_a.fact_sheet, "Gemeinde B", "Gemeinde A")
    assert text.startswith(
        "Gemeinde B kann von Gemeinde A im Thema „OZG und EfA-Nachnutzung“ lernen; im Gegenzug"
    )


def test_a_failure_midway_through_the_write_leaves_the_previous_run_served(world, app, monkeypatch):
    first = services.recompute_full()
    before = lists_by_kommune(first.run_id)
    app.config["MATCHING_WRITE_CHUNK"] = 7
    original = services._insert_chunk
    calls = []

    def fail_on_third_chunk(rows):
        calls.append(len(rows))
        if len(calls) == 3:
            raise RuntimeError("Platte voll")
        original(rows)

    monkeypatch.setattr(services, "_insert_chunk", fail_on_third_chunk)
    with pytest.raises(RuntimeError, match="Platte voll"):
        services.recompute_full()
    assert len(calls) == 3  # two chunks (14 rows) had been committed when it broke
    failed = db.session.scalar(sa.select(SuggestionRun).order_by(SuggestionRun.id.desc()))
    assert failed.status == "fehlgeschlagen" and "Platte voll" in failed.error
    assert services.current_run_id() == first.run_id
    assert lists_by_kommune(first.run_id) == before
    assert db.session.scalar(sa.select(sa.func.count()).where(Suggestion.run_id == failed.id)) == 0

    monkeypatch.setattr(services, "_insert_chunk", original)
    again = services.recompute_full()
    assert services.current_run_id() == again.run_id > failed.id
    assert lists_by_kommune(again.run_id) == before  # same data, same lists


def test_an_engine_error_fails_the_run_and_keeps_the_current_one(world, monkeypatch):
    first = services.recompute_full()

    def broken(*_args, **_kwargs):
        raise ValueError("kaputt")

    monkeypatch.setattr(engine, "compute", broken)
    with pytest.raises(ValueError):
        services.recompute_full()
    assert services.current_run_id() == first.run_id
    assert services.current_suggestions(world["A"].id)


def _computed(kind="voll"):
    run_id = services.start_run(kind)
    ctx = services.build_match_input()
    return run_id, ctx, engine.compute(ctx.inp, services.match_params())


def test_of_two_overlapping_recomputes_the_later_started_one_wins_whatever_finishes_first(world):
    older = _computed()
    newer = _computed()
    assert services.finish_run(*newer).current
    late = services.finish_run(*older)
    assert not late.current
    assert services.current_run_id() == newer[0]
    run = db.session.get(SuggestionRun, older[0])
    assert run.status == "fertig" and "Nicht übernommen" in run.error
    assert len(services.current_suggestions(world["A"].id)) == 5

    first, second = _computed(), _computed()
    services.finish_run(*first)
    assert services.current_run_id() == first[0]
    services.finish_run(*second)
    assert services.current_run_id() == second[0]


def test_two_recomputes_in_parallel_threads_leave_one_complete_current_run(world, app):
    errors, summaries = [], []

    def run():
        with app.app_context():
            try:
                summaries.append(services.recompute_full())
            except Exception as exc:  # pragma: no cover - the assertion below shows it
                errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [], errors
    db.session.expire_all()
    runs = db.session.scalars(sa.select(SuggestionRun).order_by(SuggestionRun.id)).all()
    with db.engine.connect() as conn:
        fresh = conn.execute(sa.select(SuggestionRun.id, SuggestionRun.status)).all()
    assert [r.status for r in runs] == ["fertig", "fertig"], (summaries, fresh, services.current_run_id())
    assert services.current_run_id() == runs[-1].id
    assert lists_by_kommune(runs[0].id) == lists_by_kommune(runs[1].id)
    assert sum(len(v) for v in lists_by_kommune(runs[-1].id).values()) == 30


def test_old_runs_are_pruned_keeping_the_current_and_the_previous_one(world):
    ids = [services.recompute_full().run_id for _ in range(4)]
    remaining = db.session.scalars(sa.select(SuggestionRun.id).order_by(SuggestionRun.id)).all()
    assert remaining == ids[-2:]
    assert db.session.scalar(sa.select(sa.func.count(sa.distinct(Suggestion.run_id)))) == 2


def test_without_any_run_reads_are_empty_and_updates_do_nothing(world):
    assert services.current_suggestions(world["A"].id) == []
    assert services.recompute_kommunen([world["A"].id]).run_id is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SuggestionRun)) == 0


def test_no_matchable_kommune_gives_an_empty_finished_run(app):
    summary = services.recompute_full()
    assert summary.size == 0 and summary.suggestions == 0
    assert services.current_run_id() == summary.run_id


def test_ignored_suggestions_sink_and_a_contact_request_stops_the_sinking(world):
    from datetime import timedelta

    from plattform.core.clock import utcnow

    a, e = world["A"], world["E"]
    now = utcnow()
    services.record_shown(a.id, [e.id], now=now)
    services.record_shown(a.id, [e.id], now=now + timedelta(days=1))  # same week: not another ignore
    services.record_shown(a.id, [e.id], now=now + timedelta(days=8))
    row = db.session.scalar(sa.select(SuggestionFeedback).filter_by(kommune_id=a.id, kind="ignoriert"))
    assert row.count == 1
    ctx = services.build_match_input(now=now + timedelta(days=8))
    assert ctx.inp.ignored.tolist() == [[ctx.row_of[a.id], ctx.row_of[e.id]]]
    # one ignore, counted at the last showing (day 8): the engine's factor for count 1, 0 days since
    assert ctx.inp.ignored_factor[0] == pytest.approx(
        float(engine.ignore_factor(np.array([1]), np.array([0.0]))[0])
    )
    assert ctx.inp.ignored_factor[0] < 1

    summary = services.recompute_full()
    e_in_a = next(s for s in services.current_suggestions(a.id) if s.partner_id == e.id)
    d_in_a = next(s for s in services.current_suggestions(a.id) if s.partner_id == world["D"].id)
    assert e_in_a.rank > d_in_a.rank and e_in_a.fact_sheet.parts["ignored"] < 1
    assert summary.current

    db.session.add(ContactRequest(from_kommune_id=a.id, to_kommune_id=e.id, status="offen"))
    db.session.commit()
    assert services.build_match_input().inp.ignored is None


def test_network_providers_feed_the_shared_network_bonus(world, monkeypatch, app):
    a, f = world["A"], world["F"]
    monkeypatch.setattr(services, "NETWORK_PROVIDERS", [])
    services.register_network_provider(lambda: [(a.id, 99), (f.id, 99), (12345678, 99)])
    services.recompute_full()
    a_to_f = next(s for s in services.current_suggestions(a.id) if s.partner_id == f.id)
    assert a_to_f.fact_sheet.shared_networks == 1
    with app.test_request_context():
        assert "1 gemeinsames Netzwerk" in sentence(a_to_f.fact_sheet, "A", "F")


def test_a_profile_edit_updates_the_current_run_in_place_like_a_full_recompute(demo_region):
    from plattform.kommunen.services import get_by_ags

    seed_profiles(seed=11, skip_every=9)
    first = services.recompute_full()
    updates = db.session.get(SuggestionRun, first.run_id).params.get("updates", 0)
    duren = get_by_ags("05358008")
    before = [s.partner_id for s in services.current_suggestions(duren.id)]

    # Düren now wants to learn exactly what the Kommunen around it teach: its list must change.
    save_profile(
        duren, ProfileData(ags=duren.ags, staerken={"glasfaserausbau": 3}, bedarfe={"ozg-umsetzung": 3})
    )
    db.session.commit()  # the after-commit hook runs the update task (eager in tests)

    assert services.current_run_id() == first.run_id  # in place, no new run
    run = db.session.get(SuggestionRun, first.run_id)
    db.session.refresh(run)
    assert run.params["updates"] == updates + 1
    updated = lists_by_kommune(first.run_id)
    assert [p for _r, p, _e in updated[duren.id]] != before

    full = services.recompute_full()
    assert lists_by_kommune(full.run_id) == updated  # every list, not only Düren's own
    np.testing.assert_allclose(scores(full.run_id), scores(first.run_id), rtol=1e-5)


def test_a_second_edit_in_the_same_worker_reuses_the_kept_input_and_still_equals_a_full_run(
    demo_region, monkeypatch
):
    from plattform.kommunen.services import get_by_ags

    seed_profiles(seed=12, skip_every=7)
    first = services.recompute_full()
    duren, kreuzau = get_by_ags("05358008"), get_by_ags("05358024")
    save_profile(duren, ProfileData(ags=duren.ags, staerken={"glasfaserausbau": 3}, bedarfe={"fim": 3}))
    db.session.commit()  # first edit: reads everything once and keeps it
    calls = []
    real = services.build_match_input
    monkeypatch.setattr(services, "build_match_input", lambda *a, **k: calls.append(1) or real(*a, **k))
    save_profile(kreuzau, ProfileData(ags=kreuzau.ags, staerken={"fim": 3}, bedarfe={"e-akte": 2}))
    db.session.commit()  # second edit: only Kreuzau's rows are read again
    assert calls == []
    updated = lists_by_kommune(first.run_id)
    assert any(p == kreuzau.id for _r, p, _e in updated[duren.id])  # Kreuzau now teaches Düren FIM
    monkeypatch.undo()
    full = services.recompute_full()
    assert lists_by_kommune(full.run_id) == updated


def test_rolled_back_profile_edits_enqueue_nothing(world):
    first = services.recompute_full()
    updates = db.session.get(SuggestionRun, first.run_id).params.get("updates", 0)
    a = world["A"]
    save_profile(a, ProfileData(ags=a.ags, staerken={"fim": 1}))
    db.session.rollback()
    db.session.commit()  # a later commit of the same session must not send the forgotten edit
    db.session.expire_all()
    assert db.session.get(SuggestionRun, first.run_id).params.get("updates", 0) == updates
    save_profile(a, ProfileData(ags=a.ags, staerken={"fim": 1}))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(SuggestionRun, first.run_id).params.get("updates", 0) == updates + 1


def test_blocks_computed_separately_give_the_same_run_as_one_piece(demo_region):
    seed_profiles(seed=4)
    single = services.recompute_full()
    run_id, blocks = services.start_block_run(block_rows=50)
    assert len(blocks) == 3
    parts = [services.score_rows(run_id, a, b) for a, b in reversed(blocks)]
    summary = services.finish_block_run(run_id, parts)
    assert summary.current
    assert lists_by_kommune(run_id) == lists_by_kommune(single.run_id)
    np.testing.assert_allclose(scores(run_id), scores(single.run_id), rtol=1e-5)


def test_state_row_is_created_once(world):
    services.recompute_full()
    services.recompute_full()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MatchingState)) == 1
