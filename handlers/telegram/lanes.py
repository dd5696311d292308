"""Per-person ordering for every Telegram runtime: one lane per person, handled one update
after the other, each lane on its own task.

A runtime hands an update over and is free at once, so one person whose updates are slow (a
429 on their chat, a burst of forty messages) holds only their own lane, never the runtime's
slots that everyone else's updates need. A lane holds at most `waiting` updates beyond the
one being handled; the excess is refused (the edge answers it once, politely). At most
`people` lanes are open at once (the database pool is sized for it): an update of someone
else waits to be handed over, so a runtime stops taking updates from Telegram as it did
before lanes, while a person who already has a lane (a flooder) never makes anyone wait.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]


class Lanes:
    def __init__(self, waiting: int = 8, people: int = 24) -> None:
        self.waiting, self.people = waiting, people
        self._lanes: dict[str, deque[Job]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._room = asyncio.Condition()
        self._held = 0  # hand-overs waiting for a lane to close

    @property
    def busy(self) -> frozenset[asyncio.Task[None]]:
        """The lanes working right now (tests wait for them to settle; shutdown drains them)."""
        return frozenset(self._tasks)

    async def submit(self, key: str, job: Job) -> bool:
        """Queue `job` in `key`'s lane; False (and nothing queued) when that lane is full."""
        if key not in self._lanes and len(self._lanes) >= self.people:
            self._held += 1
            try:
                async with self._room:
                    await self._room.wait_for(
                        lambda: key in self._lanes or len(self._lanes) < self.people
                    )
            finally:
                self._held -= 1
        lane = self._lanes.get(key)
        if lane is not None and len(lane) >= self.waiting:
            return False
        if lane is None:
            lane = self._lanes[key] = deque()
            task = asyncio.create_task(self._run(key, lane))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        lane.append(job)
        return True

    async def _run(self, key: str, lane: deque[Job]) -> None:
        try:
            while lane:
                job = lane.popleft()
                try:
                    await job()
                except Exception as error:  # noqa: BLE001 - one update's failure is not fatal
                    log.error("an update failed (%s)", type(error).__name__, exc_info=True)
        finally:
            # Nothing awaits between the last `while lane` and here: no job can be lost.
            del self._lanes[key]
            if self._held:
                async with self._room:
                    self._room.notify_all()

    async def drain(self, seconds: float) -> None:
        """Let what was handed over finish (Telegram already considers it delivered); what is
        still running after `seconds` is cancelled (it stays in the inbox, replayed next start)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=seconds)
        late = set(self._tasks)
        for task in late:
            task.cancel()
        if late:
            log.warning("%d lanes still busy at shutdown were cancelled", len(late))
            await asyncio.gather(*late, return_exceptions=True)
