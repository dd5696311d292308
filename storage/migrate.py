"""Schema migrations (Alembic) run from code, so `lapor-ppa db upgrade` and tests share one path."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration. The running bot checks the database against this constant instead of
# loading Alembic (about 13 MiB it would keep for nothing); a test keeps it equal to head().
SCHEMA_HEAD = "0013"
LOCK = 0x1A9012  # pg_advisory_xact_lock key of `db upgrade` ("lapor"), any constant will do


def alembic_config(url: str | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    from alembic import command

    def run(sync_connection) -> None:  # type: ignore[no-untyped-def]
        cfg = alembic_config()
        cfg.attributes["connection"] = sync_connection
        command.upgrade(cfg, revision)

    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Several containers may start at once: one migrates, the others wait for its
            # commit and then find nothing to do. Released with this transaction.
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK})
        await connection.run_sync(run)


async def current(engine: AsyncEngine) -> str | None:
    """The revision the database is at (None before the first upgrade), read as Alembic
    records it: one row in alembic_version."""
    async with engine.connect() as connection:
        if not await connection.run_sync(lambda c: inspect(c).has_table("alembic_version")):
            return None
        return (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar()


def head() -> str | None:
    """The newest migration as Alembic finds it (loads Alembic: for tools and tests)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
