"""Monthly summaries (issue 15, item 6) on SQLite and PostgreSQL: owed on the first working
day of the month from 08.00 in the unit's own time zone, to each koordinator who wants them,
exactly once however many workers ask at the same moment."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import select

from flows.outbound import Summary, op_from_json
from storage import summaries
from storage.crypto import Keys
from storage.db import Database
from storage.models import OutboxMessage, Staff, Upt

JOINED = datetime(2026, 10, 1, tzinfo=UTC)


async def _people(database: Database) -> dict[str, int]:
    async with database.unit_of_work() as s:
        units = {u.code: u for u in await s.scalars(select(Upt))}
        people = {
            "jatim": Staff(upt_id=units["UPTD-PPA-35"].id, role="koordinator"),
            "jatim_off": Staff(upt_id=units["UPTD-PPA-35"].id, role="koordinator"),
            "petugas": Staff(upt_id=units["UPTD-PPA-35"].id, role="petugas"),
            "sulsel": Staff(upt_id=units["UPTD-PPA-73"].id, role="koordinator"),  # WITA
            "new": Staff(upt_id=units["UPTD-PPA-35"].id, role="koordinator"),
        }
        for n, (name, person) in enumerate(people.items()):
            person.telegram_user_id, person.display_name = 900_000 + n, name
            person.status, person.created_at = "active", JOINED
        people["jatim_off"].monthly_summary = False
        people["new"].created_at = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)  # joined today
        s.add_all(people.values())
        await s.flush()
        return {name: p.id for name, p in people.items()}


async def _owe(database: Database, keys: Keys, at: datetime) -> int:
    async with database.unit_of_work() as s:
        return await summaries.owe(s, keys, at)


async def _owed(database: Database) -> list[tuple[int, str, int]]:
    async with database.unit_of_work() as s:
        rows = await s.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "summary"))
        ops = [op_from_json(r.kind, r.payload["op"]) for r in rows]
    return sorted((op.staff_id, op.month, op.upt_id) for op in ops if isinstance(op, Summary))


async def test_owed_once_on_the_first_working_day_from_eight(
    database: Database, keys: Keys
) -> None:
    ids = await _people(database)
    # 1 December 2026, a Tuesday: 07.30 WIB is too early in Surabaya; 08.30 WITA is not.
    assert await _owe(database, keys, datetime(2026, 12, 1, 0, 30, tzinfo=UTC)) == 1
    assert [who for who, _, _ in await _owed(database)] == [ids["sulsel"]]
    at = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 09.00 WIB
    assert await _owe(database, keys, at) == 1  # the one who opted out, the petugas and
    # the koordinator who joined today are not owed November's
    assert await _owe(database, keys, at) == 0  # owed already
    assert await _owe(database, keys, datetime(2026, 12, 2, 2, 0, tzinfo=UTC)) == 0
    # 1 January 2027 is a holiday and then a weekend: Monday the 4th is the day.
    assert await _owe(database, keys, datetime(2027, 1, 1, 3, 0, tzinfo=UTC)) == 0
    assert await _owe(database, keys, datetime(2027, 1, 4, 3, 0, tzinfo=UTC)) == 3
    owed = await _owed(database)
    assert [(who, month) for who, month, _ in owed] == sorted(
        [
            (ids["jatim"], "2026-11"),
            (ids["sulsel"], "2026-11"),
            (ids["jatim"], "2026-12"),
            (ids["sulsel"], "2026-12"),
            (ids["new"], "2026-12"),
        ]
    )


async def test_several_workers_at_once_owe_each_summary_once(
    database: Database, keys: Keys
) -> None:
    await _people(database)
    at = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    async with asyncio.timeout(30):
        done = await asyncio.gather(*(_owe(database, keys, at) for _ in range(4)))
    assert sum(done) == 2 and len(await _owed(database)) == 2
