"""project proposals may point to an existing shared project (join instead of a new group)

Revision ID: projekte_1
Revises: api_1
Create Date: 2026-11-23 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "projekte_1"
down_revision = "api_1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("project_proposal", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shared_project_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_project_proposal_shared_project_id"), ["shared_project_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_project_proposal_shared_project_id_shared_project"),
            "shared_project",
            ["shared_project_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade():
    with op.batch_alter_table("project_proposal", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_project_proposal_shared_project_id_shared_project"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_project_proposal_shared_project_id"))
        batch_op.drop_column("shared_project_id")
