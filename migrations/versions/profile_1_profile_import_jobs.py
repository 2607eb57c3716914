"""profile imports run by the worker: the uploaded file, its progress and its outcome"""

import sqlalchemy as sa
from alembic import op

revision, down_revision = "profile_1", "accounts_3"
branch_labels = depends_on = None

TABLE = "profile_import"
# name, type, nullable
COLUMNS = (
    ("id", sa.Integer(), False),
    ("user_id", sa.Integer(), False),
    ("file_name", sa.String(length=255), False),
    ("content", sa.LargeBinary(), True),
    ("status", sa.String(length=20), False),
    ("phase", sa.String(length=20), True),
    ("total", sa.Integer(), True),
    ("done", sa.Integer(), True),
    ("result", sa.JSON(), True),
    ("issues", sa.JSON(), True),
    ("created_at", sa.DateTime(timezone=True), False),
    ("finished_at", sa.DateTime(timezone=True), True),
)


def upgrade():
    op.create_table(
        TABLE,
        *(sa.Column(name, kind, nullable=nullable) for name, kind, nullable in COLUMNS),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f(f"fk_{TABLE}_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{TABLE}")),
    )
    op.create_index(op.f(f"ix_{TABLE}_user_id"), TABLE, ["user_id"], unique=False)


def downgrade():
    op.drop_index(op.f(f"ix_{TABLE}_user_id"), table_name=TABLE)
    op.drop_table(TABLE)
