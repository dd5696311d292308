"""The schema check the running bot does without loading Alembic."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import create_async_engine

from storage.db import Database
from storage.migrate import SCHEMA_HEAD, current, head


def test_the_bots_schema_head_is_the_newest_migration() -> None:
    # A new migration must bump SCHEMA_HEAD, or every bot would refuse to start after it.
    assert head() == SCHEMA_HEAD


async def test_current_reads_the_revision_alembic_wrote(database: Database) -> None:
    assert await current(database.engine) == SCHEMA_HEAD


async def test_current_is_none_before_the_first_upgrade(tmp_path: Path) -> None:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    try:
        assert await current(engine) is None
    finally:
        await engine.dispose()
