"""The kontakte domain's section of the personal data export (GDPR Art. 15 and 20)."""

from __future__ import annotations

import sqlalchemy as sa

from plattform.accounts.export import jsonable, register_personal_data_exporter
from plattform.accounts.models import User
from plattform.extensions import db
from plattform.kontakte.models import ContactRequest


def export_contact_requests(user: User) -> list[dict]:
    """Contact requests the user sent."""
    rows = db.session.scalars(
        sa.select(ContactRequest).where(ContactRequest.from_user_id == user.id).order_by(ContactRequest.id)
    )
    return [
        {
            "from_ags": r.from_kommune.ags,
            "to_ags": r.to_kommune.ags,
            "to_name": r.to_kommune.name,
            "message": r.message,
            "status": r.status,
            "created_at": jsonable(r.created_at),
            "answered_at": jsonable(r.answered_at),
        }
        for r in rows
    ]


register_personal_data_exporter("kontaktanfragen", export_contact_requests)
