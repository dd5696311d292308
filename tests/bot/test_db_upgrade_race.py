"""Issue 14, item 5: containers that start at once may all run `lapor-ppa db upgrade`; on
PostgreSQL one migrates while the others wait (an advisory lock), and all succeed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg

from storage.migrate import SCHEMA_HEAD
from tests.bot.test_process import CLI, env_for


async def test_three_upgrades_at_once_all_succeed(tmp_path: Path, pg_database_url: str) -> None:
    url = pg_database_url

    async def upgrade() -> tuple[int, bytes]:
        proc = await asyncio.create_subprocess_exec(
            CLI,
            "db",
            "upgrade",
            cwd=tmp_path,
            env=env_for(tmp_path, DATABASE_URL=url),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 120)
        return int(proc.returncode or 0), err

    results = await asyncio.gather(*(upgrade() for _ in range(3)))
    assert [rc for rc, _ in results] == [0, 0, 0], [err for _, err in results]
    conn = await asyncpg.connect(url)
    try:
        assert await conn.fetchval("SELECT version_num FROM alembic_version") == SCHEMA_HEAD
        assert await conn.fetchval("SELECT count(*) FROM regions") > 500
    finally:
        await conn.close()
