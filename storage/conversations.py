"""Conversation state per reporter, and which Telegram updates were already handled."""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
from sqlalchemy import LargeBinary, bindparam, cast, delete, exists, func, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.crypto import InvalidToken
from storage.dialect import for_asyncpg
from storage.models import Draft, ProcessedUpdate, utcnow

log = logging.getLogger(__name__)

# Every update runs these, so they are built once (per dialect) and executed on the session's
# connection: no statement building and no ORM execution layer per update.
_DRAFTS = Draft.__table__
_PROCESSED = ProcessedUpdate.__table__
_DIALECTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _claim(name: str) -> Any:
    return (
        _DIALECTS[name](_PROCESSED)
        .values(update_id=bindparam("update_id"), processed_at=bindparam("at"))
        .on_conflict_do_nothing(index_elements=["update_id"])
    )


def _save(name: str) -> Any:
    stmt = _DIALECTS[name](_DRAFTS).values(
        reporter_ref=bindparam("ref"), state=bindparam("state"), updated_at=bindparam("at")
    )
    return stmt.on_conflict_do_update(
        index_elements=["reporter_ref"],
        set_={"state": stmt.excluded.state, "updated_at": stmt.excluded.updated_at},
    )


CLAIM = {name: _claim(name) for name in _DIALECTS}
SAVE = {name: _save(name) for name in _DIALECTS}
LOAD = select(_DRAFTS.c.state).where(_DRAFTS.c.reporter_ref == bindparam("ref"))
# PostgreSQL: the claim and the load in one round trip (a data-modifying CTE).
_CLAIMED = CLAIM["postgresql"].returning(_PROCESSED.c.update_id).cte("claimed")
CLAIM_AND_LOAD = select(
    select(func.count()).select_from(_CLAIMED).scalar_subquery().label("fresh"),
    LOAD.scalar_subquery().label("state"),
)


# PostgreSQL's one-statement path for an update that only changes the conversation: read the
# state and whether the update was seen (no transaction), run the flow, then claim the update
# and save the state in one atomic statement. Nothing else is written, so nothing else needs
# the same transaction, and BEGIN/COMMIT round trips go.
PEEK = select(
    LOAD.scalar_subquery().label("state"),
    exists().where(_PROCESSED.c.update_id == bindparam("update_id")).label("seen"),
)
_FRESH = CLAIM["postgresql"].returning(_PROCESSED.c.update_id).cte("fresh")
_SAVE_IF_FRESH = postgresql.insert(_DRAFTS).from_select(
    ["reporter_ref", "state", "updated_at"],
    select(
        bindparam("ref", type_=_DRAFTS.c.reporter_ref.type),
        cast(bindparam("state", type_=_DRAFTS.c.state.type), LargeBinary),
        bindparam("at", type_=_DRAFTS.c.updated_at.type),
    ).where(exists(select(literal_column("1")).select_from(_FRESH))),
)
CLAIM_AND_SAVE = _SAVE_IF_FRESH.on_conflict_do_update(
    index_elements=["reporter_ref"],
    set_={"state": _SAVE_IF_FRESH.excluded.state, "updated_at": _SAVE_IF_FRESH.excluded.updated_at},
).returning(_DRAFTS.c.reporter_ref)


# The hot pair runs on the asyncpg connection itself: SQLAlchemy built the SQL (above), and
# per call its execution layer (cache keys, parameter and result processing) costs more than
# the database does. The state column's own type still encrypts and decrypts.
_PEEK = for_asyncpg(PEEK)
_CLAIM_AND_SAVE = for_asyncpg(CLAIM_AND_SAVE)
_SAVE_NOW = for_asyncpg(SAVE["postgresql"])
_STATE_TYPE = _DRAFTS.c.state.type


async def peek(
    conn: asyncpg.Connection, update_id: int, reporter_ref: str
) -> tuple[bool, dict[str, Any] | None]:
    """(already handled?, state) without claiming anything."""
    row = await conn.fetchrow(_PEEK.sql, *_PEEK.args(update_id=update_id, ref=reporter_ref))
    stored, seen = row[0], bool(row[1])
    try:
        return seen, _STATE_TYPE.process_result_value(stored, None)
    except InvalidToken:
        return seen, _unreadable()


async def claim_and_save(
    conn: asyncpg.Connection, update_id: int, reporter_ref: str, state: dict[str, Any]
) -> bool:
    """Claim the update and save the state atomically; False when the update was claimed
    meanwhile (then nothing is written)."""
    args = _CLAIM_AND_SAVE.args(
        update_id=update_id,
        ref=reporter_ref,
        state=_STATE_TYPE.process_bind_param(state, None),
        at=utcnow(),
    )
    return await conn.fetchrow(_CLAIM_AND_SAVE.sql, *args) is not None


async def save_now(conn: asyncpg.Connection, reporter_ref: str, state: dict[str, Any]) -> None:
    """save_state as one statement that commits by itself (PostgreSQL's hot path)."""
    args = _SAVE_NOW.args(
        ref=reporter_ref, state=_STATE_TYPE.process_bind_param(state, None), at=utcnow()
    )
    await conn.execute(_SAVE_NOW.sql, *args)


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name


async def claim_update(session: AsyncSession, update_id: int) -> bool:
    """Record the update as handled; False when it already was (a redelivery)."""
    conn = await session.connection()
    result = await conn.execute(CLAIM[_dialect(session)], {"update_id": update_id, "at": utcnow()})
    return result.rowcount == 1


async def load_state(session: AsyncSession, reporter_ref: str) -> dict[str, Any] | None:
    conn = await session.connection()
    try:
        return (await conn.execute(LOAD, {"ref": reporter_ref})).scalar()
    except InvalidToken:
        return _unreadable()


async def claim_and_load(
    session: AsyncSession, update_id: int, reporter_ref: str
) -> tuple[bool, dict[str, Any] | None]:
    """claim_update and load_state together: one round trip on PostgreSQL."""
    if _dialect(session) != "postgresql":
        if not await claim_update(session, update_id):
            return False, None
        return True, await load_state(session, reporter_ref)
    conn = await session.connection()
    params = {"update_id": update_id, "at": utcnow(), "ref": reporter_ref}
    try:
        fresh, state = (await conn.execute(CLAIM_AND_LOAD, params)).one()
    except InvalidToken:
        # The claim stands (same transaction); only the state could not be read.
        return True, _unreadable()
    return bool(fresh), state if fresh else None


def _unreadable() -> None:
    # Written under another SECRET_KEY: unreadable, so start afresh rather than fail.
    log.warning("a stored conversation could not be decrypted; starting a new one")
    return None


async def save_state(session: AsyncSession, reporter_ref: str, state: dict[str, Any]) -> None:
    conn = await session.connection()
    await conn.execute(
        SAVE[_dialect(session)], {"ref": reporter_ref, "state": state, "at": utcnow()}
    )


async def drop_state(session: AsyncSession, reporter_ref: str) -> None:
    await session.execute(delete(Draft).where(Draft.reporter_ref == reporter_ref))
