"""Celery tasks: the weekly fan-out and one task per recipient (retried with backoff and jitter)."""

from __future__ import annotations

import smtplib

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from flask import current_app

from plattform.digest.services import (
    TransientMailError,
    deliver_digest,
    iso_week_of,
    mark_stale_reservations,
    recipient_ids,
    send_confirmation_mail,
)


@shared_task(name="digest.send_weekly", ignore_result=False)
def send_weekly_digest(week: str | None = None) -> dict:
    """Enqueue one digest task per recipient, so one failure cannot stop the others."""
    week = week or iso_week_of()
    stale = mark_stale_reservations()
    task_ids = [send_digest.apply_async(args=(user_id, week)).id for user_id in recipient_ids()]
    return {"week": week, "tasks": task_ids, "stale": stale}


@shared_task(bind=True, name="digest.send_one", ignore_result=False, max_retries=None)
def send_digest(self, user_id: int, week: str) -> str:
    """Send one recipient's digest at most once; SMTP refusals retried with exponential backoff."""
    max_retries = current_app.config["DIGEST_RETRY_MAX"]
    try:
        return deliver_digest(user_id, week, final_attempt=self.request.retries >= max_retries)
    except TransientMailError as exc:
        countdown = get_exponential_backoff_interval(
            factor=current_app.config["DIGEST_RETRY_BACKOFF"],
            retries=self.request.retries,
            maximum=current_app.config["DIGEST_RETRY_BACKOFF_MAX"],
            full_jitter=True,
        )
        raise self.retry(exc=exc, countdown=countdown, max_retries=max_retries) from exc


@shared_task(
    name="digest.send_confirmation",
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=30,
    retry_jitter=True,
    max_retries=5,
)
def send_confirmation(user_id: int) -> bool:
    """Send the double opt-in link (a second copy of this mail does no harm, so plain retries)."""
    return send_confirmation_mail(user_id)
