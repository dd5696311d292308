"""Counting commits the way the database sees them, not the way the code says it commits.

PostgreSQL: a statement-level trigger on every table logs the writing transaction's id, so
the number of distinct ids is the number of transactions that wrote. SQLite (WAL): every
commit appends exactly one frame marked as a commit to the write-ahead log; the log is
truncated first, so the frames carrying the current salt are this test's.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from storage.db import Database

_PG_SETUP = """
CREATE TABLE commit_log (txid bigint NOT NULL);
CREATE FUNCTION log_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO commit_log VALUES (txid_current()); RETURN NULL; END $$;
"""


class Commits:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def start(self) -> None:
        if self.db.is_sqlite:
            async with self.db.engine.connect() as conn:
                await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            return
        async with self.db.engine.begin() as conn:
            for statement in _PG_SETUP.split(";\n"):
                if statement.strip():
                    await conn.exec_driver_sql(statement)
            tables = (
                await conn.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                        " AND tablename <> 'commit_log'"
                    )
                )
            ).scalars()
            for table in list(tables):
                await conn.exec_driver_sql(
                    f'CREATE TRIGGER log_commit AFTER INSERT OR UPDATE OR DELETE ON "{table}"'
                    " FOR EACH STATEMENT EXECUTE FUNCTION log_commit()"
                )

    async def count(self) -> int:
        if self.db.is_sqlite:
            return _wal_commits(Path(f"{self.db.engine.url.database}-wal"))
        async with self.db.engine.connect() as conn:
            found = await conn.execute(text("SELECT count(DISTINCT txid) FROM commit_log"))
            return int(found.scalar_one())

    async def settled(self, quiet: float = 0.3) -> int:
        """The count once nothing has committed for `quiet` seconds (a reply is sent after its
        update commits; a code's delivery mark follows the reply)."""
        last = await self.count()
        for _ in range(100):
            await asyncio.sleep(quiet)
            now = await self.count()
            if now == last:
                return now
            last = now
        raise AssertionError("commits never settled")


def _wal_commits(wal: Path) -> int:
    data = wal.read_bytes() if wal.exists() else b""
    if len(data) < 32:
        return 0
    page_size = int.from_bytes(data[8:12], "big")
    salt = data[16:24]
    frame = 24 + page_size
    commits = 0
    for offset in range(32, len(data) - frame + 1, frame):
        header = data[offset : offset + 24]
        if header[8:16] != salt:
            break  # left over from before the log restarted
        if int.from_bytes(header[4:8], "big"):  # the database size after a commit
            commits += 1
    return commits
