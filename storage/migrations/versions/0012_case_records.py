"""Case records: services given (with dates), referrals, kinds of violence, victim data.

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_records",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("violence", sa.JSON(), nullable=True),
        sa.Column("referrals", sa.JSON(), nullable=False),
        sa.Column("sex", sa.String(length=20), nullable=True),
        sa.Column("age_band", sa.String(length=20), nullable=True),
        sa.Column("age", sa.Integer(), nullable=True),
        sa.Column("education", sa.String(length=20), nullable=True),
        sa.Column("disability", sa.String(length=20), nullable=True),
        sa.Column("victims", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_case_records_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_case_records")),
    )
    op.create_table(
        "case_services",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("service", sa.String(length=20), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_case_services_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("ticket_id", "service", name=op.f("pk_case_services")),
    )
    op.create_index(op.f("ix_case_services_given_on"), "case_services", ["given_on"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_case_services_given_on"), table_name="case_services")
    op.drop_table("case_services")
    op.drop_table("case_records")
