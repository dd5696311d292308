"""The monthly summary worker: every so often, queue the summaries now due
(storage/summaries.py). Any number of processes may run it; each summary is owed once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from storage import summaries
from storage.crypto import Keys
from storage.db import Database
from storage.models import utcnow

log = logging.getLogger(__name__)

EVERY_SECONDS = 600.0  # a summary waits at most this long past 08.00 on its day


class MonthlySummaries:
    def __init__(
        self,
        db: Database,
        keys: Keys,
        *,
        clock: Callable[[], datetime] = utcnow,
        interval_seconds: float = EVERY_SECONDS,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self.db, self.keys, self.clock = db, keys, clock
        self.interval_seconds, self.wake = interval_seconds, wake

    async def run_once(self) -> int:
        async with self.db.unit_of_work() as session:
            queued = await summaries.owe(session, self.keys, self.clock())
        if queued:
            log.info("queued %d monthly summaries", queued)
            self.wake()
        return queued

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception as error:  # noqa: BLE001 - a bad pass must not stop the bot
                log.warning("monthly summaries: a pass failed (%s)", type(error).__name__)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval_seconds):
                    await stop.wait()
