"""Core Celery tasks: a round-trip check that the worker reaches the same database as the web.

Also `enqueue`, the one way views hand work to the worker without answering 500 when the broker is down.
"""

import logging
from collections.abc import Callable

from celery import Task, shared_task

from plattform.core.services import directory_counts

log = logging.getLogger(__name__)


@shared_task(ignore_result=False, name="core.directory_counts")
def directory_counts_task() -> dict:
    """Count the directory from inside the worker (used by health checks and tests)."""
    return directory_counts()


def enqueue(task: Task, *args, fallback: Callable[[], object] | None = None, **kwargs) -> bool:
    """Hand a task to the worker; False (logged) when the broker cannot be reached.

    Call it after the rows the task needs are committed: the saved data stays either way. With
    ``fallback`` (e.g. sending the mail inline) that runs instead when the broker is down; a fallback
    that fails with an OSError (smtplib's errors are OSErrors) is logged, not raised.
    """
    try:
        task.apply_async(args=args, kwargs=kwargs)
    except Exception:  # kombu OperationalError, redis ConnectionError, SQLAlchemy errors of the sqla broker
        log.warning("Broker nicht erreichbar; %s nicht eingereiht (not queued)", task.name, exc_info=True)
        if fallback is not None:
            try:
                fallback()
            except OSError:
                log.exception("%s auch direkt nicht ausgeführt (inline fallback failed)", task.name)
        return False
    return True
