"""Core Celery tasks: a round-trip check that the worker reaches the same database as the web."""

from celery import shared_task

from plattform.core.services import directory_counts


@shared_task(ignore_result=False, name="core.directory_counts")
def directory_counts_task() -> dict:
    """Count the directory from inside the worker (used by health checks and tests)."""
    return directory_counts()
