"""Fixtures shared by the suites: real databases and the real Telegram runtime (aiogram)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text

from bot.app import App, TelegramBot, make_client, make_runtime
from bot.settings import Settings
from handlers.reporter.service import ReporterService
from storage.crypto import Keys
from storage.db import Database
from storage.migrate import upgrade
from storage.tickets import Submission
from tests.fakebot import FakeBotAPI
from tests.fakebot_webhook import free_port

TEST_SECRET = "test-only-secret-key-0123456789-abcdefghijklmnop"
PG_DSN = os.environ.get("TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")

_pg_checked: str | None = None  # "" when reachable, else the reason


async def _pg_unavailable() -> str:
    global _pg_checked
    if _pg_checked is None:
        try:
            conn = await asyncpg.connect(PG_DSN, timeout=3)
            await conn.close()
            _pg_checked = ""
        except (OSError, asyncpg.PostgresError, TimeoutError) as e:
            _pg_checked = f"PostgreSQL not reachable at {PG_DSN}: {type(e).__name__}: {e}"
    return _pg_checked


@pytest.fixture
def keys() -> Keys:
    return Keys.derive(TEST_SECRET)


async def open_database(
    kind: str, tmp_path, keys: Keys, revision: str = "head"
) -> tuple[Database, str | None]:  # type: ignore[no-untyped-def]
    """A database migrated to `revision`; for PostgreSQL a throwaway schema in database
    `test`."""
    if kind == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}", keys)
        await upgrade(db.engine, revision)
        return db, None
    reason = await _pg_unavailable()
    if reason:
        pytest.skip(reason)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(PG_DSN)
    await conn.execute(f'CREATE SCHEMA "{schema}"')
    await conn.close()
    url = PG_DSN.replace("postgresql://", "postgresql+asyncpg://", 1)
    db = Database(url, keys, connect_args={"server_settings": {"search_path": schema}})
    await upgrade(db.engine, revision)
    return db, schema


async def close_database(db: Database, schema: str | None) -> None:
    await db.dispose()
    if schema:
        conn = await asyncpg.connect(PG_DSN)
        await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await conn.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database(request, tmp_path, keys: Keys) -> AsyncIterator[Database]:  # type: ignore[no-untyped-def]
    """The same storage tests run on SQLite and on PostgreSQL."""
    db, schema = await open_database(request.param, tmp_path, keys)
    try:
        yield db
    finally:
        await close_database(db, schema)


@pytest.fixture
async def pg_database_url() -> AsyncIterator[str]:
    """An empty PostgreSQL database of its own, for separate processes that share it (a
    schema would not do: `search_path` is not in a URL); dropped afterwards."""
    if reason := await _pg_unavailable():
        pytest.skip(reason)
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_DSN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def sqlite_db(tmp_path, keys: Keys) -> AsyncIterator[Database]:  # type: ignore[no-untyped-def]
    db, _ = await open_database("sqlite", tmp_path, keys)
    try:
        yield db
    finally:
        await db.dispose()


async def every_stored_byte(db: Database, tmp_path: Any) -> bytes:
    """What a copy of the database would give away: SQLite's file and write-ahead log, or on
    PostgreSQL every row of every table as the server returns it."""
    if db.is_sqlite:
        return b"".join(p.read_bytes() for p in tmp_path.glob("test.db*"))
    async with db.engine.connect() as conn:
        tables = (
            await conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            )
        ).scalars()
        rows = [
            (await conn.execute(text(f'SELECT t::text FROM "{name}" t'))).scalars().all()
            for name in tables
        ]
    return "\n".join(r for table in rows for r in table).encode()


@dataclass
class RunningBot:
    api: FakeBotAPI
    db: Database
    keys: Keys
    app: App
    runtime: TelegramBot
    task: asyncio.Task[None]

    @property
    def service(self) -> ReporterService:
        return self.app.service


async def start_bot(api: FakeBotAPI, db: Database, keys: Keys, **settings_: Any) -> RunningBot:
    """The real bot (reception, the runtime, the client, the delivery worker) against the fake
    Bot API server; `settings_` override the test defaults (bot_runtime="ptb", say)."""
    values: dict[str, Any] = dict(
        bot_token=api.token,
        telegram_api_url=api.url,
        secret_key=TEST_SECRET,
        # Walks push many messages into one group in seconds; pacing has its own tests.
        outbox_per_group_per_minute=10_000,
        outbox_per_chat_per_second=1_000,
        # Scripted people type faster than anyone could; the limit has its own test.
        messages_per_minute=10_000,
    )
    settings = Settings(**(values | settings_), _env_file=None)
    app = App(settings, TEST_SECRET, db=db)
    runtime = TelegramBot(app, make_client(settings), make_runtime(settings), polling_timeout=1)
    # No second bot runs beside one in a test: its lease is renewed once an hour, never inside
    # a test (a renewal is a commit, and some tests count commits). bot/cluster's own tests
    # renew in fractions of a second.
    runtime.membership.lease_seconds, runtime.membership.renew_seconds = 7200.0, 3600.0
    await runtime.prepare()
    task = asyncio.create_task(runtime.serve(handle_signals=False))
    return RunningBot(api, db, keys, app, runtime, task)


async def stop_bot(running: RunningBot) -> None:
    try:
        if not running.task.done():
            await running.runtime.stop()
        await asyncio.wait_for(running.task, 10)
    finally:
        # Whatever happened above, the HTTP sessions must not outlive the test.
        await running.runtime.close()


@asynccontextmanager
async def bot_running(
    api: FakeBotAPI, db: Database, keys: Keys, **settings: Any
) -> AsyncIterator[RunningBot]:
    running = await start_bot(api, db, keys, **settings)
    try:
        yield running
    finally:
        await stop_bot(running)


@pytest.fixture(params=["aiogram", "ptb"])
def bot_runtime(request: pytest.FixtureRequest) -> str:
    """BOT_RUNTIME: every end-to-end test runs with each framework passing updates on."""
    return str(request.param)


@pytest.fixture
async def running_bot(
    fake_api: FakeBotAPI, database: Database, keys: Keys, bot_runtime: str
) -> AsyncIterator[RunningBot]:
    """The real runtime end to end, on SQLite and on PostgreSQL: the path production runs."""
    async with bot_running(fake_api, database, keys, bot_runtime=bot_runtime) as running:
        yield running


@pytest.fixture
async def sqlite_bot(
    fake_api: FakeBotAPI, sqlite_db: Database, keys: Keys, bot_runtime: str
) -> AsyncIterator[RunningBot]:
    """The real runtime on a SQLite file, for tests that open the same file from a CLI."""
    async with bot_running(fake_api, sqlite_db, keys, bot_runtime=bot_runtime) as running:
        yield running


async def until(probe: Callable[[], object], seconds: float = 10.0) -> None:
    """Wait for something a person would notice (a message, an edit) to happen."""
    for _ in range(int(seconds / 0.02)):
        if probe():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the expected change never came")


def submission(draft_key: str = "d1", region: str | None = "35.15", **changes: Any) -> Submission:
    """A plain report, as the report flow would submit it."""
    values: dict[str, Any] = dict(
        draft_key=draft_key,
        reporter_role="umum",
        category="prostitusi_online",
        urgent=False,
        region_code=region,
        district_code=None,
        occurred="hari_ini",
        narrative="Akun @contoh menawarkan anak di MiChat",
        details={},
        locale="id",
    )
    values.update(changes)
    return Submission(**values)


WEBHOOK_SECRET = "test-webhook-Secret_0123456789"


def webhook_settings() -> dict[str, Any]:
    """start_bot settings for webhook mode on a local port."""
    port = free_port()
    return dict(
        webhook_url=f"http://127.0.0.1:{port}/telegram-updates",
        webhook_secret=WEBHOOK_SECRET,
        webhook_listen=f"127.0.0.1:{port}",
    )


async def inbox_drained(db: Database) -> None:
    """Wait until everything received has been handled (a restarted bot caught up)."""
    from storage import inbox

    for _ in range(200):
        if not await inbox.unfinished(db):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("updates stayed in the inbox")
