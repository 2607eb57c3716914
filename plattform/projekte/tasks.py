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


def _send_refresh(kommune_ids: list[int]) -> None:
    from plattform.core.tasks import enqueue

    # Broker down: the edit is saved and the nightly recompute catches up (logged by enqueue).
    enqueue(recompute_proposals_for_kommunen, kommune_ids)


def _remember_profile_edit(_sender, kommune_ids=(), **_extra) -> None:
    """profile_saved fires before the commit: the refresh is sent once the edit is committed."""
    from plattform.core.tasks import after_commit

    after_commit("projekte", _send_refresh, kommune_ids)


def connect_profile_updates() -> None:
    """Connect profile_saved (once per process)."""
    from plattform.profile.services import profile_saved

    profile_saved.connect(_remember_profile_edit, weak=False)
