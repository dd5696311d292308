"""A channel-neutral outbox: a row keeps an operation (send a reply, edit, delete, …) for a
channel and a locale, rendered when it is sent. Rows written before keep their Bot API method
and parameters as kind "bot_api" and are still delivered as they are. A new urgent card may go
before new normal cards to the same chat (`priority`).

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=20), nullable=False, server_default="bot_api")
        )
        batch_op.add_column(
            sa.Column("channel", sa.String(length=20), nullable=False, server_default="telegram")
        )
        batch_op.add_column(
            sa.Column("locale", sa.String(length=10), nullable=False, server_default="id")
        )
        batch_op.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="0"))
        batch_op.alter_column("method", existing_type=sa.String(length=30), nullable=True)


def downgrade() -> None:
    # Rows of the new kinds cannot be expressed as Bot API calls without rendering them.
    op.execute("DELETE FROM outbox WHERE kind <> 'bot_api'")
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.alter_column("method", existing_type=sa.String(length=30), nullable=False)
        batch_op.drop_column("priority")
        batch_op.drop_column("locale")
        batch_op.drop_column("channel")
        batch_op.drop_column("kind")
