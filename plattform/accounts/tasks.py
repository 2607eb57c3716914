"""Account e-mails go out through the worker, retried with backoff when the mail server is down.

When the broker itself is unreachable, the web request sends the mail directly instead: a person who
registers or asks for a reset link should not wait for Redis to come back.
"""

from __future__ import annotations

import logging

from celery import shared_task

from plattform.accounts.mails import send_account_mail
from plattform.core.tasks import enqueue

log = logging.getLogger(__name__)


@shared_task(
    name="accounts.send_account_mail",
    autoretry_for=(OSError,),  # smtplib.SMTPException is an OSError
    retry_backoff=30,
    # Below the broker's visibility timeout (600 s): a waiting retry is never handed out twice.
    retry_backoff_max=540,
    retry_jitter=True,
    max_retries=8,
)
def send_account_mail_task(kind: str, user_id: int, **params) -> bool:
    """Send one account e-mail (ids only; the message is built in the worker)."""
    return send_account_mail(kind, user_id, **params)


def queue_account_mail(kind: str, user_id: int, **params) -> None:
    """Hand a mail to the worker; call after the rows it needs are committed."""
    enqueue(
        send_account_mail_task,
        kind,
        user_id,
        fallback=lambda: send_account_mail(kind, user_id, **params),
        **params,
    )
