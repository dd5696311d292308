"""The conversation store on SQLite: the same shape as PostgreSQL's, one thread hop per step.

A single sqlite3 connection lives in one worker thread of its own. Each operation (peek;
claim-and-save inside one BEGIN IMMEDIATE; the status read) runs there as one function, so an
update pays one hop to the thread instead of one per statement through aiosqlite and
SQLAlchemy's session. SQLite has one writer at a time anyway; WAL lets readers go on.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import DateTime, bindparam, exists, select
from sqlalchemy.dialects import sqlite

from storage.conversations import CLAIM, LOAD, PROCESSED, SAVE, Peeked, State, readable, sealed
from storage.db import Database, sqlite_pragmas
from storage.models import utcnow
from storage.tickets import STATUS_NOW_QUERY, StatusView

T = TypeVar("T")

_DIALECT = sqlite.dialect()
_DATETIME = DateTime(timezone=True).dialect_impl(_DIALECT)
_STAMP = _DATETIME.bind_processor(_DIALECT)  # as SQLAlchemy writes it: same rows either way
_PARSE_STAMP = _DATETIME.result_processor(_DIALECT, None)


@dataclass(frozen=True, slots=True)
class _Sql:
    """A statement compiled once for sqlite3's qmark style, with its parameter order."""

    sql: str
    names: tuple[str, ...]
    fixed: dict[str, Any]  # values the statement carries itself ('question', say)

    @staticmethod
    def of(stmt: Any) -> _Sql:
        compiled = stmt.compile(dialect=_DIALECT)
        fixed = {k: v for k, v in compiled.params.items() if not compiled.binds[k].required}
        return _Sql(str(compiled), tuple(compiled.positiontup or ()), fixed)

    def args(self, **params: Any) -> tuple[Any, ...]:
        return tuple(params[n] if n in params else self.fixed[n] for n in self.names)


_PEEK = _Sql.of(
    select(
        LOAD.scalar_subquery().label("state"),
        exists().where(PROCESSED.c.update_id == bindparam("update_id")).label("seen"),
    )
)
_CLAIM = _Sql.of(CLAIM["sqlite"])
_SAVE = _Sql.of(SAVE["sqlite"])
_STATUS = _Sql.of(STATUS_NOW_QUERY)
_INBOX_ADD = (
    "INSERT INTO inbox (update_id, person, body, received_at, taken_until) VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT (update_id) DO NOTHING"
)
_INBOX_DROP = "DELETE FROM inbox WHERE update_id IN (SELECT value FROM json_each(?))"


class SqliteStore:
    def __init__(self, db: Database) -> None:
        self.path = db.engine.url.database or ""
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite-store")
        self._conn: sqlite3.Connection | None = None
        db.on_dispose(self.close)

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, self._call, work)

    def _call(self, work: Callable[[sqlite3.Connection], T]) -> T:
        if self._conn is None:
            # Autocommit: transactions are opened explicitly, and reads take none.
            self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            sqlite_pragmas(self._conn, None)
        return work(self._conn)

    async def peek(self, update_id: int | None, ref: str) -> Peeked:
        args = _PEEK.args(ref=ref, update_id=update_id)
        stored, seen = await self._run(lambda c: c.execute(_PEEK.sql, args).fetchone())
        return Peeked(bool(seen), readable(stored))

    async def claim_and_save(self, update_id: int | None, ref: str, state: State) -> bool:
        at = _STAMP(utcnow())
        save = _SAVE.args(ref=ref, state=sealed(state), at=at)
        claim = _CLAIM.args(update_id=update_id, at=at)

        def work(conn: sqlite3.Connection) -> bool:
            conn.execute("BEGIN IMMEDIATE")
            try:
                if update_id is not None and conn.execute(_CLAIM.sql, claim).rowcount != 1:
                    conn.execute("ROLLBACK")
                    return False
                conn.execute(_SAVE.sql, save)
                conn.execute("COMMIT")
                return True
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

        return await self._run(work)

    async def save_now(self, ref: str, state: State) -> None:
        args = _SAVE.args(ref=ref, state=sealed(state), at=_STAMP(utcnow()))
        await self._run(lambda c: c.execute(_SAVE.sql, args))

    async def status_now(self, code_hash: str) -> tuple[StatusView | None, bool]:
        args = _STATUS.args(code=code_hash)
        row = await self._run(lambda c: c.execute(_STATUS.sql, args).fetchone())
        if row is None:
            return None, False
        ticket_id, stopped, case_number, status, changed_at, upt_name, tz, role, unshown = row
        changed = _PARSE_STAMP(changed_at)
        victim = role == "korban"
        stopped = bool(stopped)
        view = StatusView(ticket_id, stopped, case_number, status, upt_name, tz, changed, victim)
        return view, bool(unshown)

    async def record_inbox(
        self, rows: list[tuple[int, str | None, bytes]], held_until: datetime
    ) -> None:
        at, until = _STAMP(utcnow()), _STAMP(held_until)
        params = [(update_id, person, body, at, until) for update_id, person, body in rows]

        def work(conn: sqlite3.Connection) -> None:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(_INBOX_ADD, params)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

        await self._run(work)

    async def forget_inbox(self, update_ids: list[int]) -> None:
        ids = json.dumps(update_ids)
        await self._run(lambda c: c.execute(_INBOX_DROP, (ids,)))

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await asyncio.get_running_loop().run_in_executor(self._thread, conn.close)
        self._thread.shutdown(wait=True)
