"""SLA escalation: unclaimed tickets reach the province, then the national channel, once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text, update

from bot.sla import EscalationWorker
from handlers.casework.announce import Announcer, announce_new_ticket
from storage import escalation, tickets
from storage import owners as owners_store
from storage import staff as staff_store
from storage.crypto import Keys
from storage.db import Database
from storage.models import OutboxMessage, Staff, Ticket, TicketEvent, TicketOwner, Upt, utcnow
from storage.places import PlaceIndex
from tests.fakebot import BotMessage, FakeBotAPI
from tests.support import RunningBot, submission, until

KAB_GROUP, PROV_GROUP, NATIONAL_GROUP = -1003515, -100035, -100129
WIB = 7


def wib(text: str) -> datetime:
    return (datetime.fromisoformat(text) - timedelta(hours=WIB)).replace(tzinfo=UTC)


def bot_messages(api: FakeBotAPI, chat_id: int) -> list[BotMessage]:
    return [m for m in api.history(chat_id) if m.from_bot]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def announcer(keys: Keys) -> Announcer:
    return Announcer(keys, PlaceIndex.load())


async def directory(db: Database, *, kabkota: bool = True) -> dict[str, int]:
    """Sidoarjo's UPT (when asked), the East Java one and SAPA 129, each with a group."""
    async with db.unit_of_work() as s:
        if kabkota:
            s.add(
                Upt(
                    code="UPTD-PPA-3515",
                    name="UPTD PPA Kabupaten Sidoarjo",
                    level="kabkota",
                    region_code="35.15",
                    timezone="Asia/Jakarta",
                    telegram_chat_id=KAB_GROUP,
                )
            )
        for code, chat in (("UPTD-PPA-35", PROV_GROUP), ("SAPA-129", NATIONAL_GROUP)):
            await s.execute(update(Upt).where(Upt.code == code).values(telegram_chat_id=chat))
        await s.flush()
        rows = await s.execute(select(Upt.code, Upt.id).where(Upt.telegram_chat_id.is_not(None)))
        ids = {code: upt_id for code, upt_id in rows.all()}
    return {"kab": ids.get("UPTD-PPA-3515", 0), "prov": ids["UPTD-PPA-35"], "nat": ids["SAPA-129"]}


async def new_ticket(
    db: Database,
    keys: Keys,
    announcer: Announcer,
    created: datetime,
    *,
    urgent: bool = False,
    draft: str = "d1",
    region: str | None = "35.15",
) -> int:
    sub = submission(draft, region, urgent=urgent)
    async with db.unit_of_work() as s:
        done = await tickets.submit(s, sub, code_hash=keys.code_hash(draft), reporter_ref="r")
        done.ticket.created_at = created
        await announce_new_ticket(s, announcer, done.ticket, done.upt)
    return done.ticket_id


def worker(db: Database, keys: Keys, announcer: Announcer, clock: Clock) -> EscalationWorker:
    return EscalationWorker(db, keys, announcer, clock=clock)


async def cards(db: Database, ticket_id: int) -> Counter[int]:
    """Cards owed or sent, per UPT."""
    async with db.unit_of_work() as s:
        rows = await s.scalars(
            select(OutboxMessage.upt_id).where(
                OutboxMessage.ticket_id == ticket_id, OutboxMessage.purpose == "card"
            )
        )
        return Counter(int(u or 0) for u in rows)


async def owners(db: Database, ticket_id: int) -> dict[int, str]:
    async with db.unit_of_work() as s:
        rows = await s.execute(
            select(TicketOwner.upt_id, TicketOwner.kind).where(TicketOwner.ticket_id == ticket_id)
        )
        found = [(upt_id, kind) for upt_id, kind in rows.all()]
    assert len(found) == len({u for u, _ in found}), "an owner was added twice"
    return dict(found)


async def escalations(db: Database, ticket_id: int) -> list[int | None]:
    async with db.unit_of_work() as s:
        rows = await s.scalars(
            select(TicketEvent.upt_id)
            .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "escalated")
            .order_by(TicketEvent.id)
        )
        return list(rows)


async def level(db: Database, ticket_id: int) -> int:
    async with db.unit_of_work() as s:
        return (await s.get_one(Ticket, ticket_id)).escalation_level


async def test_an_unclaimed_ticket_goes_to_the_province_then_national(
    database: Database, keys: Keys, announcer: Announcer
) -> None:
    upt = await directory(database)
    # Friday 10:00 WIB; Monday 12 May 2025 is Vesak, so one working day ends Tuesday 10:00.
    t = await new_ticket(database, keys, announcer, wib("2025-05-09 10:00"))
    clock = Clock(wib("2025-05-12 10:00"))
    w = worker(database, keys, announcer, clock)
    assert await cards(database, t) == {upt["kab"]: 1}

    assert await w.run_once() == 0  # three days on, but only the weekend and a holiday
    clock.now = wib("2025-05-13 09:59:59")
    assert await w.run_once() == 0
    clock.now = wib("2025-05-13 10:00")
    assert await w.run_once() == 1
    assert await level(database, t) == 1
    assert await owners(database, t) == {upt["kab"]: "primary", upt["prov"]: "escalated"}
    assert await cards(database, t) == {upt["kab"]: 2, upt["prov"]: 1}  # reminded + announced
    assert await escalations(database, t) == [upt["prov"]]
    assert await w.run_once() == 0  # once per step

    clock.now = wib("2025-05-15 09:59")  # third working day: Tue, Wed, Thu
    assert await w.run_once() == 0
    clock.now = wib("2025-05-15 10:00")
    assert await w.run_once() == 1
    assert await level(database, t) == 2
    assert (await owners(database, t))[upt["nat"]] == "escalated"
    assert await cards(database, t) == {upt["kab"]: 2, upt["prov"]: 1, upt["nat"]: 1}
    assert await escalations(database, t) == [upt["prov"], upt["nat"]]
    clock.now += timedelta(days=30)
    assert await w.run_once() == 0

    # Staff of the province and of SAPA 129 may now act on it; the routed UPT still may.
    async with database.unit_of_work() as s:
        for upt_id in upt.values():
            assert await owners_store.owns(s, upt_id, t)


async def test_an_urgent_ticket_escalates_after_an_hour(
    database: Database, keys: Keys, announcer: Announcer
) -> None:
    upt = await directory(database)
    received = wib("2025-05-06 22:00")  # at night: national was told at once
    t = await new_ticket(database, keys, announcer, received, urgent=True)
    assert await cards(database, t) == {upt["kab"]: 1, upt["nat"]: 1}
    assert await escalations(database, t) == [upt["nat"]]
    clock = Clock(received + timedelta(seconds=3599))
    w = worker(database, keys, announcer, clock)
    assert await w.run_once() == 0
    clock.now = received + timedelta(seconds=3600)
    assert await w.run_once() == 1
    assert await cards(database, t) == {upt["kab"]: 2, upt["nat"]: 1, upt["prov"]: 1}
    assert await escalations(database, t) == [upt["nat"], upt["prov"]]

    # The national step finds SAPA 129 already on the ticket: no second card, no event.
    clock.now = wib("2025-05-09 22:00")
    assert await w.run_once() == 1
    assert await level(database, t) == 2
    assert await cards(database, t) == {upt["kab"]: 2, upt["nat"]: 1, upt["prov"]: 1}
    assert await escalations(database, t) == [upt["nat"], upt["prov"]]


async def test_a_claimed_ticket_never_escalates(
    sqlite_db: Database, keys: Keys, announcer: Announcer
) -> None:
    db = sqlite_db
    upt = await directory(db)
    created = wib("2025-05-06 09:00")
    claimed = await new_ticket(db, keys, announcer, created, draft="a")
    raced = await new_ticket(db, keys, announcer, created, draft="b")
    async with db.unit_of_work() as s:
        member = Staff(
            upt_id=upt["kab"],
            telegram_user_id=8001,
            display_name="Rina",
            role="koordinator",
            status="active",
        )
        s.add(member)
        await s.flush()
        ticket = await s.get_one(Ticket, claimed)
        ticket.claimed_by_id, ticket.status = member.id, "diterima"
    later = created + timedelta(days=30)

    # `raced` is claimed after the worker listed it: the compare-and-set refuses the step.
    async with db.unit_of_work() as s:
        due = await escalation.due_escalations(
            s, later, urgent_seconds=3600, normal_workdays=1, national_workdays=3
        )
    assert [(d.ticket_id, d.level, d.to_level) for d in due] == [(raced, 0, 2)]
    async with db.unit_of_work() as s:
        await s.execute(update(Ticket).where(Ticket.id == raced).values(claimed_by_id=member.id))
    async with db.unit_of_work() as s:
        assert await escalation.escalate(s, raced, 2, later) is None

    assert await worker(db, keys, announcer, Clock(later)).run_once() == 0
    for t in (claimed, raced):
        assert await level(db, t) == 0
        assert await escalations(db, t) == []
        assert await cards(db, t) == {upt["kab"]: 1}


async def test_a_late_worker_takes_both_steps_and_the_top_is_left_alone(
    sqlite_db: Database, keys: Keys, announcer: Announcer
) -> None:
    db = sqlite_db
    upt = await directory(db, kabkota=False)  # Sidoarjo's reports go to the province
    created = wib("2025-05-06 09:00")
    at_province = await new_ticket(db, keys, announcer, created, draft="p")
    at_national = await new_ticket(db, keys, announcer, created, draft="n", region=None)
    assert await owners(db, at_national) == {upt["nat"]: "primary"}

    assert await worker(db, keys, announcer, Clock(created + timedelta(days=30))).run_once() == 1
    # The province is its own step 1: reminded only. National is added in the same pass.
    assert await level(db, at_province) == 2
    assert await owners(db, at_province) == {upt["prov"]: "primary", upt["nat"]: "escalated"}
    assert await cards(db, at_province) == {upt["prov"]: 2, upt["nat"]: 1}
    assert await escalations(db, at_province) == [upt["prov"], upt["nat"]]
    assert (await level(db, at_national), await escalations(db, at_national)) == (0, [])


@pytest.fixture
async def second_process(database: Database, keys: Keys) -> AsyncIterator[Database]:
    """Another bot process: its own engine and connections on the same database."""
    kwargs = {}
    if not database.is_sqlite:
        async with database.unit_of_work() as s:
            schema = await s.scalar(text("select current_schema()"))
        kwargs = {"connect_args": {"server_settings": {"search_path": schema}}}
    other = Database(database.url, keys, **kwargs)
    try:
        yield other
    finally:
        await other.dispose()


async def test_two_processes_escalate_each_step_exactly_once(
    database: Database, second_process: Database, keys: Keys, announcer: Announcer
) -> None:
    upt = await directory(database)
    created = wib("2025-05-06 09:00")
    ids = [await new_ticket(database, keys, announcer, created, draft=f"d{i}") for i in range(12)]
    clock = Clock(created)
    one = worker(database, keys, announcer, clock)
    two = worker(second_process, keys, announcer, clock)

    for step_at, expected in ((wib("2025-05-07 09:00"), 1), (wib("2025-05-09 09:00"), 2)):
        clock.now = step_at
        done = 0
        for _ in range(3):  # a few rounds: later ones must find nothing left
            done += sum(await asyncio.gather(one.run_once(), two.run_once()))
        assert done == len(ids)
        for t in ids:
            assert await level(database, t) == expected
            assert await escalations(database, t) == [upt["prov"], upt["nat"]][:expected]
            assert await cards(database, t) == {
                upt["kab"]: 2,
                upt["prov"]: 1,
                **({upt["nat"]: 1} if expected == 2 else {}),
            }
            assert len(await owners(database, t)) == 1 + expected


async def test_the_province_group_gets_the_card_and_can_claim(
    running_bot: RunningBot, keys: Keys
) -> None:
    """Through the real runtime and the fake Bot API: escalated card → province claims it."""
    api: FakeBotAPI = running_bot.api
    app = running_bot.app
    for chat in (KAB_GROUP, PROV_GROUP, NATIONAL_GROUP):
        api.group(chat, "UPTD PPA")
    upt = await directory(running_bot.db)
    # Received now: a runtime that runs its own SLA worker on the real clock leaves it alone.
    created = utcnow()
    t = await new_ticket(running_bot.db, keys, app.announcer, created)
    app.wake()
    await until(lambda: any("Laporan PPA-" in m.plain for m in bot_messages(api, KAB_GROUP)))
    assert not bot_messages(api, PROV_GROUP)

    later = Clock(created + timedelta(days=30))
    sla = EscalationWorker(running_bot.db, keys, app.announcer, clock=later, wake=app.wake)
    assert await sla.run_once() == 1
    await until(lambda: any("Laporan PPA-" in m.plain for m in bot_messages(api, PROV_GROUP)))
    await until(lambda: any("Laporan PPA-" in m.plain for m in bot_messages(api, NATIONAL_GROUP)))
    await until(lambda: len(bot_messages(api, KAB_GROUP)) == 2)  # the reminder

    async with running_bot.db.unit_of_work() as s:
        token, _ = await staff_store.create_invite(s, keys, "UPTD-PPA-35", "koordinator")
    koor = api.user(8101, first_name="Dewi")
    await koor.ask(f"/start {token}")
    await koor.press_in(PROV_GROUP, "Ambil")
    async with running_bot.db.unit_of_work() as s:
        member = (await s.scalars(select(Staff).where(Staff.upt_id == upt["prov"]))).one()

    async def claimed() -> bool:
        async with running_bot.db.unit_of_work() as s:
            return (await s.get_one(Ticket, t)).claimed_by_id == member.id

    for _ in range(500):
        if await claimed():
            break
        await asyncio.sleep(0.02)
    assert await claimed()


async def test_a_rerouted_ticket_starts_its_clock_again(
    sqlite_db: Database, keys: Keys, announcer: Announcer
) -> None:
    db = sqlite_db
    await directory(db)
    created = wib("2025-05-06 09:00")
    moved = await new_ticket(db, keys, announcer, created)
    rerouted_at = created + timedelta(days=10)
    async with db.unit_of_work() as s:
        ticket = await s.get_one(Ticket, moved)
        ticket.sla_from_at = rerouted_at  # what Teruskan records
    for now, expected in (
        (rerouted_at + timedelta(hours=2), []),  # ten days old, but just re-routed
        (rerouted_at + timedelta(days=7), [(moved, 0, 2)]),  # overdue again, counted afresh
    ):
        async with db.unit_of_work() as s:
            due = await escalation.due_escalations(
                s, now, urgent_seconds=3600, normal_workdays=1, national_workdays=3
            )
        assert [(d.ticket_id, d.level, d.to_level) for d in due] == expected
