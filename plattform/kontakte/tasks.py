"""Celery tasks of the contacts domain: the e-mail notices, retried when the mail server hiccups."""

from __future__ import annotations

import smtplib

from celery import shared_task

from plattform.kontakte.services import notify


@shared_task(
    name="kontakte.notify",
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=30,
    retry_kwargs={"max_retries": 5},
)
def notify_task(request_id: int, event: str) -> int:
    """Tell the other side of a contact request what happened (see services.notify)."""
    return notify(request_id, event)
