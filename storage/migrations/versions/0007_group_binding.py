"""Whether the bot is an admin in a unit's group (it must be to remove revoked staff), kept
current from Telegram's my_chat_member updates.

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


def downgrade() -> None:
    with op.batch_alter_table("upts") as batch_op:
        batch_op.drop_column("bot_admin")
