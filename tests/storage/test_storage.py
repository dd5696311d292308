"""Storage on SQLite and PostgreSQL alike: seed data, routing, tickets, idempotency, secrecy."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError

from storage import (
    conversations,
    directory,
    directory_import,
    followup,
    operator_views,
    tickets,
)
from storage.conversations import Peeked, open_store
from storage.crypto import Keys
from storage.db import Database
from storage.directory_import import CsvFile
from storage.models import CaseCounter, Region, ReporterLink, Ticket, TicketEvent, Upt
from tests.support import submission


async def test_seed_has_every_region_and_a_starter_directory(database: Database) -> None:
    async with database.unit_of_work() as s:
        counts = dict(
            (await s.execute(select(Region.level, func.count()).group_by(Region.level))).all()
        )
        upts = (await s.execute(select(Upt.level, func.count()).group_by(Upt.level))).all()
    assert counts == {"provinsi": 38, "kabkota": 514, "kecamatan": 7285}
    assert dict(upts) == {"nasional": 1, "provinsi": 38}


async def test_unconnected_directory_holds_ticket_at_most_specific_level(
    database: Database, keys: Keys
) -> None:
    async with database.unit_of_work() as s:
        done = await tickets.submit(
            s, submission(), code_hash=keys.code_hash("A"), reporter_ref="r"
        )
    assert done.connected is False
    assert done.upt_name == "UPTD PPA Provinsi Jawa Timur"
    assert done.case_number.startswith("PPA-3515-20")
    assert done.case_number.endswith("-000001")
    async with database.unit_of_work() as s:
        pending = await operator_views.cases(s, only_unconnected=True)
    assert [(p.upt_code, p.case_number) for p in pending] == [("UPTD-PPA-35", done.case_number)]


@pytest.mark.parametrize(
    ("connected", "expected"),
    [
        ((), "UPTD-PPA-3515"),  # nobody connected: the most specific entry holds it
        (("UPTD-PPA-3515",), "UPTD-PPA-3515"),
        (("UPTD-PPA-35",), "UPTD-PPA-35"),
        (("SAPA-129",), "SAPA-129"),
        (("SAPA-129", "UPTD-PPA-35"), "UPTD-PPA-35"),
    ],
)
async def test_routing_falls_back_kabkota_province_national(
    database: Database, connected: tuple[str, ...], expected: str
) -> None:
    async with database.unit_of_work() as s:
        result = await directory_import.import_file(
            s,
            CsvFile(
                ["code", "name", "level", "region_code"],
                [
                    {
                        "code": "UPTD-PPA-3515",
                        "name": "UPTD PPA Kabupaten Sidoarjo",
                        "level": "kabkota",
                        "region_code": "35.15",
                    }
                ],
            ),
        )
        assert result.added == 1 and not result.errors
        for n, code in enumerate(connected, start=1):
            await s.execute(update(Upt).where(Upt.code == code).values(telegram_chat_id=-100 - n))
    async with database.unit_of_work() as s:
        route = await directory.route(s, "35.15.01")  # a kecamatan routes by its kab/kota
    assert route.upt.code == expected
    assert route.connected is bool(connected)


async def test_unknown_place_goes_to_national_and_case_prefixes(
    database: Database, keys: Keys
) -> None:
    async with database.unit_of_work() as s:
        a = await tickets.submit(
            s, submission("a", None), code_hash=keys.code_hash("A"), reporter_ref="r"
        )
        b = await tickets.submit(
            s, submission("b", "12"), code_hash=keys.code_hash("B"), reporter_ref="r"
        )
        c = await tickets.submit(
            s, submission("c", "35.15"), code_hash=keys.code_hash("C"), reporter_ref="r"
        )
        d = await tickets.submit(
            s, submission("d", "35.15"), code_hash=keys.code_hash("D"), reporter_ref="r"
        )
    assert a.upt_name.startswith("SAPA 129")
    assert a.case_number.startswith("PPA-0000-") and b.case_number.startswith("PPA-1200-")
    assert c.case_number.endswith("-000001") and d.case_number.endswith("-000002")


async def test_one_draft_makes_one_ticket(database: Database, keys: Keys) -> None:
    async with database.unit_of_work() as s:
        await tickets.submit(s, submission("same"), code_hash=keys.code_hash("A"), reporter_ref="r")
    with pytest.raises(IntegrityError):
        async with database.unit_of_work() as s:
            await tickets.submit(
                s, submission("same"), code_hash=keys.code_hash("B"), reporter_ref="r"
            )
    async with database.unit_of_work() as s:
        assert await s.scalar(select(func.count()).select_from(Ticket)) == 1


async def test_case_numbers_go_on_from_the_counters_already_handed_out(
    database: Database, keys: Keys
) -> None:
    year = datetime.now(UTC).year  # Asia/Jakarta's year but at New Year's midnight
    async with database.unit_of_work() as s:
        s.add(CaseCounter(scope=f"3515-{year}", last=41))
    for n, expected in ((1, "000042"), (2, "000043")):
        async with database.unit_of_work() as s:
            done = await tickets.submit(
                s,
                submission(f"k{n}"),
                code_hash=keys.code_hash(f"K{n}"),
                reporter_ref="r",
                db=database,
            )
        assert done.case_number == f"PPA-3515-{year}-{expected}"


async def test_concurrent_case_numbers_are_unique(database: Database, keys: Keys) -> None:
    async def one(n: int) -> str:
        async with database.unit_of_work() as s:
            done = await tickets.submit(
                s,
                submission(f"k{n}"),
                code_hash=keys.code_hash(str(n)),
                reporter_ref="r",
                db=database,  # as the bot does: on PostgreSQL, one autocommitting statement
            )
            return done.case_number

    numbers = await asyncio.gather(*(one(n) for n in range(8)))
    assert sorted(int(n.rsplit("-", 1)[1]) for n in numbers) == list(range(1, 9))


async def test_status_by_code_hash_and_history(database: Database, keys: Keys) -> None:
    async with database.unit_of_work() as s:
        done = await tickets.submit(
            s, submission(), code_hash=keys.code_hash("CODE1"), reporter_ref="r"
        )
    async with database.unit_of_work() as s:
        view = await tickets.status_by_code(s, keys.code_hash("CODE1"))
        missing = await tickets.status_by_code(s, keys.code_hash("CODE2"))
        kinds = list(
            await s.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == done.ticket_id))
        )
        links = await s.scalar(select(func.count()).select_from(ReporterLink))
    assert view is not None and missing is None
    assert (view.case_number, view.status, view.timezone) == (
        done.case_number,
        "baru",
        "Asia/Jakarta",
    )
    assert sorted(kinds) == ["created", "routed"]
    assert links == 1


async def test_update_ids_are_claimed_once(database: Database) -> None:
    async with database.unit_of_work() as s:
        assert await conversations.claim_update(s, 42) is True
    async with database.unit_of_work() as s:
        assert await conversations.claim_update(s, 42) is False
        assert await conversations.claim_update(s, 43) is True


async def test_the_store_peeks_then_claims_and_saves_in_one_step(
    database: Database, keys: Keys
) -> None:
    store = open_store(database)
    assert await store.peek(21, "ref") == Peeked(False, None)
    assert await store.claim_and_save(21, "ref", {"n": 1}) is True
    assert await store.peek(22, "ref") == Peeked(False, {"n": 1})
    assert await store.peek(21, "ref") == Peeked(True, {"n": 1})
    # Claimed meanwhile (a redelivery racing): nothing is written.
    assert await store.claim_and_save(21, "ref", {"n": 99}) is False
    async with database.unit_of_work() as s:
        assert await conversations.load_state(s, "ref") == {"n": 1}
        assert await conversations.claim_update(s, 21) is False
    await store.save_now("ref", {"n": 2})
    # Without an update id (the terminal shell) the state is simply saved.
    assert await store.claim_and_save(None, "shell", {"n": 3}) is True
    assert await store.peek(None, "shell") == Peeked(False, {"n": 3})
    from storage.crypto import configure_keys

    configure_keys(Keys.derive("another-secret-key-entirely-0123456789"))
    try:
        assert await store.peek(21, "ref") == Peeked(True, None)  # unreadable: start afresh
    finally:
        configure_keys(keys)
    assert await store.peek(23, "ref") == Peeked(False, {"n": 2})


async def test_a_transaction_claims_its_update_and_rolls_back_with_its_work(
    database: Database,
) -> None:
    store = open_store(database)
    async with conversations.transaction(database, 7) as s:
        await conversations.save_state(s, "ref", {"n": 1})
    with pytest.raises(conversations.AlreadyHandled):
        async with conversations.transaction(database, 7):
            pass
    # A failed update rolls its claim back with its work: the redelivery is handled afresh.
    with pytest.raises(RuntimeError):
        async with conversations.transaction(database, 9) as s:
            await conversations.save_state(s, "ref", {"n": 2})
            raise RuntimeError("the flow failed")
    assert await store.peek(9, "ref") == Peeked(False, {"n": 1})


async def test_the_status_read_outside_a_transaction_sees_a_waiting_question(
    database: Database, keys: Keys
) -> None:
    store = open_store(database)
    async with database.unit_of_work() as s:
        done = await tickets.submit(
            s, submission(), code_hash=keys.code_hash("K1"), reporter_ref="r", db=database
        )
    view, waiting = await store.status_now(keys.code_hash("K1"))
    assert view is not None and not waiting
    assert (view.case_number, view.status, view.upt_name) == (
        done.case_number,
        "baru",
        done.upt_name,
    )
    assert view.changed_at.replace(tzinfo=None) <= datetime.now(UTC).replace(tzinfo=None)
    async with database.unit_of_work() as s:
        followup.add_message(s, done.ticket_id, "question", "Di mana?", None)
    assert (await store.status_now(keys.code_hash("K1")))[1] is True
    assert await store.status_now(keys.code_hash("nope")) == (None, False)


async def test_conversation_state_roundtrip_and_upsert(database: Database) -> None:
    async with database.unit_of_work() as s:
        assert await conversations.load_state(s, "ref") is None
        await conversations.save_state(s, "ref", {"mode": "report", "n": 1})
    async with database.unit_of_work() as s:
        await conversations.save_state(s, "ref", {"mode": "report", "n": 2})
    async with database.unit_of_work() as s:
        assert await conversations.load_state(s, "ref") == {"mode": "report", "n": 2}
        await conversations.drop_state(s, "ref")
        assert await conversations.load_state(s, "ref") is None


async def test_words_and_codes_are_not_stored_in_plaintext(database: Database, keys: Keys) -> None:
    async with database.unit_of_work() as s:
        await tickets.submit(
            s,
            submission(narrative="RAHASIA-NARASI"),
            code_hash=keys.code_hash("K"),
            reporter_ref=keys.reporter_ref(987654321),
        )
        await conversations.save_state(s, keys.reporter_ref(987654321), {"secret": "RAHASIA-DRAFT"})
    async with database.engine.connect() as conn:
        narrative = (await conn.execute(text("SELECT narrative FROM tickets"))).scalar_one()
        state = (await conn.execute(text("SELECT state FROM drafts"))).scalar_one()
        refs = (await conn.execute(text("SELECT reporter_ref FROM reporter_links"))).scalars().all()
    assert b"RAHASIA" not in bytes(narrative) and b"RAHASIA" not in bytes(state)
    assert "987654321" not in " ".join(refs)


async def test_a_wrong_key_cannot_read_state_and_starts_afresh(
    database: Database, keys: Keys
) -> None:
    from storage.crypto import configure_keys

    async with database.unit_of_work() as s:
        await conversations.save_state(s, "ref", {"a": 1})
    configure_keys(Keys.derive("another-secret-key-entirely-0123456789"))
    try:
        async with database.unit_of_work() as s:
            assert await conversations.load_state(s, "ref") is None
    finally:
        configure_keys(keys)
