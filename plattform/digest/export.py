"""The digest domain's section of the personal data export: the consent and the weekly e-mails sent."""

from __future__ import annotations

import sqlalchemy as sa

from plattform.accounts.export import jsonable, register_personal_data_exporter
from plattform.accounts.models import User
from plattform.digest.models import DigestDelivery, DigestSubscription
from plattform.extensions import db


def export_digest(user: User) -> dict:
    """The user's subscription (with the consent's version and dates) and the deliveries."""
    subscription = db.session.scalar(
        sa.select(DigestSubscription).where(DigestSubscription.user_id == user.id)
    )
    deliveries = db.session.scalars(
        sa.select(DigestDelivery).where(DigestDelivery.user_id == user.id).order_by(DigestDelivery.id)
    )
    return {
        "subscription": None
        if subscription is None
        else {
            "status": subscription.status,
            "consent_text_version": subscription.consent_text_version,
            "requested_at": jsonable(subscription.requested_at),
            "confirmed_at": jsonable(subscription.confirmed_at),
            "unsubscribed_at": jsonable(subscription.unsubscribed_at),
        },
        "deliveries": [
            {"iso_week": d.iso_week, "status": d.status, "sent_at": jsonable(d.sent_at), "subject": d.subject}
            for d in deliveries
        ],
    }


register_personal_data_exporter("wochen_email", export_digest)
