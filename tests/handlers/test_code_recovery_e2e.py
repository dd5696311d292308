"""A code the reporter was shown keeps working even when the bot died before recording that
it arrived (issue 12, item 9)."""

from __future__ import annotations

import asyncio
import contextlib
import re

from storage.crypto import Keys
from storage.db import Database
from tests.fakebot import FakeBotAPI
from tests.handlers.test_reporting_e2e import report_until_summary
from tests.support import RunningBot, bot_running, inbox_drained, start_bot

CODE = re.compile(r"Kode tiket Anda:\s*(?:<code>)?([0-9A-Z-]{14})")


async def kill(bot: RunningBot) -> None:
    """The process dies: nothing it was doing finishes, nothing more is recorded."""
    for task in {bot.task, *bot.runtime.edge.busy}:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    await bot.runtime.close()


async def test_a_code_shown_just_before_a_crash_still_answers_status(
    fake_api: FakeBotAPI, database: Database, keys: Keys, bot_runtime: str
) -> None:
    siti = fake_api.user(5551500)
    first = await start_bot(fake_api, database, keys, bot_runtime=bot_runtime)
    await report_until_summary(siti, "Masyarakat umum")
    # Nobody is connected in Jawa Timur yet: the code message is the next one sent.
    hold = fake_api.hold_answer("sendMessage")
    await siti.press("Kirim")
    await asyncio.wait_for(hold.accepted.wait(), 10)
    assert hold.call is not None
    shown = CODE.search(hold.call.params["text"])
    assert shown, hold.call.params["text"]
    await kill(first)  # Telegram showed the code; the bot never heard back
    hold.release()
    [seen] = await siti.replies(1)  # on her screen
    assert shown.group(1) in seen.plain

    async with bot_running(fake_api, database, keys, bot_runtime=bot_runtime):
        # Her Kirim was still in hand when the bot died: it is in the inbox, and she may be
        # shown the menu again (the answer to it may never have reached her).
        await inbox_drained(database)
        siti.mark_read()
        status, _menu = await siti.ask(f"/status {shown.group(1)}", n=2)
        assert "Baru" in status.plain and "tidak ditemukan" not in status.plain
        # It counted as proof the code arrived: nothing is re-issued afterwards.
        welcome, _menu = await siti.ask("/start", n=2)
        assert "Kode baru" not in welcome.plain
        again, _menu = await siti.ask(f"/status {shown.group(1)}", n=2)
        assert "Baru" in again.plain
