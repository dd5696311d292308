"""Monthly summaries for koordinators: who wants them, and which were owed (once each).

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    # A plain ALTER TABLE on both databases: a batch copy of `staff` would have to drop a table
    # other tables point at.
    op.add_column(
        "staff",
        sa.Column("monthly_summary", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "monthly_summaries",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_monthly_summaries_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("staff_id", "month", name=op.f("pk_monthly_summaries")),
    )


def downgrade() -> None:
    op.drop_table("monthly_summaries")
    op.drop_column("staff", "monthly_summary")  # SQLite 3.35+ drops a column in place
