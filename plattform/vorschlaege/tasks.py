"""Celery tasks of the suggestions: full recompute (one task or a chord of row blocks) and updates.

Thin: ids and row ranges in, services do the work. For large N `recompute_all` freezes the input in
the run, fans the rows out as a chord of `score_block` tasks (several workers share it); the
callback merges and applies exposure, then fans the writing out again (`write_block` per row range,
facts and COPY in parallel) and a small `swap_run` makes the run current. For small N one task is
faster than the fan-out.
"""

from __future__ import annotations

from celery import chord, shared_task

from plattform.vorschlaege import services


@shared_task(name="vorschlaege.recompute_all", ignore_result=False)
def recompute_all() -> dict:
    """Nightly and on demand: recompute everybody, split into a chord above MATCHING_CHORD_MIN_ROWS."""
    n = services.count_matchable()
    if n < services.setting("MATCHING_CHORD_MIN_ROWS", 20000):
        return services.recompute_full().as_dict()
    run_id, blocks = services.start_block_run(services.setting("MATCHING_CHORD_BLOCK_ROWS", 6000))
    header = [score_block.s(run_id, start, stop) for start, stop in blocks]
    body = merge_blocks.s(run_id).on_error(fail_run.si(run_id))
    chord(header)(body)
    return {"run_id": run_id, "blocks": len(blocks), "status": "laeuft"}


@shared_task(name="vorschlaege.score_block", ignore_result=False)
def score_block(run_id: int, start: int, stop: int) -> dict:
    """A chord header task: the candidate pools of one row range of a frozen run."""
    return services.score_rows(run_id, start, stop)


@shared_task(name="vorschlaege.merge_blocks", ignore_result=False)
def merge_blocks(blocks: list[dict], run_id: int) -> dict:
    """The chord callback: merge and exposure, then fan the writing out again (one task per range)
    with a small final task that swaps."""
    ranges = services.merge_block_run(run_id, blocks, services.setting("MATCHING_CHORD_BLOCK_ROWS", 6000))
    header = [write_block.s(run_id, start, stop) for start, stop in ranges]
    chord(header)(swap_run.s(run_id).on_error(fail_run.si(run_id)))
    return {"run_id": run_id, "write_blocks": len(ranges), "status": "schreibt"}


@shared_task(name="vorschlaege.write_block", ignore_result=False, acks_late=True)
def write_block(run_id: int, start: int, stop: int) -> int:
    """Write one row range's suggestions into the run (idempotent: a retry replaces its rows)."""
    return services.write_block(run_id, start, stop)


@shared_task(name="vorschlaege.swap_run", ignore_result=False)
def swap_run(written: list[int], run_id: int) -> dict:
    """The last step: swap the finished run in."""
    return services.swap_block_run(run_id, written).as_dict()


@shared_task(name="vorschlaege.fail_run")
def fail_run(run_id: int) -> None:
    """Errback of the chord: a block failed, so the run fails and the current run stays."""
    services.fail_run(run_id, "Ein Block der verteilten Berechnung ist fehlgeschlagen.")


@shared_task(name="vorschlaege.recompute_kommunen", ignore_result=False)
def recompute_kommunen(kommune_ids: list[int]) -> dict:
    """After profile edits: update those Kommunen in the current run; many at once → full recompute."""
    if len(kommune_ids) > services.setting("MATCHING_INCREMENTAL_MAX", 50):
        if services.current_run_id() is None:
            return {"skipped": "kein aktueller Lauf"}
        recompute_all.delay()
        return {"full": True}
    summary = services.recompute_kommunen(kommune_ids)
    return {"run_id": summary.run_id, "rewritten_lists": summary.rewritten_lists}


# ------------------------------------------------------------ profile edits → update after commit


def _send_update(kommune_ids: list[int]) -> None:
    try:
        recompute_kommunen.apply_async(args=[kommune_ids])
    except Exception:  # the edit is saved; the nightly run catches up if the broker is down
        import logging

        logging.getLogger(__name__).exception("Aktualisierung der Vorschläge nicht eingereiht")


def _remember_profile_edit(_sender, kommune_ids=(), **_extra) -> None:
    """profile_saved fires before the commit: the update task is sent once the edit is committed."""
    from plattform.core.tasks import after_commit

    after_commit("vorschlaege", _send_update, kommune_ids)


def connect_profile_updates() -> None:
    """Connect profile_saved (once per process)."""
    from plattform.profile.services import profile_saved

    profile_saved.connect(_remember_profile_edit, weak=False)
