"""Conversation state per reporter, and which Telegram updates were already handled."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import InvalidToken
from storage.dialect import insert
from storage.models import Draft, ProcessedUpdate, utcnow

log = logging.getLogger(__name__)


async def claim_update(session: AsyncSession, update_id: int) -> bool:
    """Record the update as handled; False when it already was (a redelivery)."""
    stmt = insert(session, ProcessedUpdate).values(update_id=update_id, processed_at=utcnow())
    result = await session.execute(stmt.on_conflict_do_nothing(index_elements=["update_id"]))
    return result.rowcount == 1


async def load_state(session: AsyncSession, reporter_ref: str) -> dict[str, Any] | None:
    try:
        return await session.scalar(select(Draft.state).where(Draft.reporter_ref == reporter_ref))
    except InvalidToken:
        # Written under another SECRET_KEY: unreadable, so start afresh rather than fail.
        log.warning("a stored conversation could not be decrypted; starting a new one")
        return None


async def save_state(session: AsyncSession, reporter_ref: str, state: dict[str, Any]) -> None:
    stmt = insert(session, Draft).values(
        reporter_ref=reporter_ref, state=state, updated_at=utcnow()
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["reporter_ref"],
            set_={"state": stmt.excluded.state, "updated_at": stmt.excluded.updated_at},
        )
    )


async def drop_state(session: AsyncSession, reporter_ref: str) -> None:
    await session.execute(delete(Draft).where(Draft.reporter_ref == reporter_ref))
