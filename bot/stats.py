"""Gauges read from the database every so often for `/metrics`: the outbox backlog and its
oldest message's age, and tickets by status. Two small queries each time, whatever the load."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC

from sqlalchemy import func, select

from flows.casework.chain import STATUSES
from handlers.metrics import OUTBOX_OLDEST_SECONDS, OUTBOX_PENDING, TICKETS
from storage import outbox
from storage.db import Database
from storage.models import Ticket, utcnow

log = logging.getLogger(__name__)

EVERY_SECONDS = 15.0


async def refresh(db: Database) -> None:
    async with db.unit_of_work() as session:
        waiting, oldest = await outbox.backlog(session)
        counted = await session.execute(select(Ticket.status, func.count()).group_by(Ticket.status))
        by_status = {str(status): int(n) for status, n in counted}
    OUTBOX_PENDING.set(waiting)
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)  # SQLite keeps no zone: stored as UTC
    age = (utcnow() - oldest).total_seconds() if oldest is not None else 0.0
    OUTBOX_OLDEST_SECONDS.set(max(age, 0.0))
    for status in {*STATUSES, *by_status}:
        TICKETS.labels(status).set(by_status.get(status, 0))


async def run(db: Database, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await refresh(db)
        except Exception as error:  # noqa: BLE001 - monitoring must never stop the bot
            log.warning("could not read the numbers for /metrics (%s)", type(error).__name__)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(EVERY_SECONDS):
                await stop.wait()
