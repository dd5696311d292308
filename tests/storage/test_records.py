"""Case records (issue 15, item 1), on SQLite and PostgreSQL: each change applies to the row
as it is now, so two staff recording different things at once both keep what they did."""

from __future__ import annotations

import asyncio

from flows.casework import record
from storage import records, tickets
from storage.crypto import Keys
from storage.db import Database
from tests.support import submission


async def _ticket(database: Database, keys: Keys) -> int:
    async with database.unit_of_work() as s:
        done = await tickets.submit(
            s, submission("a", "35.15"), code_hash=keys.code_hash("a"), reporter_ref="r-a"
        )
        return done.ticket_id


async def test_a_record_is_made_on_its_first_change_and_corrected_later(
    database: Database, keys: Keys
) -> None:
    tid = await _ticket(database, keys)
    async with database.unit_of_work() as s:
        assert await records.load(s, tid) == record.empty()
        before, after = await records.change(
            s, tid, {"op": "toggle", "field": "violence", "code": "fisik", "base": ["seksual"]}
        )
        assert before["violence"] is None and after["violence"] == ["seksual", "fisik"]
        await records.change(s, tid, {"op": "service", "code": "kesehatan", "date": "2026-11-28"})
        await records.change(s, tid, {"op": "set", "values": {"age": 15, "age_band": "13_17"}})
    async with database.unit_of_work() as s:
        await records.change(s, tid, {"op": "service", "code": "kesehatan", "date": "2026-11-30"})
        await records.change(s, tid, {"op": "service", "code": "mediasi", "date": "2026-12-01"})
        before, after = await records.change(
            s, tid, {"op": "toggle", "field": "violence", "code": "seksual", "base": []}
        )
        assert before["violence"] == ["seksual", "fisik"]
    async with database.unit_of_work() as s:
        await records.change(s, tid, {"op": "service", "code": "mediasi", "date": None})
    async with database.unit_of_work() as s:
        assert await records.load(s, tid) == record.empty() | {
            "violence": ["fisik"],
            "services": {"kesehatan": "2026-11-30"},
            "age": 15,
            "age_band": "13_17",
        }


async def test_two_changes_at_once_both_stay(database: Database, keys: Keys) -> None:
    tid = await _ticket(database, keys)

    async def change(what: dict[str, object]) -> None:
        async with database.unit_of_work() as s:
            await records.change(s, tid, what)

    async with asyncio.timeout(30):
        await asyncio.gather(
            change({"op": "toggle", "field": "referrals", "code": "lpsk", "base": []}),
            change({"op": "toggle", "field": "referrals", "code": "dinsos", "base": []}),
            change({"op": "set", "values": {"sex": "perempuan"}}),
            change({"op": "service", "code": "pengaduan", "date": "2026-12-01"}),
        )
    async with database.unit_of_work() as s:
        rec = await records.load(s, tid)
    assert sorted(rec["referrals"]) == ["dinsos", "lpsk"] and rec["sex"] == "perempuan"
    assert rec["services"] == {"pengaduan": "2026-12-01"}
