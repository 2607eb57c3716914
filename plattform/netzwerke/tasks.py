"""Celery tasks of the netzwerke domain: thin wrappers around the services."""

import smtplib

from celery import shared_task

from plattform.extensions import db
from plattform.netzwerke.models import NetzwerkEinladung
from plattform.netzwerke.services import send_invitation_mail


@shared_task(
    name="netzwerke.send_invitation",
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=30,
    retry_kwargs={"max_retries": 5},
)
def send_invitation(einladung_id: int) -> None:
    """Mail an invitation link to the invited officer (retried while the mail server is unreachable)."""
    einladung = db.session.get(NetzwerkEinladung, einladung_id)
    if einladung is not None and einladung.status == "offen":
        send_invitation_mail(einladung)
