"""The outbox delivery worker against the fake Bot API: order, pacing, errors, a crash."""

from __future__ import annotations

import asyncio
import logging
import random
import re
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import make_client
from bot.delivery import DeliveryWorker
from bot.settings import Settings
from flows.core import N_, Choice, Reply
from flows.outbound import Delete, Edit, File, Op, Photo, RemoveMember, Send
from handlers.i18n import Catalogs
from handlers.render import Renderer
from handlers.telegram.client import BotApi
from storage import outbox, tickets
from storage.crypto import Keys
from storage.db import Database
from storage.models import OutboxMessage, Ticket, TicketCard, TicketEvent, Upt, utcnow
from tests.fakebot import FakeBotAPI
from tests.support import TEST_SECRET

GROUP = -4001  # a UPT's Telegram group
RENDERER = Renderer(Catalogs("id"))


class ManualClock:
    """Time that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def fast_clock(speed: float) -> Callable[[], datetime]:
    """Real time running `speed` times faster: retry_after=1 lasts 1/speed s."""
    start, t0 = utcnow(), time.monotonic()
    return lambda: start + timedelta(seconds=(time.monotonic() - t0) * speed)


def settings_for(api: FakeBotAPI, token: str | None = None, url: str | None = None) -> Settings:
    return Settings(
        bot_token=token or api.token,
        telegram_api_url=url or api.url,
        secret_key=TEST_SECRET,
        _env_file=None,
    )


@pytest.fixture
async def bot(fake_api: FakeBotAPI) -> AsyncIterator[BotApi]:
    bot = make_client(settings_for(fake_api))
    try:
        yield bot
    finally:
        await bot.close()


async def new_ticket(db: Database, keys: Keys, draft: str = "d1") -> tuple[int, int]:
    """A submitted ticket: (ticket id, the UPT it was routed to)."""
    sub = tickets.Submission(
        draft_key=draft,
        reporter_role="umum",
        category="prostitusi_online",
        urgent=False,
        region_code="35.15",
        district_code=None,
        occurred="hari_ini",
        narrative="Akun @contoh menawarkan anak di MiChat",
        details={},
        locale="id",
    )
    async with db.unit_of_work() as s:
        done = await tickets.submit(s, sub, code_hash=keys.code_hash(draft), reporter_ref="r")
        ticket_upt = (await s.get_one(Ticket, done.ticket_id)).upt_id
    return done.ticket_id, ticket_upt


def say(text: str, *buttons: str) -> Reply:
    """A reply whose text is `text` as it stands (no catalog has it), with one row of
    buttons."""
    return Reply(
        text, choices=(tuple(Choice(f"b:{b}", literal=b) for b in buttons),) if buttons else ()
    )


async def put(
    db: Database,
    keys: Keys,
    chat_id: int,
    op: Op | str,
    *,
    purpose: str = "staff",  # a reporter's "notice" forgets its chat once sent
    ticket: tuple[int, int] | None = None,
    locale: str = "id",
) -> int:
    async with db.unit_of_work() as s:
        row = await outbox.enqueue(
            s,
            keys,
            chat_id=chat_id,
            op=Send((say(op),)) if isinstance(op, str) else op,
            purpose=purpose,
            locale=locale,
            ticket_id=ticket[0] if ticket else None,
            upt_id=ticket[1] if ticket else None,
            is_group=chat_id < 0,
        )
        await s.flush()
        return row.id


async def rows(db: Database) -> list[OutboxMessage]:
    async with db.unit_of_work() as s:
        return list((await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def pending(db: Database) -> int:
    async with db.unit_of_work() as s:
        return await outbox.pending_count(s)


async def drain(worker: DeliveryWorker, db: Database, clock: ManualClock, step: float = 1.0) -> int:
    """Run passes, moving the clock `step` s each time, until nothing is pending."""
    attempted = 0
    for _ in range(500):
        if not await pending(db):
            return attempted
        attempted += await worker.run_once()
        clock.advance(step)
    raise AssertionError("the outbox did not drain")


def texts(api: FakeBotAPI, chat_id: int) -> list[str]:
    return [m.plain for m in api.history(chat_id) if m.from_bot]


def our_logs(caplog: pytest.LogCaptureFixture) -> str:
    """What the bot and aiogram logged (rendered, with tracebacks)."""
    records = [r for r in caplog.records if r.name.startswith(("bot", "aiogram"))]
    return "\n".join(logging.Formatter().format(r) for r in records)


# --------------------------------------------------------------------------------------
# Delivery, order, cards and edits
# --------------------------------------------------------------------------------------


async def test_rows_go_out_in_order_per_chat_and_cards_are_remembered(
    database: Database, keys: Keys, fake_api: FakeBotAPI, bot: BotApi
) -> None:
    a, b = fake_api.user(501), fake_api.user(502)
    fake_api.group(GROUP)
    ticket = await new_ticket(database, keys)
    card = Send((say("<b>Laporan baru</b>", "Ambil"),))
    await put(database, keys, a.id, "A1")
    card_row = await put(database, keys, GROUP, card, purpose="card", ticket=ticket)
    await put(database, keys, b.id, Send((say("B1"),), force_reply=True))
    await put(database, keys, a.id, "A2")
    await put(database, keys, GROUP, "G2", ticket=ticket)
    await put(database, keys, b.id, "B2")
    await put(database, keys, a.id, "A3")

    clock = ManualClock()
    worker = DeliveryWorker(database, keys, bot, RENDERER, clock=clock)
    assert await drain(worker, database, clock) == 7

    assert texts(fake_api, a.id) == ["A1", "A2", "A3"]
    assert texts(fake_api, b.id) == ["B1", "B2"]
    assert texts(fake_api, GROUP) == ["Laporan baru", "G2"]
    assert fake_api.chat(GROUP)[0].buttons == [["Ambil"]]
    done = await rows(database)
    assert {r.status for r in done} == {"sent"}
    # Each chat numbers its own messages from 1, in the order they arrived.
    by_chat: dict[str, list[int | None]] = {}
    for r in done:
        by_chat.setdefault(r.chat_id, []).append(r.result_message_id)
    assert sorted(by_chat.values()) == [[1, 2], [1, 2], [1, 2, 3]]
    async with database.unit_of_work() as s:
        cards = (await s.scalars(select(TicketCard))).all()
        card_message = (await s.get_one(OutboxMessage, card_row)).result_message_id
    assert [(c.ticket_id, c.upt_id, c.chat_id, c.message_id) for c in cards] == [
        (ticket[0], ticket[1], GROUP, card_message)
    ]


async def test_an_edit_waits_for_its_card_then_edits_that_message(
    sqlite_db: Database, keys: Keys, fake_api: FakeBotAPI, bot: BotApi
) -> None:
    fake_api.group(GROUP)
    ticket = await new_ticket(sqlite_db, keys)
    await put(sqlite_db, keys, GROUP, "Kartu v1", purpose="card", ticket=ticket)
    edit = Edit(say("Kartu v2: diambil", "Ambil"))
    for _ in range(2):  # the second is a no-op: "message is not modified" counts as sent
        await put(sqlite_db, keys, GROUP, edit, purpose="card_edit", ticket=ticket)
    clock = ManualClock()
    worker = DeliveryWorker(sqlite_db, keys, bot, RENDERER, clock=clock)

    assert await worker.run_once() == 1
    card, first, second = await rows(sqlite_db)
    assert (card.status, first.status, second.status) == ("sent", "pending", "pending")
    assert fake_api.chat(GROUP)[0].plain == "Kartu v1"

    clock.advance(1)
    await drain(worker, sqlite_db, clock)
    [message] = fake_api.chat(GROUP)
    assert (message.plain, message.edits, message.buttons) == (
        "Kartu v2: diambil",
        ["Kartu v1"],
        [["Ambil"]],
    )
    assert [c.params["message_id"] for c in fake_api.calls_of("editMessageText")] == [1, 1]
    assert [c.status for c in fake_api.calls_of("editMessageText")] == [200, 400]
    card, first, second = await rows(sqlite_db)
    assert [r.status for r in (first, second)] == ["sent", "sent"]
    assert first.result_message_id == second.result_message_id == card.result_message_id


async def test_an_edit_whose_card_failed_does_not_block_the_group(
    sqlite_db: Database, keys: Keys, fake_api: FakeBotAPI, bot: BotApi
) -> None:
    fake_api.group(GROUP)
    ticket = await new_ticket(sqlite_db, keys)
    fake_api.fail("sendMessage", status=400, description="Bad Request: message is too long")
    await put(sqlite_db, keys, GROUP, "Kartu", purpose="card", ticket=ticket)
    await put(sqlite_db, keys, GROUP, Edit(say("Kartu v2")), purpose="card_edit", ticket=ticket)
    await put(sqlite_db, keys, GROUP, "Kasus lain")
    clock = ManualClock()
    await drain(DeliveryWorker(sqlite_db, keys, bot, RENDERER, clock=clock), sqlite_db, clock)
    assert [(r.status, r.error) for r in await rows(sqlite_db)] == [
        ("failed", "TelegramBadRequest: Bad Request: message is too long"),
        ("failed", "no card to edit"),
        ("sent", None),
    ]
    assert texts(fake_api, GROUP) == ["Kasus lain"]


async def test_each_operation_is_rendered_when_sent_in_the_readers_language(
    database: Database, keys: Keys, fake_api: FakeBotAPI, bot: BotApi
) -> None:
    """A row keeps what to say; the words are chosen when it goes out, in the row's locale."""
    siti, sam = fake_api.user(701), fake_api.user(702)
    fake_api.group(GROUP)
    unclaimed = Send((Reply(N_("card.unclaimed")),))
    await put(database, keys, siti.id, unclaimed, locale="id")
    await put(database, keys, sam.id, unclaimed, locale="en")
    await put(database, keys, GROUP, "Salah kirim")
    await put(database, keys, GROUP, Delete(1))
    await put(database, keys, GROUP, Photo("AgACAgUAAxkBAAIbukti", say("Bukti <b>1</b>")))
    await put(database, keys, GROUP, File("BQACAgUAAxkBAAIekspor", say("Ekspor November")))
    await put(database, keys, GROUP, RemoveMember(880001))
    clock = ManualClock()
    await drain(DeliveryWorker(database, keys, bot, RENDERER, clock=clock), database, clock)

    assert texts(fake_api, siti.id) == ["belum ada (tekan Ambil)"]
    assert texts(fake_api, sam.id) == ["nobody yet (press Take)"]
    gone, photo, document = fake_api.history(GROUP)
    assert fake_api.chat(GROUP) == [photo, document]
    assert gone.deleted and gone.plain == "Salah kirim"
    assert (photo.kind, photo.plain, photo.protected) == ("photo", "Bukti 1", True)
    assert photo.media[0]["file_id"] == "AgACAgUAAxkBAAIbukti"
    assert (document.kind, document.plain, document.protected) == (
        "document",
        "Ekspor November",
        True,
    )
    assert [
        (c.method, c.params["user_id"]) for c in fake_api.calls if "ChatMember" in c.method
    ] == [
        ("banChatMember", 880001),
        ("unbanChatMember", 880001),
    ]
    assert {r.status for r in await rows(database)} == {"sent"}


async def test_a_row_that_cannot_be_read_fails_without_blocking_its_chat(
    sqlite_db: Database, keys: Keys, fake_api: FakeBotAPI, bot: BotApi
) -> None:
    u = fake_api.user(711)
    broken = await put(sqlite_db, keys, u.id, "rusak")
    await put(sqlite_db, keys, u.id, "berikutnya")
    async with sqlite_db.unit_of_work() as s:
        await s.execute(
            update(OutboxMessage).where(OutboxMessage.id == broken).values(payload={"op": {}})
        )
    clock = ManualClock()
    await drain(DeliveryWorker(sqlite_db, keys, bot, RENDERER, clock=clock), sqlite_db, clock)
    assert texts(fake_api, u.id) == ["berikutnya"]
    assert [(r.status, r.error) for r in await rows(sqlite_db)] == [
        ("failed", "unreadable send row"),
        ("sent", None),
    ]


async def test_a_new_urgent_card_goes_before_new_normal_cards_but_nothing_else(
    sqlite_db: Database, keys: Keys, fake_api: FakeBotAPI, bot: BotApi
) -> None:
    """A flood of reports must not push a real urgent card minutes back (issue 12, item 5)."""
    fake_api.group(GROUP)
    ticket = await new_ticket(sqlite_db, keys)
    for text in ("Biasa 1", "Biasa 2"):
        await put(sqlite_db, keys, GROUP, Send((say(text),)), purpose="card", ticket=ticket)
    await put(sqlite_db, keys, GROUP, "Catatan", purpose="relay", ticket=ticket)
    await put(sqlite_db, keys, GROUP, Send((say("Biasa 3"),)), purpose="card", ticket=ticket)
    async with sqlite_db.unit_of_work() as s:
        await outbox.enqueue(
            s,
            keys,
            chat_id=GROUP,
            op=Send((say("MENDESAK"),)),
            purpose="card",
            is_group=True,
            urgent=True,
        )
    clock = ManualClock()
    await drain(DeliveryWorker(sqlite_db, keys, bot, RENDERER, clock=clock), sqlite_db, clock)
    # The relay keeps its place; the urgent card overtakes only the normal card behind it.
    assert texts(fake_api, GROUP) == ["Biasa 1", "Biasa 2", "Catatan", "MENDESAK", "Biasa 3"]


# --------------------------------------------------------------------------------------
# Telegram's answers: 429, 5xx, network, 403, 401, supergroup migration
# --------------------------------------------------------------------------------------


async def test_retry_after_is_honoured_for_that_chat_only(
    sqlite_db: Database, keys: Keys, fake_api: FakeBotAPI, bot: BotApi
) -> None:
    u, v = fake_api.user(601), fake_api.user(602)
    fake_api.fail("sendMessage", status=429, retry_after=30)
    for chat, text in ((u.id, "U1"), (u.id, "U2"), (v.id, "V1")):
        await put(sqlite_db, keys, chat, text)
    clock = ManualClock()
    worker = DeliveryWorker(sqlite_db, keys, bot, RENDERER, clock=clock)

    assert await worker.run_once() == 1  # U1 gets 429; everything pauses briefly
    first = (await rows(sqlite_db))[0]
    assert (first.status, first.attempts, first.error) == ("pending", 1, "429 retry after 30s")
    assert await worker.run_once() == 0

    clock.advance(2)
    assert await worker.run_once() == 1  # V1 is not held up by U's pause
    assert texts(fake_api, v.id) == ["V1"]
    for _ in range(3):  # U is left alone until its retry_after is over
        clock.advance(9)
        assert await worker.run_once() == 0
    assert len(fake_api.calls_of("sendMessage")) == 2
    clock.advance(1)  # 30 s after the 429
    assert await worker.run_once() == 1
    await drain(worker, sqlite_db, clock)
    assert texts(fake_api, u.id) == ["U1", "U2"]


async def test_server_errors_back_off_exponentially(
    sqlite_db: Database, keys: Keys, fake_api: FakeBotAPI, bot: BotApi
) -> None:
    u = fake_api.user(611)
    fake_api.fail("sendMessage", status=502, description="Bad Gateway", times=2)
    await put(sqlite_db, keys, u.id, "halo")
    clock = ManualClock()
    worker = DeliveryWorker(sqlite_db, keys, bot, RENDERER, clock=clock)

    assert await worker.run_once() == 1  # 502: retry in 1 s ± 25 %
    clock.advance(0.5)
    assert await worker.run_once() == 0
    clock.advance(0.8)
    assert await worker.run_once() == 1  # 502 again: retry in 2 s ± 25 %
    clock.advance(1.4)
    assert await worker.run_once() == 0
    clock.advance(1.2)
    assert await worker.run_once() == 1
    [row] = await rows(sqlite_db)
    assert (row.status, row.attempts, row.result_message_id) == ("sent", 3, 1)
    assert texts(fake_api, u.id) == ["halo"]


async def test_a_flood_wait_is_not_a_backoff_step(
    sqlite_db: Database, keys: Keys, fake_api: FakeBotAPI, bot: BotApi
) -> None:
    """Three 429s, then a 502: the row waits each retry_after, then 1 s (not 2**3 s)."""
    u = fake_api.user(612)
    fake_api.fail("sendMessage", status=429, retry_after=2, times=3)
    fake_api.fail("sendMessage", status=502, description="Bad Gateway")
    await put(sqlite_db, keys, u.id, "halo")
    clock = ManualClock()
    worker = DeliveryWorker(sqlite_db, keys, bot, RENDERER, clock=clock)

    for _ in range(3):
        assert await worker.run_once() == 1  # 429
        clock.advance(1.9)
        assert await worker.run_once() == 0  # its retry_after is not over
        clock.advance(0.1)
    assert await worker.run_once() == 1  # 502: the first back-off step, 1 s ± 25 %
    clock.advance(1.3)
    assert await worker.run_once() == 1
    [row] = await rows(sqlite_db)
    assert (row.status, row.attempts) == ("sent", 5)
    assert [c.status for c in fake_api.calls_of("sendMessage")] == [429, 429, 429, 502, 200]


async def test_network_errors_back_off(
    sqlite_db: Database, keys: Keys, fake_api: FakeBotAPI
) -> None:
    # Nothing listens on port 9 of localhost: every request fails to connect.
    offline = make_client(settings_for(fake_api, url="http://127.0.0.1:9"))
    try:
        await put(sqlite_db, keys, 621, "halo")
        clock = ManualClock()
        worker = DeliveryWorker(sqlite_db, keys, offline, RENDERER, clock=clock)
        assert await worker.run_once() == 1
        [row] = await rows(sqlite_db)
        assert (row.status, row.attempts) == ("pending", 1)
        assert row.error is not None and row.error.startswith("TelegramNetworkError")
        assert await worker.run_once() == 0  # backing off, not hammering
    finally:
        await offline.close()


async def test_blocked_user_fails_permanently_records_an_event_and_alerts(
    sqlite_db: Database, keys: Keys, fake_api: FakeBotAPI, bot: BotApi
) -> None:
    u = fake_api.user(631)
    u.blocked = True
    ticket = await new_ticket(sqlite_db, keys)
    row_id = await put(sqlite_db, keys, u.id, "Kabar kasus", ticket=ticket)
    alerted: list[tuple[int, str]] = []

    async def alert_next_level(session: AsyncSession, row: OutboxMessage) -> None:
        alerted.append((row.id, row.status))
        # Same unit of work: what the hook writes commits with the failure.
        session.add(TicketEvent(ticket_id=row.ticket_id, kind="alerted", upt_id=row.upt_id))

    worker = DeliveryWorker(sqlite_db, keys, bot, RENDERER, on_permanent_failure=alert_next_level)
    assert await worker.run_once() == 1
    assert alerted == [(row_id, "failed")]
    [row] = await rows(sqlite_db)
    assert (row.status, row.error) == (
        "failed",
        "TelegramForbiddenError: Forbidden: bot was blocked by the user",
    )
    async with sqlite_db.unit_of_work() as s:
        events = (
            await s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket[0]))
        ).all()
    assert [(e.kind, e.upt_id) for e in events if e.kind in ("delivery_failed", "alerted")] == [
        ("delivery_failed", ticket[1]),
        ("alerted", ticket[1]),
    ]
    assert await worker.run_once() == 0  # never retried


async def test_a_failing_alert_still_settles_the_row(
    sqlite_db: Database, keys: Keys, fake_api: FakeBotAPI, bot: BotApi
) -> None:
    fake_api.user(632).blocked = True
    await put(sqlite_db, keys, 632, "x")

    async def broken(session: AsyncSession, row: OutboxMessage) -> None:
        raise RuntimeError("alerting is down")

    worker = DeliveryWorker(sqlite_db, keys, bot, RENDERER, on_permanent_failure=broken)
    assert await worker.run_once() == 1
    assert [r.status for r in await rows(sqlite_db)] == ["failed"]  # not resent forever


async def test_a_refused_token_leaves_rows_alone(
    sqlite_db: Database, keys: Keys, fake_api: FakeBotAPI
) -> None:
    fake_api.user(641)
    await put(sqlite_db, keys, 641, "a")
    await put(sqlite_db, keys, 642, "b")
    wrong = make_client(settings_for(fake_api, token="999:WRONG-token"))
    try:
        worker = DeliveryWorker(sqlite_db, keys, wrong, RENDERER)
        assert await worker.run_once() == 1  # the pass stops at the first 401
        assert await worker.run_once() == 0  # and sending pauses
    finally:
        await wrong.close()
    assert [(r.status, r.attempts, r.error) for r in await rows(sqlite_db)] == [
        ("pending", 0, None),
        ("pending", 0, None),
    ]


async def test_group_upgraded_to_supergroup_is_followed(
    sqlite_db: Database,
    keys: Keys,
    fake_api: FakeBotAPI,
    bot: BotApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    new = -1001234567890
    fake_api.group(GROUP)
    fake_api.migrate_group(GROUP, new)
    ticket = await new_ticket(sqlite_db, keys)
    async with sqlite_db.unit_of_work() as s:
        await s.execute(update(Upt).where(Upt.id == ticket[1]).values(telegram_chat_id=GROUP))
    await put(sqlite_db, keys, GROUP, "Kartu", purpose="card", ticket=ticket)
    await put(sqlite_db, keys, GROUP, "Catatan", ticket=ticket)
    clock = ManualClock()
    await drain(DeliveryWorker(sqlite_db, keys, bot, RENDERER, clock=clock), sqlite_db, clock)

    assert texts(fake_api, new) == ["Kartu", "Catatan"]
    assert texts(fake_api, GROUP) == []
    migrated = [c for c in fake_api.calls_of("sendMessage") if c.status == 400]
    assert migrated[0].response == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: group chat was upgraded to a supergroup chat",
        "parameters": {"migrate_to_chat_id": new},
    }
    async with sqlite_db.unit_of_work() as s:
        assert (await s.get_one(Upt, ticket[1])).telegram_chat_id == new
        assert [c.chat_id for c in (await s.scalars(select(TicketCard))).all()] == [new]
    assert {(r.status, r.chat_id, r.chat_key) for r in await rows(sqlite_db)} == {
        ("sent", str(new), keys.chat_key(new))
    }
    logged = our_logs(caplog)
    assert "supergroup" in logged
    assert str(GROUP) not in logged and str(new)[1:] not in logged and "Kartu" not in logged


# --------------------------------------------------------------------------------------
# Pacing
# --------------------------------------------------------------------------------------


async def test_group_pacing_allows_twenty_a_minute_without_holding_up_others(
    sqlite_db: Database, keys: Keys, fake_api: FakeBotAPI, bot: BotApi
) -> None:
    fake_api.group(GROUP)
    u = fake_api.user(651)
    for i in range(25):
        await put(sqlite_db, keys, GROUP, f"G{i}")
    for i in range(3):
        await put(sqlite_db, keys, u.id, f"U{i}")
    clock = ManualClock()
    worker = DeliveryWorker(sqlite_db, keys, bot, RENDERER, clock=clock, per_group_per_minute=20)

    assert await worker.run_once() == 2  # G0 and U0
    assert await worker.run_once() == 1  # same instant: G1, while U is held to 1/s
    for _ in range(59):
        clock.advance(1)
        await worker.run_once()
    assert len(texts(fake_api, GROUP)) == 20  # the first minute
    assert texts(fake_api, u.id) == ["U0", "U1", "U2"]
    clock.advance(1)
    assert await worker.run_once() == 1  # a minute after G0
    assert len(texts(fake_api, GROUP)) == 21


async def test_overall_pacing(
    sqlite_db: Database, keys: Keys, fake_api: FakeBotAPI, bot: BotApi
) -> None:
    for user_id in range(661, 666):
        fake_api.user(user_id)
        await put(sqlite_db, keys, user_id, "halo")
    clock = ManualClock()
    worker = DeliveryWorker(sqlite_db, keys, bot, RENDERER, clock=clock, overall_per_second=2)
    assert await worker.run_once() == 2
    assert await worker.run_once() == 0
    clock.advance(1)
    assert await worker.run_once() == 2


# --------------------------------------------------------------------------------------
# The fault test: random 429s and 502s, and a crash between Telegram's accept and the commit
# --------------------------------------------------------------------------------------


MARKER = re.compile(r"#\d{3}")


async def test_random_faults_and_a_crash_lose_nothing_and_duplicate_at_most_in_flight(
    sqlite_db: Database,
    keys: Keys,
    fake_api: FakeBotAPI,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    started = time.monotonic()
    users = [fake_api.user(7000 + n).id for n in range(10)]
    groups = [-5001, -5002, -5003]
    for group in groups:
        fake_api.group(group)
    rng = random.Random(20240601)
    expected: dict[int, list[str]] = {chat: [] for chat in users + groups}
    async with sqlite_db.unit_of_work() as s:
        for i in range(200):
            chat = rng.choice(users + groups)
            marker = f"#{i:03d}"
            expected[chat].append(marker)
            await outbox.enqueue(
                s,
                keys,
                chat_id=chat,
                op=Send((say(f"Pesan uji {marker}"),)),
                purpose="notice",
                is_group=chat < 0,
            )

    fake_api.fail_randomly("sendMessage", {429: 0.2, 502: 0.05}, retry_after=1, seed=7)
    hold = fake_api.hold_answer("sendMessage", nth=60)
    # Pacing has its own tests; here it must only stay out of the way. The clock runs 50x
    # so retry_after=1 and the backoffs cost milliseconds.
    clock = fast_clock(50)

    def worker(bot: BotApi) -> DeliveryWorker:
        return DeliveryWorker(
            sqlite_db,
            keys,
            bot,
            RENDERER,
            clock=clock,
            overall_per_second=10_000,
            per_group_per_minute=100_000,
            per_private_chat_per_second=10_000,
            idle_poll_seconds=0.01,
        )

    first_bot, second_bot = make_client(settings_for(fake_api)), make_client(settings_for(fake_api))
    try:
        first = asyncio.create_task(worker(first_bot).run(asyncio.Event()))
        await asyncio.wait_for(hold.accepted.wait(), 15)
        # Telegram has applied the 60th send; the worker has not seen the answer: kill it.
        in_flight = [c for c in fake_api.calls_of("sendMessage") if c.status is None]
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        hold.release()
        assert hold.call is not None
        killed_text = hold.call.params["text"]

        stop = asyncio.Event()
        second = asyncio.create_task(worker(second_bot).run(stop))
        deadline = time.monotonic() + 20
        while await pending(sqlite_db):
            assert time.monotonic() < deadline, "the outbox did not drain"
            assert not second.done(), second
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(second, 5)
    finally:
        await first_bot.close()
        await second_bot.close()

    delivered = {chat: MARKER.findall(" ".join(texts(fake_api, chat))) for chat in expected}
    total = sum(len(markers) for markers in delivered.values())
    duplicates = total - 200
    calls = fake_api.calls_of("sendMessage")
    statuses = [c.status for c in calls]
    elapsed = time.monotonic() - started
    with capsys.disabled():
        print(
            f"\nfault test: 200 messages, 13 chats; {len(calls)} sendMessage calls "
            f"({statuses.count(429)}x 429, {statuses.count(502)}x 502); "
            f"{len(in_flight)} send(s) in flight at the kill; {duplicates} duplicate(s); "
            f"{elapsed:.1f} s"
        )

    assert len(in_flight) == 1  # one at a time, so a crash can cost at most one duplicate
    assert statuses.count(429) > 20 and statuses.count(502) > 3  # the faults really happened
    assert duplicates <= len(in_flight)
    assert duplicates == 1  # the killed send was accepted, never recorded, so sent again
    for chat, markers in delivered.items():
        assert sorted(set(markers)) == sorted(expected[chat])  # nothing lost
        first_seen = list(dict.fromkeys(markers))  # drop the repeat, keep first arrival
        assert first_seen == expected[chat]  # per-chat order
        for marker in set(markers):
            if markers.count(marker) > 1:
                assert f"Pesan uji {marker}" == killed_text
                assert markers.count(marker) == 2
    assert {r.status for r in await rows(sqlite_db)} == {"sent"}  # none failed
    assert fake_api.server_errors == []
    assert elapsed < 20
    logged = our_logs(caplog)
    assert "429" in logged  # it did log, yet names no chat and quotes no text
    assert "Pesan" not in logged
    assert not any(str(chat).lstrip("-") in logged for chat in expected)
