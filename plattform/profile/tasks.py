"""Celery tasks of the profile domain: thin wrappers around the services."""

from celery import shared_task

from plattform.profile.jobs import run_job


@shared_task(name="profile.run_import", acks_late=True)
def run_import_task(job_id: int, may_edit_ids: list[int] | None) -> str:
    """Import one stored upload (large files go through the worker)."""
    return run_job(job_id, may_edit_ids)
