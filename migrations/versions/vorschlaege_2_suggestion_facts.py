"""suggestions stored as facts: ids, rank, score, distance and a facts code; no sentences, no per-row FKs

Revision ID: vorschlaege_2
Revises: projekte_2

The old rows hold German sentences and JSON parts that the new readers do not use, so they are not
converted: the table is recreated empty and the current run cleared. The next recompute (nightly,
or `flask --app wsgi matching recompute` right after the upgrade) fills it; until then lists are
empty, never wrong.
"""

import sqlalchemy as sa
from alembic import op

revision = "vorschlaege_2"
down_revision = "projekte_2"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("UPDATE matching_state SET current_run_id = NULL")
    op.execute("DELETE FROM suggestion_run_arrays")
    op.drop_table("suggestion")
    op.create_table(
        "suggestion",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("kommune_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.REAL(), nullable=False),
        sa.Column("distance_km", sa.REAL(), nullable=True),
        sa.Column("facts", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "kommune_id", "rank", name=op.f("pk_suggestion")),
    )
    op.create_index("ix_suggestion_run_partner", "suggestion", ["run_id", "partner_id"])


def downgrade():
    op.drop_index("ix_suggestion_run_partner", table_name="suggestion")
    op.drop_table("suggestion")
    op.execute("UPDATE matching_state SET current_run_id = NULL")
    op.execute("DELETE FROM suggestion_run_arrays")
    op.create_table(
        "suggestion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("kommune_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("teaches_me", sa.JSON(), nullable=False),
        sa.Column("learns_from_me", sa.JSON(), nullable=False),
        sa.Column("distance_km", sa.Double(), nullable=True),
        sa.Column("explanation_de", sa.Text(), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["suggestion_run.id"],
            name=op.f("fk_suggestion_run_id_suggestion_run"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["kommune_id"], ["kommune.id"], name=op.f("fk_suggestion_kommune_id_kommune"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["kommune.id"], name=op.f("fk_suggestion_partner_id_kommune"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestion")),
    )
    op.create_index("ix_suggestion_run_kommune_rank", "suggestion", ["run_id", "kommune_id", "rank"])
    op.create_index("ix_suggestion_run_partner", "suggestion", ["run_id", "partner_id"])
