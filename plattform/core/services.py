"""Small services the core pages and tasks share."""

import sqlalchemy as sa

from plattform.extensions import db


def directory_counts() -> dict:
    """Active Kreise and Gemeinden in the directory."""
    from plattform.kommunen.models import Kommune

    rows = db.session.execute(
        sa.select(Kommune.ebene, sa.func.count(Kommune.id))
        .where(Kommune.active.is_(True))
        .group_by(Kommune.ebene)
    ).all()
    counts = {"kreis": 0, "gemeinde": 0}
    counts.update(dict(rows))
    return counts
