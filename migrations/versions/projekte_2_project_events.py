"""project events: who was invited, joined or left a shared project, and when it closed (digest, notices)

Revision ID: projekte_2
Revises: profile_1
"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "projekte_2", "profile_1"
branch_labels = depends_on = None


def upgrade():
    op.create_table(
        "project_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("kommune_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["shared_project.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["kommune_id"], ["kommune.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("project_event") as batch_op:
        batch_op.create_index("ix_project_event_project_id", ["project_id"])
        batch_op.create_index("ix_project_event_created_at", ["created_at"])


def downgrade():
    op.drop_table("project_event")
