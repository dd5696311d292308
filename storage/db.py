"""Engine, sessions and the unit of work: the one place that commits."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from storage.crypto import Keys, configure_keys


def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets status look-ups read while a report is written; busy_timeout waits for the
    # writer instead of failing with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for another database or an in-memory one)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def create_private_file(path: Path) -> None:
    """Create a SQLite file only its owner can read before the driver creates it readable
    by all (SQLite gives its -wal and -shm files the same permissions)."""
    if path.exists() or not path.parent.is_dir():
        return  # a missing folder is left to SQLite's own error
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


HOT_POOL_SIZE = 8  # held for one statement at a time; more would only cost memory


async def _no_reset(_conn: asyncpg.Connection) -> None:
    """The hot statements leave nothing behind to reset (no session state, no listeners), so
    a returned connection skips asyncpg's reset query: one round trip fewer per update."""


class Database:
    def __init__(self, url: str, keys: Keys, *, echo: bool = False, **engine_kwargs: Any) -> None:
        configure_keys(keys)
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        # hide_parameters: an error message must never carry hashes, refs or ciphertext into logs.
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True, **engine_kwargs}
        if not self.is_sqlite:
            # No pre-ping: it costs three round trips per update; stale connections are
            # recycled instead, and a failed update is answered and can simply be retried.
            kwargs |= {"pool_size": 20, "max_overflow": 10, "pool_recycle": 1800}
        self.engine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            path = sqlite_path(url)
            if path is not None:
                create_private_file(path)
            event.listen(self.engine.sync_engine, "connect", sqlite_pragmas)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._hot: asyncpg.Pool | None = None
        self._connect_args = dict(engine_kwargs.get("connect_args", {}))
        self._hot_lock = asyncio.Lock()
        self._closers: list[Callable[[], Awaitable[None]]] = []
        self.known_sequences: set[str] = set()  # storage/case_numbers.py's, once created

    def on_dispose(self, close: Callable[[], Awaitable[None]]) -> None:
        """Resources built on this database (a store's own connection) close with it."""
        self._closers.append(close)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """Commit once when the block succeeds; roll everything back when it raises."""
        async with self._sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def single_statements(self) -> AsyncIterator[asyncpg.Connection]:
        """An asyncpg connection outside any transaction: each statement commits by itself.
        For work that is one atomic statement (storage/conversations.py's claim_and_save),
        which then needs neither BEGIN nor COMMIT. PostgreSQL only. A small pool of its own:
        checking a connection out of SQLAlchemy's pool costs more than the statements do."""
        if self._hot is None:
            async with self._hot_lock:
                if self._hot is None:
                    url = self.engine.url.set(drivername="postgresql")
                    self._hot = await asyncpg.create_pool(
                        url.render_as_string(hide_password=False),
                        min_size=1,
                        max_size=HOT_POOL_SIZE,
                        reset=_no_reset,
                        # The same session settings as the engine's (a schema, say).
                        **self._connect_args,
                    )
        async with self._hot.acquire() as conn:
            yield conn

    async def dispose(self) -> None:
        while self._closers:
            await self._closers.pop()()
        if self._hot is not None:
            await self._hot.close()
            self._hot = None
        await self.engine.dispose()
