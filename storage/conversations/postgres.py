"""The conversation store on PostgreSQL: prebuilt statements on asyncpg's own connection.

SQLAlchemy builds the SQL once; per call its execution layer (cache keys, parameter and
result processing) would cost more than the database does. Each statement commits by itself.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, bindparam, cast, exists, literal_column, select
from sqlalchemy.dialects import postgresql

from storage.conversations import (
    CLAIM,
    DRAFTS,
    LOAD,
    PROCESSED,
    SAVE,
    Peeked,
    State,
    readable,
    sealed,
)
from storage.db import Database
from storage.dialect import for_asyncpg
from storage.models import utcnow
from storage.tickets import StatusView, status_now

PEEK = select(
    LOAD.scalar_subquery().label("state"),
    exists().where(PROCESSED.c.update_id == bindparam("update_id")).label("seen"),
)
# The claim and the save in one atomic statement: the state is written only when this
# statement's own claim of the update succeeds.
_FRESH = CLAIM["postgresql"].returning(PROCESSED.c.update_id).cte("fresh")
_SAVE_IF_FRESH = postgresql.insert(DRAFTS).from_select(
    ["reporter_ref", "state", "updated_at"],
    select(
        bindparam("ref", type_=DRAFTS.c.reporter_ref.type),
        cast(bindparam("state", type_=DRAFTS.c.state.type), LargeBinary),
        bindparam("at", type_=DRAFTS.c.updated_at.type),
    ).where(exists(select(literal_column("1")).select_from(_FRESH))),
)
CLAIM_AND_SAVE = _SAVE_IF_FRESH.on_conflict_do_update(
    index_elements=["reporter_ref"],
    set_={"state": _SAVE_IF_FRESH.excluded.state, "updated_at": _SAVE_IF_FRESH.excluded.updated_at},
).returning(DRAFTS.c.reporter_ref)

_PEEK = for_asyncpg(PEEK)
_CLAIM_AND_SAVE = for_asyncpg(CLAIM_AND_SAVE)
_SAVE = for_asyncpg(SAVE["postgresql"])
# A whole batch in one statement, whatever its size.
_INBOX_ADD = (
    "INSERT INTO inbox (update_id, person, body, received_at, taken_until)"
    " SELECT u, p, b, $4, $5 FROM unnest($1::bigint[], $2::varchar[], $3::bytea[]) AS r(u, p, b)"
    " ON CONFLICT (update_id) DO NOTHING"
)
_INBOX_DROP = "DELETE FROM inbox WHERE update_id = ANY($1::bigint[])"


class PostgresStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def peek(self, update_id: int | None, ref: str) -> Peeked:
        async with self.db.single_statements() as conn:
            row = await conn.fetchrow(_PEEK.sql, *_PEEK.args(update_id=update_id, ref=ref))
        return Peeked(bool(row[1]), readable(row[0]))

    async def claim_and_save(self, update_id: int | None, ref: str, state: State) -> bool:
        if update_id is None:
            await self.save_now(ref, state)
            return True
        args = _CLAIM_AND_SAVE.args(update_id=update_id, ref=ref, state=sealed(state), at=utcnow())
        async with self.db.single_statements() as conn:
            return await conn.fetchrow(_CLAIM_AND_SAVE.sql, *args) is not None

    async def save_now(self, ref: str, state: State) -> None:
        args = _SAVE.args(ref=ref, state=sealed(state), at=utcnow())
        async with self.db.single_statements() as conn:
            await conn.execute(_SAVE.sql, *args)

    async def status_now(self, code_hash: str) -> tuple[StatusView | None, bool]:
        async with self.db.single_statements() as conn:
            return await status_now(conn, code_hash)

    async def record_inbox(
        self, rows: list[tuple[int, str | None, bytes]], held_until: datetime
    ) -> None:
        ids, people, bodies = (list(column) for column in zip(*rows, strict=True))
        async with self.db.single_statements() as conn:
            await conn.execute(_INBOX_ADD, ids, people, bodies, utcnow(), held_until)

    async def forget_inbox(self, update_ids: list[int]) -> None:
        async with self.db.single_statements() as conn:
            await conn.execute(_INBOX_DROP, update_ids)

    async def close(self) -> None:
        """The connections belong to the Database's pool."""
