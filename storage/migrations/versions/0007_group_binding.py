"""Whether the bot is an admin in a unit's group (it must be to remove revoked staff), kept
current from Telegram's my_chat_member updates; and a ticket's re-issued code, which works
beside the first until it is known to have arrived.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("upts") as batch_op:
        batch_op.add_column(sa.Column("bot_admin", sa.Boolean(), nullable=True))
    with op.batch_alter_table("tickets") as batch_op:
        batch_op.add_column(sa.Column("code_hash_next", sa.String(length=64), nullable=True))
    op.create_index("uq_tickets_code_hash_next", "tickets", ["code_hash_next"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_tickets_code_hash_next", table_name="tickets")
    with op.batch_alter_table("tickets") as batch_op:
        batch_op.drop_column("code_hash_next")
    with op.batch_alter_table("upts") as batch_op:
        batch_op.drop_column("bot_admin")
