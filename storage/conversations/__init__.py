"""Conversation state per reporter, and which updates were already handled.

One store interface, a dialect per database. Most updates only move a conversation on: they
`peek` (no transaction), run the flow, and `claim_and_save` the update and the new state in
one atomic step. An update that writes more (a report, an erasure) takes a `transaction`:
the update is claimed inside it, and the caller saves the state there before it commits.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import InvalidToken
from storage.models import Draft, ProcessedUpdate, utcnow
from storage.tickets import StatusView

if TYPE_CHECKING:
    from storage.db import Database

log = logging.getLogger(__name__)

State = dict[str, Any]

DRAFTS = Draft.__table__
PROCESSED = ProcessedUpdate.__table__
_DIALECTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _claim(name: str) -> Any:
    return (
        _DIALECTS[name](PROCESSED)
        .values(update_id=bindparam("update_id"), processed_at=bindparam("at"))
        .on_conflict_do_nothing(index_elements=["update_id"])
    )


def _save(name: str) -> Any:
    stmt = _DIALECTS[name](DRAFTS).values(
        reporter_ref=bindparam("ref"), state=bindparam("state"), updated_at=bindparam("at")
    )
    return stmt.on_conflict_do_update(
        index_elements=["reporter_ref"],
        set_={"state": stmt.excluded.state, "updated_at": stmt.excluded.updated_at},
    )


# Built once per dialect: every update runs them.
CLAIM = {name: _claim(name) for name in _DIALECTS}
SAVE = {name: _save(name) for name in _DIALECTS}
LOAD = select(DRAFTS.c.state).where(DRAFTS.c.reporter_ref == bindparam("ref"))
STATE_TYPE = DRAFTS.c.state.type


@dataclass(frozen=True, slots=True)
class Peeked:
    seen: bool  # the update was handled before (a redelivery): do nothing
    state: State | None


class AlreadyHandled(Exception):  # noqa: N818 - a signal, not an error
    """The update was claimed by someone else between the peek and the claim."""


class ConversationStore(Protocol):
    """What one reporter update needs from the database outside a unit of work."""

    async def peek(self, update_id: int | None, ref: str) -> Peeked:
        """Whether the update was handled, and the conversation, without claiming anything."""

    async def claim_and_save(self, update_id: int | None, ref: str, state: State) -> bool:
        """Claim the update and save the state atomically; False (nothing written) when the
        update was claimed meanwhile."""

    async def save_now(self, ref: str, state: State) -> None:
        """Save the state by itself (the code-delivered mark)."""

    async def status_now(self, code_hash: str) -> tuple[StatusView | None, bool]:
        """A ticket's status by its code hash, and whether a staff question waits."""

    async def record_inbox(
        self, rows: list[tuple[int, str | None, bytes]], held_until: datetime
    ) -> None:
        """Keep received updates (update id, sender's keyed hash, sealed body): one
        transaction; one already kept stays as it is."""

    async def forget_inbox(self, update_ids: list[int]) -> None:
        """Handled updates leave the inbox, in one statement."""

    async def close(self) -> None: ...


@asynccontextmanager
async def transaction(db: Database, update_id: int | None) -> AsyncIterator[AsyncSession]:
    """The unit of work of an update that writes more than its conversation. The claim of the
    update commits or rolls back with everything else; AlreadyHandled when it was claimed."""
    async with db.unit_of_work() as session:
        if update_id is not None and not await claim_update(session, update_id):
            raise AlreadyHandled
        yield session


def open_store(db: Database) -> ConversationStore:
    if db.is_sqlite:
        from storage.conversations.sqlite import SqliteStore

        return SqliteStore(db)
    from storage.conversations.postgres import PostgresStore

    return PostgresStore(db)


def readable(stored: bytes | None) -> State | None:
    """A stored state decrypted; None (start afresh) when another key wrote it."""
    try:
        return STATE_TYPE.process_result_value(stored, None)
    except InvalidToken:
        log.warning("a stored conversation could not be decrypted; starting a new one")
        return None


def sealed(state: State) -> bytes:
    return STATE_TYPE.process_bind_param(state, None)


# --- inside a unit of work ----------------------------------------------------------------


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name


async def claim_update(session: AsyncSession, update_id: int) -> bool:
    """Record the update as handled; False when it already was (a redelivery)."""
    conn = await session.connection()
    result = await conn.execute(CLAIM[_dialect(session)], {"update_id": update_id, "at": utcnow()})
    return result.rowcount == 1


async def load_state(session: AsyncSession, reporter_ref: str) -> State | None:
    conn = await session.connection()
    try:
        return (await conn.execute(LOAD, {"ref": reporter_ref})).scalar()
    except InvalidToken:
        log.warning("a stored conversation could not be decrypted; starting a new one")
        return None


async def save_state(session: AsyncSession, reporter_ref: str, state: State) -> None:
    conn = await session.connection()
    await conn.execute(
        SAVE[_dialect(session)], {"ref": reporter_ref, "state": state, "at": utcnow()}
    )


async def drop_state(session: AsyncSession, reporter_ref: str) -> None:
    await session.execute(delete(Draft).where(Draft.reporter_ref == reporter_ref))
