"""when each Kommune's list was last recomputed in place: the dashboard's "Stand" and pending state

Revision ID: vorschlaege_3
Revises: vorschlaege_2

Empty after the upgrade: until an in-place update stamps a list, its "Stand" is the current run's start.
"""

import sqlalchemy as sa
from alembic import op

revision = "vorschlaege_3"
down_revision = "vorschlaege_2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "suggestion_list_stamp",
        sa.Column("kommune_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["kommune_id"],
            ["kommune.id"],
            name=op.f("fk_suggestion_list_stamp_kommune_id_kommune"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["suggestion_run.id"],
            name=op.f("fk_suggestion_list_stamp_run_id_suggestion_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("kommune_id", name=op.f("pk_suggestion_list_stamp")),
    )
    with op.batch_alter_table("suggestion_list_stamp") as batch_op:
        batch_op.create_index(batch_op.f("ix_suggestion_list_stamp_run_id"), ["run_id"], unique=False)


def downgrade():
    with op.batch_alter_table("suggestion_list_stamp") as batch_op:
        batch_op.drop_index(batch_op.f("ix_suggestion_list_stamp_run_id"))
    op.drop_table("suggestion_list_stamp")
