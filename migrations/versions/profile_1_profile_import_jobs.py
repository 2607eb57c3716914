"""profile imports run by the worker: the uploaded file, its progress and its outcome

Revision ID: profile_1
Revises: projekte_1
Create Date: 2026-11-24 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "profile_1"
down_revision = "projekte_1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "profile_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("phase", sa.String(length=20), nullable=True),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("done", sa.Integer(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("issues", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_profile_import_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profile_import")),
    )
    with op.batch_alter_table("profile_import", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_profile_import_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("profile_import", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_profile_import_user_id"))
    op.drop_table("profile_import")
