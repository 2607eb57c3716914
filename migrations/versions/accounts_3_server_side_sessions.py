"""server-side sessions (user_session) and account ids that SQLite never reuses

Revision ID: accounts_3
Revises: accounts_2
Create Date: 2026-12-02 08:00:00.000000

Sessions signed in before this migration end (their cookies carry the old "id:version" identifier):
everyone logs in once more. On SQLite, user_account is rebuilt with AUTOINCREMENT so that a deleted
account's id is never given to a new one; the rows and their ids stay as they are.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "accounts_3"
down_revision = "accounts_2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("remember", sa.Boolean(), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_user_session_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_session_token_hash")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_session_user_id"), ["user_id"], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table(
            "user_account", recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ):
            pass


def downgrade():
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_session_user_id"))
    op.drop_table("user_session")
