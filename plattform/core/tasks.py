"""Core Celery tasks: a round-trip check that the worker reaches the same database as the web.

Also `enqueue`, the one way views hand work to the worker without answering 500 when the broker is down.
"""

import logging

from celery import Task, shared_task

from plattform.core.services import directory_counts

log = logging.getLogger(__name__)


@shared_task(ignore_result=False, name="core.directory_counts")
def directory_counts_task() -> dict:
    """Count the directory from inside the worker (used by health checks and tests)."""
    return directory_counts()


def enqueue(task: Task, *args, **kwargs) -> bool:
    """Hand a task to the worker; False (logged) when the broker cannot be reached.

    Call it after the rows the task needs are committed: the caller decides what to do instead
    (send inline, tell the user), the saved data stays either way.
    """
    try:
        task.apply_async(args=args, kwargs=kwargs)
    except Exception:  # kombu OperationalError, redis ConnectionError, SQLAlchemy errors of the sqla broker
        log.warning("Broker nicht erreichbar; %s nicht eingereiht (not queued)", task.name, exc_info=True)
        return False
    return True
