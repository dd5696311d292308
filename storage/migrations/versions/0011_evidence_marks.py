"""Linked reports: each ticket's evidence identifiers as keyed hashes, found by hash.

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evidence_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("mark", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_evidence_marks_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_marks")),
    )
    op.create_index(op.f("ix_evidence_marks_mark"), "evidence_marks", ["mark"], unique=False)
    op.create_index(
        op.f("ix_evidence_marks_ticket_id"), "evidence_marks", ["ticket_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_evidence_marks_ticket_id"), table_name="evidence_marks")
    op.drop_index(op.f("ix_evidence_marks_mark"), table_name="evidence_marks")
    op.drop_table("evidence_marks")
