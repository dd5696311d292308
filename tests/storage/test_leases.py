"""Leases for several workers, on SQLite and PostgreSQL: a named lease is one holder's until
it lapses; an outbox row claimed by one worker is not claimed by another until it is handed
back or its claim lapses; an inbox update is held by the worker that received it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from flows.core import Reply
from flows.outbound import Send
from storage import inbox, leases, outbox
from storage.conversations import claim_update, open_store
from storage.crypto import Keys
from storage.db import Database
from storage.models import utcnow


async def test_a_lease_is_one_holders_until_it_lapses(database: Database) -> None:
    now = utcnow()
    async with database.unit_of_work() as s:
        assert await leases.take(s, "bot", "a", 30, now) is None
    async with database.unit_of_work() as s:
        held = await leases.take(s, "bot", "b", 30, now + timedelta(seconds=10))
        assert held is not None and held.holder == "a"
        assert await leases.take(s, "bot", "a", 30, now + timedelta(seconds=10)) is None  # renewed
    async with database.unit_of_work() as s:
        assert await leases.take(s, "bot", "b", 30, now + timedelta(seconds=39)) is not None
        assert await leases.take(s, "bot", "b", 30, now + timedelta(seconds=41)) is None  # lapsed
        assert (await leases.holder_of(s, "bot", now + timedelta(seconds=41))).holder == "b"
        await leases.release(s, "bot", "a")  # not a's any more: nothing happens
        assert await leases.holder_of(s, "bot", now + timedelta(seconds=41)) is not None
        await leases.release(s, "bot", "b")
        assert await leases.holder_of(s, "bot", now + timedelta(seconds=41)) is None


async def test_two_takers_at_once_one_wins(database: Database) -> None:
    now = utcnow()

    async def taker(name: str) -> bool:
        async with database.unit_of_work() as s:
            return await leases.take(s, "bot", name, 30, now) is None

    won = await asyncio.gather(*(taker(f"p{n}") for n in range(6)))
    assert sum(won) == 1


async def _owed(database: Database, keys: Keys, chats: list[int]) -> list[int]:
    ids = []
    async with database.unit_of_work() as s:
        for chat in chats:
            row = await outbox.enqueue(
                s, keys, chat_id=chat, op=Send((Reply("x"),)), purpose="staff", is_group=chat < 0
            )
            await s.flush()
            ids.append(row.id)
    return ids


async def test_a_claimed_outbox_row_is_no_one_elses_until_handed_back_or_lapsed(
    database: Database, keys: Keys
) -> None:
    first, second, other = await _owed(database, keys, [-100, -100, -200])
    now = utcnow()
    async with database.unit_of_work() as s:
        mine = [d.id for d in await outbox.claim_due(s, now)]
    assert mine == [first, other]  # one row per chat: the second waits behind the first
    async with database.unit_of_work() as s:
        assert await outbox.claim_due(s, now) == []  # another worker finds nothing to send
    async with database.unit_of_work() as s:
        await outbox.release(s, [other])
    async with database.unit_of_work() as s:
        assert [d.id for d in await outbox.claim_due(s, now)] == [other]
    later = now + timedelta(seconds=outbox.CLAIM_SECONDS + 1)
    async with database.unit_of_work() as s:  # their worker was killed: the claims lapsed
        assert [d.id for d in await outbox.claim_due(s, later)] == [first, other]
    async with database.unit_of_work() as s:
        await outbox.mark_sent(s, first, 7)
        await outbox.release_all(s)
    async with database.unit_of_work() as s:
        assert [d.id for d in await outbox.claim_due(s, later)] == [second, other]


async def test_an_inbox_update_is_held_by_its_worker_until_that_lapses(
    database: Database, keys: Keys
) -> None:
    store = open_store(database)
    person = keys.reporter_ref(42)
    updates = [
        {
            "update_id": n,
            "message": {"from": {"id": 42, "is_bot": False, "first_name": "A"}, "text": f"m{n}"},
        }
        for n in (10, 11, 12)
    ]
    await inbox.record(store, keys, updates)
    assert await inbox.take_lapsed(database, utcnow()) == []  # held by the worker that got them
    assert [u["update_id"] for u in await inbox.earlier_of(database, person, 12)] == [10, 11]
    assert await inbox.earlier_of(database, keys.reporter_ref(43), 12) == []
    async with database.unit_of_work() as s:
        assert await claim_update(s, 10)  # handled by some worker, not yet cleared
    assert [u["update_id"] for u in await inbox.earlier_of(database, person, 12)] == [11]
    soon = utcnow() + timedelta(seconds=inbox.HOLD_SECONDS / 2)
    await inbox.renew(database, {10}, soon)
    lapsed = utcnow() + timedelta(seconds=inbox.HOLD_SECONDS + 1)
    taken = await inbox.take_lapsed(database, lapsed)
    assert [u["update_id"] for u in taken] == [11, 12]  # 10 was renewed: still its worker's
    assert taken[0]["message"]["from"]["first_name"] == ""  # kept without names
    assert await inbox.take_lapsed(database, lapsed) == []  # now held by the taker
    await store.close()
