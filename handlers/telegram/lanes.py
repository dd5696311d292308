"""Per-person ordering for every Telegram runtime: one lane per person, handled one update
after the other, each lane on its own task.

A runtime hands an update over and is free at once, so one person whose updates are slow (a
429 on their chat, a burst of forty messages) holds only their own lane, never the runtime's
slots that everyone else's updates need. A lane holds at most `waiting` updates beyond the
one being handled; the excess is refused (the edge answers it once, politely). At most
`running` updates are handled at once (the database pool is sized for it), and all lanes
together hold at most `total` waiting updates: past that, handing over waits, so a runtime
stops taking updates from Telegram instead of piling them up in memory.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]


class Lanes:
    def __init__(self, waiting: int = 8, running: int = 24, total: int = 96) -> None:
        self.waiting, self.total = waiting, total
        self._running = asyncio.Semaphore(running)
        self._lanes: dict[str, deque[Job]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._queued = 0
        self._room = asyncio.Condition()

    @property
    def busy(self) -> frozenset[asyncio.Task[None]]:
        """The lanes working right now (tests wait for them to settle; shutdown drains them)."""
        return frozenset(self._tasks)

    async def submit(self, key: str, job: Job) -> bool:
        """Queue `job` in `key`'s lane; False (and nothing queued) when that lane is full."""
        if self._queued >= self.total:
            async with self._room:
                await self._room.wait_for(lambda: self._queued < self.total)
        lane = self._lanes.get(key)
        if lane is not None and len(lane) >= self.waiting:
            return False
        if lane is None:
            lane = self._lanes[key] = deque()
            task = asyncio.create_task(self._run(key, lane))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        lane.append(job)
        self._queued += 1
        return True

    async def _run(self, key: str, lane: deque[Job]) -> None:
        try:
            while lane:
                job = lane.popleft()
                self._queued -= 1
                if self._queued == self.total - 1:
                    async with self._room:
                        self._room.notify_all()
                try:
                    async with self._running:
                        await job()
                except Exception as error:  # noqa: BLE001 - one update's failure is not fatal
                    log.error("an update failed (%s)", type(error).__name__, exc_info=True)
        finally:
            # Nothing awaits between the last `while lane` and here: no job can be lost.
            self._queued -= len(lane)
            del self._lanes[key]

    async def drain(self, seconds: float) -> None:
        """Let what was handed over finish (Telegram already considers it delivered)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=seconds)
