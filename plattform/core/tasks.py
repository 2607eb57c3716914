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


# ------------------------------------------------------------------ work that waits for the commit

_AFTER_COMMIT = "core_after_commit"


def after_commit(key: str, callback: Callable[[list[int]], object], ids) -> None:
    """Call `callback(sorted ids)` once the session's transaction commits: the worker only sees
    committed rows. Ids given under the same key within one transaction are sent together; a
    rollback of the outer transaction forgets them (a savepoint rollback leaves them standing)."""
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from plattform.extensions import db

    if not sa.event.contains(Session, "after_commit", _run_after_commit):
        sa.event.listen(Session, "after_commit", _run_after_commit)
        sa.event.listen(Session, "after_soft_rollback", _forget_after_rollback)
    pending = db.session().info.setdefault(_AFTER_COMMIT, {})
    pending.setdefault(key, (callback, set()))[1].update(int(i) for i in ids)


def _run_after_commit(session) -> None:
    for callback, ids in session.info.pop(_AFTER_COMMIT, {}).values():
        if ids:
            callback(sorted(ids))


def _forget_after_rollback(session, previous_transaction) -> None:
    if previous_transaction.parent is None and not previous_transaction.nested:
        session.info.pop(_AFTER_COMMIT, None)
