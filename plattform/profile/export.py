"""The profile domain's section of the personal data export: the profile files a person uploaded."""

from __future__ import annotations

import sqlalchemy as sa

from plattform.accounts.export import jsonable, register_personal_data_exporter
from plattform.accounts.models import User
from plattform.extensions import db
from plattform.profile.models import ProfileImport


def export_profile_imports(user: User) -> list[dict]:
    """The user's profile imports: file name, outcome and when (the files themselves are not kept)."""
    rows = db.session.scalars(
        sa.select(ProfileImport).where(ProfileImport.user_id == user.id).order_by(ProfileImport.id)
    )
    return [
        {
            "file_name": r.file_name,
            "status": r.status,
            "created_at": jsonable(r.created_at),
            "finished_at": jsonable(r.finished_at),
        }
        for r in rows
    ]


register_personal_data_exporter("profilimporte", export_profile_imports)
