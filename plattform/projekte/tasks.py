"""Celery tasks of the projekte domain: thin wrappers around the services."""

from celery import shared_task

from plattform.projekte.proposals import recompute


@shared_task(name="projekte.recompute_proposals", ignore_result=False)
def recompute_proposals() -> dict:
    """Refresh the stored shared-project proposals and duplication reports (nightly, or on demand)."""
    return recompute()
