"""Celery tasks of the projekte domain: thin wrappers around the services, and the profile-edit trigger."""

from __future__ import annotations

import logging

from celery import shared_task

from plattform.projekte.proposals import recompute, recompute_for_kommunen

log = logging.getLogger(__name__)

# Above this many edited Kommunen at once (a bulk import) the whole report is recomputed.
INCREMENTAL_MAX = 50


@shared_task(name="projekte.recompute_proposals", ignore_result=False)
def recompute_proposals() -> dict:
    """Refresh the stored shared-project proposals and duplication reports (nightly, or on demand)."""
    return recompute()


@shared_task(name="projekte.recompute_for_kommunen", ignore_result=False)
def recompute_proposals_for_kommunen(kommune_ids: list[int]) -> dict:
    """After profile edits: refresh the proposals of the topics these Kommunen touch."""
    if len(kommune_ids) > INCREMENTAL_MAX:
        return recompute()
    return recompute_for_kommunen(kommune_ids)


# --- profile edits → proposals refreshed after the commit (a sibling of the suggestions' trigger) ----

_PENDING = "projekte_pending_kommunen"


def _remember_profile_edit(_sender, kommune_ids=(), **_extra) -> None:
    """profile_saved fires before the commit: remember the ids on the session until it commits."""
    from plattform.extensions import db

    db.session().info.setdefault(_PENDING, set()).update(int(k) for k in kommune_ids)


def _enqueue_after_commit(session) -> None:
    """Only a committed edit is visible to the worker, so the task is sent after the commit."""
    ids = session.info.pop(_PENDING, None)
    if not ids:
        return
    from plattform.core.tasks import enqueue

    # Broker down: the edit is saved and the nightly recompute catches up (logged by enqueue).
    enqueue(recompute_proposals_for_kommunen, sorted(ids))


def _forget_after_rollback(session, previous_transaction) -> None:
    """A rolled-back edit never happened."""
    if previous_transaction.parent is None and not previous_transaction.nested:
        session.info.pop(_PENDING, None)


def connect_profile_updates() -> None:
    """Connect profile_saved and the session events (once per process)."""
    import sqlalchemy as sa

    from plattform.profile.services import profile_saved

    profile_saved.connect(_remember_profile_edit, weak=False)
    if not sa.event.contains(sa.orm.Session, "after_commit", _enqueue_after_commit):
        sa.event.listen(sa.orm.Session, "after_commit", _enqueue_after_commit)
        sa.event.listen(sa.orm.Session, "after_soft_rollback", _forget_after_rollback)
