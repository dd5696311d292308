"""One account must never slow anyone else down (issue 12, item 1): a flooded chat, a burst
from one person, and the per-account message limit, through the real runtime."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import select

from storage.crypto import Keys
from storage.db import Database
from storage.models import Ticket
from tests.fakebot import FakeBotAPI, FakeUser
from tests.handlers.test_reporting_e2e import report_until_summary, submit
from tests.handlers.test_staff_e2e import GROUP, connected_coordinator, reported_in_group
from tests.handlers.walks import start_report, words
from tests.support import RunningBot, bot_running, until

RETRY_AFTER = 30  # what Telegram tells the flooder's chat to wait
BURST = 40


async def answered_in(user: FakeUser, text: str) -> float:
    """Seconds until the bot's first answer to `text`."""
    started = time.monotonic()
    await user.ask(text)
    return time.monotonic() - started


async def acked_in(user: FakeUser, label: str) -> float:
    """Seconds until a staff button press in the group is acknowledged."""
    before = len(user.callback_answers)
    started = time.monotonic()
    await user.press_in(GROUP, label)
    await until(lambda: len(user.callback_answers) > before, RETRY_AFTER)
    return time.monotonic() - started


async def test_a_flooded_chat_holds_up_no_other_reporter_and_no_staff_press(
    running_bot: RunningBot, capsys: pytest.CaptureFixture[str]
) -> None:
    api = running_bot.api
    koor = await connected_coordinator(running_bot)
    await reported_in_group(api.user(5551000), api, "Masyarakat umum")
    calm_start = await answered_in(api.user(5551001), "/start")
    calm_press = await acked_in(koor, "Ambil")

    flooder = api.user(5559999)
    api.flood(flooder.id, RETRY_AFTER)
    flood_began = time.monotonic()
    for n in range(BURST):
        await flooder.send(f"halo {n}")
    flood_start = await answered_in(api.user(5551002), "/start")
    flood_press = await acked_in(koor, "Ubah status")
    waited = time.monotonic() - flood_began

    with capsys.disabled():
        print(
            f"\nflood test: another reporter's /start answered in {calm_start:.3f} s calm, "
            f"{flood_start:.3f} s during a {BURST}-message flood (429, retry_after="
            f"{RETRY_AFTER}); a staff press acknowledged in {calm_press:.3f} s calm, "
            f"{flood_press:.3f} s during it"
        )
    # Both came long before the flooder's retry_after was over.
    assert waited < RETRY_AFTER / 3
    assert not [m for m in api.history(flooder.id) if m.from_bot]  # Telegram refused them all

    # Once Telegram lets the chat through again, the flooder still hears an answer.
    api.unflood(flooder.id)
    await until(lambda: any(m.from_bot for m in api.history(flooder.id)), RETRY_AFTER + 10)


async def test_past_the_message_limit_one_kind_answer_and_the_draft_is_kept(
    fake_api: FakeBotAPI, database: Database, keys: Keys, bot_runtime: str
) -> None:
    async with bot_running(
        fake_api, database, keys, bot_runtime=bot_runtime, messages_per_minute=6
    ) as bot:
        siti = bot.api.user(5552001)
        await start_report(siti, "role.umum")  # /start, Lapor, the role: 3 of 6
        too_fast = words("conv.too_fast", "id")

        def told() -> int:
            return sum(m.plain == too_fast for m in bot.api.history(siti.id) if m.from_bot)

        for text in ("a", "b", "c", "d"):  # "d" is the 7th update this minute
            await siti.send(text)
        await until(lambda: told() == 1)
        await siti.send("e")  # told once a minute, not once a message
        await asyncio.sleep(1.0)
        assert told() == 1
        state = (await bot.service.store.peek(None, bot.keys.reporter_ref(siti.id))).state
        assert state is not None and state["report"]["step"] == "danger"

        # In English for someone whose Telegram is in English.
        sam = bot.api.user(5552002, language_code="en")
        for _ in range(7):
            await sam.send("/start")
        english = words("conv.too_fast", "en")
        await until(lambda: any(m.plain == english for m in bot.api.history(sam.id)))


async def test_past_the_daily_report_limit_the_draft_waits_even_across_a_restart(
    fake_api: FakeBotAPI, database: Database, keys: Keys, bot_runtime: str
) -> None:
    """Issue 12, item 5: REPORTS_PER_DAY, kept with the person's conversation."""
    siti = fake_api.user(5552101)
    async with bot_running(fake_api, database, keys, bot_runtime=bot_runtime, reports_per_day=2):
        for _ in range(2):
            await report_until_summary(siti, "Masyarakat umum")
            await submit(siti)
        await report_until_summary(siti, "Masyarakat umum")
        limited, summary = await siti.tap("Kirim", n=2)
        assert limited.plain.startswith(words("report.daily_limit", "id")[:60])
        assert "SAPA 129" in limited.plain and "24 jam" in limited.plain
        assert summary.buttons[0] == ["Kirim"]  # the draft waits at its summary
    async with bot_running(fake_api, database, keys, bot_runtime=bot_runtime, reports_per_day=2):
        [again, _] = await siti.tap("Kirim", n=2)
        assert again.plain == limited.plain
    async with database.unit_of_work() as s:
        assert len((await s.scalars(select(Ticket))).all()) == 2
