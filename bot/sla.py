"""The SLA worker: unclaimed tickets are escalated (storage/escalation.py) and announced.

Each ticket is one unit of work: the level moves, the new co-owners get their cards and the
routed UPT its reminder card in the same transaction, so a crash loses nothing and repeats
nothing. Any number of processes may run this worker against one database. Time comes from
the injected clock only, so tests move days in microseconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from handlers.casework.announce import Announcer
from handlers.metrics import SLA_ESCALATIONS
from storage import escalation
from storage.crypto import Keys
from storage.db import Database
from storage.models import utcnow

log = logging.getLogger(__name__)


class EscalationWorker:
    def __init__(
        self,
        db: Database,
        keys: Keys,
        announcer: Announcer,
        *,
        clock: Callable[[], datetime] = utcnow,
        urgent_seconds: int = 3600,
        normal_workdays: int = 1,
        national_workdays: int = 3,
        interval_seconds: float = 60,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self.db, self.keys, self.announcer = db, keys, announcer
        self.clock = clock
        self.urgent_seconds = urgent_seconds
        self.normal_workdays = normal_workdays
        self.national_workdays = national_workdays
        self.interval_seconds = interval_seconds
        self.wake = wake  # the delivery worker: cards were queued

    async def run_once(self) -> int:
        """Escalate every ticket with a step due; the number this process escalated."""
        now = self.clock()
        async with self.db.unit_of_work() as session:
            due = await escalation.due_escalations(
                session,
                now,
                urgent_seconds=self.urgent_seconds,
                normal_workdays=self.normal_workdays,
                national_workdays=self.national_workdays,
            )
        done = 0
        for step in due:
            try:
                result = await self._escalate(step, now)
            except Exception as error:  # one bad ticket must not hold back the others
                log.error("escalating %s failed (%s)", step.case_number, type(error).__name__)
                continue
            if result is not None:
                done += 1
                log.info("ticket %s escalated to level %d", step.case_number, result.level)
                SLA_ESCALATIONS.labels(str(result.level)).inc()
                self.wake()
        return done

    async def _escalate(
        self, step: escalation.DueStep, now: datetime
    ) -> escalation.Escalation | None:
        async with self.db.unit_of_work() as session:
            result = await escalation.escalate(session, step.ticket_id, step.to_level, now)
            if result is None:
                return None  # claimed meanwhile, or another process took this step
            if result.reannounce:
                await self.announcer.post_cards(session, result.ticket, result.upt)
            for upt in result.added:
                await self.announcer.post_cards(session, result.ticket, upt)
        return result

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception as error:  # the database may be down for a while: keep trying
                log.error("escalation pass failed (%s); retrying", type(error).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval_seconds)
