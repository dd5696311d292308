"""What PostgreSQL does for the bot during a phase: backend CPU and sessions waiting on locks."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter

import asyncpg

from bench.procstat import cpu_seconds

_SAMPLE = """
SELECT pid, wait_event_type = 'Lock' AS waiting, left(query, 90) AS query
FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()
"""


def _cpu(pids: set[int]) -> dict[int, float]:
    out: dict[int, float] = {}
    for pid in pids:
        with contextlib.suppress(OSError):  # a backend that ended meanwhile
            out[pid] = cpu_seconds(pid)
    return out


class DbMeter:
    """Samples pg_stat_activity twice a second; CPU read from /proc (same machine)."""

    def __init__(self, dsn: str, database: str) -> None:
        self.dsn, self.database = dsn, database
        self._task: asyncio.Task[None] | None = None
        self._samples = 0
        self._waiting = 0
        self.blocked: Counter[str] = Counter()  # statements seen waiting on a lock
        self._pids: set[int] = set()
        self._cpu0: dict[int, float] = {}
        self._t0 = 0.0

    async def start(self) -> None:
        self._conn = await asyncpg.connect(self.dsn)
        self._pids = {r["pid"] for r in await self._conn.fetch(_SAMPLE, self.database)}
        self._cpu0 = _cpu(self._pids)
        self._t0 = time.perf_counter()
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            rows = await self._conn.fetch(_SAMPLE, self.database)
            self._samples += 1
            self._waiting += sum(1 for r in rows if r["waiting"])
            self.blocked.update(" ".join(r["query"].split()) for r in rows if r["waiting"])
            self._pids |= {r["pid"] for r in rows}
            await asyncio.sleep(0.5)

    async def stop(self) -> tuple[float, float]:
        """(CPU% of the database's backends, mean sessions waiting on a lock)."""
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        await self._conn.close()
        wall = time.perf_counter() - self._t0
        now = _cpu(self._pids)
        used = sum(cpu - self._cpu0.get(pid, 0.0) for pid, cpu in now.items())
        return 100 * used / wall, self._waiting / max(1, self._samples)
