"""The gauges /metrics shows are read from the database, on SQLite and PostgreSQL."""

from __future__ import annotations

from bot import stats
from flows.core import Reply
from flows.outbound import Send
from handlers.metrics import OUTBOX_PENDING, TICKETS
from storage import outbox
from storage.crypto import Keys
from storage.db import Database


async def test_the_numbers_are_read(database: Database, keys: Keys) -> None:
    async with database.unit_of_work() as s:
        for chat in (-1, -2):
            await outbox.enqueue(s, keys, chat_id=chat, op=Send((Reply("x"),)), purpose="staff")
    await stats.refresh(database)
    assert OUTBOX_PENDING._value.get() == 2
    assert TICKETS.labels("baru")._value.get() == 0
