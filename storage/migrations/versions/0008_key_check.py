"""A value that says which SECRET_KEY this database was written with (an HMAC of a fixed
label, never the key), so a wrong or lost key is refused instead of passing silently.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "instance_facts",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_instance_facts")),
    )


def downgrade() -> None:
    op.drop_table("instance_facts")
