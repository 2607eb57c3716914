"""memberships and profiles of a kreisfreie Stadt's Kreis row move to the city's own row

Revision ID: kommunen_1
Revises: vorschlaege_3

The Kreis row of a kreisfreie Stadt or Stadtkreis (08212 beside 08212000 Karlsruhe) never gets
suggestions; since the platform refuses it for new memberships, type tests and profiles, the rows
made before that move to the city's Gemeinde row, whose dashboard keeps the promise. Where the city
row already has the same member (or network membership, or a profile), the city's row is kept: a
confirmed membership on the Kreis row upgrades a pending or refused one on the city row, and a
second profile stays where it is (nothing is merged by guesswork).

Data only; the downgrade leaves the rows where they are (the old place was the wrong one).
"""

import sqlalchemy as sa
from alembic import op

revision = "kommunen_1"
down_revision = "vorschlaege_3"
branch_labels = None
depends_on = None

CITY_KINDS = ("kreisfreie-stadt", "stadtkreis")

kommune = sa.table(
    "kommune",
    sa.column("id", sa.Integer),
    sa.column("ags", sa.String),
    sa.column("ebene", sa.String),
    sa.column("kind", sa.String),
    sa.column("active", sa.Boolean),
)
membership = sa.table(
    "kommune_membership",
    sa.column("id", sa.Integer),
    sa.column("user_id", sa.Integer),
    sa.column("kommune_id", sa.Integer),
    sa.column("role", sa.String),
    sa.column("status", sa.String),
    sa.column("decided_at", sa.DateTime),
    sa.column("decided_by_id", sa.Integer),
)
network_member = sa.table(
    "netzwerk_mitglied",
    sa.column("id", sa.Integer),
    sa.column("netzwerk_id", sa.Integer),
    sa.column("kommune_id", sa.Integer),
)
profile = sa.table("profile", sa.column("id", sa.Integer), sa.column("kommune_id", sa.Integer))


def _kreis_rows_with_their_city(conn) -> list[tuple[int, int]]:
    """(Kreis row id, city row id) for every kreisfreie Stadt whose Gemeinde row exists."""
    pairs = []
    kreis_rows = conn.execute(
        sa.select(kommune.c.id, kommune.c.ags).where(
            kommune.c.ebene == "kreis", kommune.c.kind.in_(CITY_KINDS)
        )
    ).all()
    for kreis_id, ags in kreis_rows:
        city_id = conn.execute(
            sa.select(kommune.c.id)
            .where(kommune.c.ags.startswith(ags), kommune.c.ebene == "gemeinde")
            .order_by(kommune.c.active.desc(), kommune.c.ags)
            .limit(1)
        ).scalar()
        if city_id is not None:
            pairs.append((kreis_id, city_id))
    return pairs


def _move_memberships(conn, kreis_id: int, city_id: int) -> None:
    rows = conn.execute(sa.select(membership).where(membership.c.kommune_id == kreis_id)).mappings().all()
    for row in rows:
        existing = (
            conn.execute(
                sa.select(membership).where(
                    membership.c.user_id == row["user_id"], membership.c.kommune_id == city_id
                )
            )
            .mappings()
            .first()
        )
        if existing is None:
            conn.execute(membership.update().where(membership.c.id == row["id"]).values(kommune_id=city_id))
            continue
        if row["status"] == "bestaetigt" and existing["status"] != "bestaetigt":
            conn.execute(
                membership.update()
                .where(membership.c.id == existing["id"])
                .values(
                    status=row["status"],
                    role=row["role"],
                    decided_at=row["decided_at"],
                    decided_by_id=row["decided_by_id"],
                )
            )
        conn.execute(membership.delete().where(membership.c.id == row["id"]))


def _move_network_memberships(conn, kreis_id: int, city_id: int) -> None:
    rows = (
        conn.execute(sa.select(network_member).where(network_member.c.kommune_id == kreis_id))
        .mappings()
        .all()
    )
    for row in rows:
        already = conn.execute(
            sa.select(network_member.c.id).where(
                network_member.c.netzwerk_id == row["netzwerk_id"], network_member.c.kommune_id == city_id
            )
        ).first()
        if already is None:
            conn.execute(
                network_member.update().where(network_member.c.id == row["id"]).values(kommune_id=city_id)
            )
        else:
            conn.execute(network_member.delete().where(network_member.c.id == row["id"]))


def _move_profile(conn, kreis_id: int, city_id: int) -> None:
    city_has_one = conn.execute(sa.select(profile.c.id).where(profile.c.kommune_id == city_id)).first()
    if city_has_one is None:
        conn.execute(profile.update().where(profile.c.kommune_id == kreis_id).values(kommune_id=city_id))


def upgrade():
    conn = op.get_bind()
    for kreis_id, city_id in _kreis_rows_with_their_city(conn):
        _move_memberships(conn, kreis_id, city_id)
        _move_network_memberships(conn, kreis_id, city_id)
        _move_profile(conn, kreis_id, city_id)


def downgrade():
    pass
