"""Issue 14, item 3: killing the bot (SIGKILL) while updates are in flight loses no input.
Before the inbox, Telegram already counted a batch as delivered while its updates were still
being handled, and a kill lost them: people had to say it again."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bot.test_process import BotProcess, cli
from tests.fakebot import FakeBotAPI, FakeUser
from tests.handlers.walks import words
from tests.support import until, webhook_settings

PEOPLE = 30


@pytest.mark.parametrize("mode", ["polling", "webhook"])
@pytest.mark.parametrize("runtime", ["aiogram", "ptb"])
async def test_a_kill_with_updates_in_flight_loses_no_input(
    fake_api: FakeBotAPI, tmp_path: Path, runtime: str, mode: str
) -> None:
    assert cli(tmp_path, "db", "upgrade").returncode == 0
    env = dict(BOT_RUNTIME=runtime)
    if mode == "webhook":
        hook = webhook_settings()
        env |= {name.upper(): value for name, value in hook.items()}
    bot = BotProcess(fake_api, tmp_path, **env)
    await bot.started()
    try:
        people = [fake_api.user(6670000 + n) for n in range(PEOPLE)]
        for person in people:
            await person.ask("/start", n=2)
        ask_role = words("report.ask_role", "id")

        def asked(person: FakeUser) -> bool:
            return any(ask_role in m.plain for m in fake_api.history(person.id) if m.from_bot)

        # Everyone presses Lapor at once; Telegram's answers come slowly, so the bot is still
        # working through them when it dies, after Telegram counted them delivered.
        fake_api.slow("sendMessage", 0.2)
        for person in people:
            await person.press("Lapor")
        await until(lambda: not fake_api.pending_updates)
        await bot.kill()
        answered_before = sum(asked(p) for p in people)
        assert answered_before < PEOPLE  # some were in flight: the test means something

        fake_api.slow("sendMessage", 0)
        await bot.start()
        # Nobody repeats anything: each hears the role question.
        await until(lambda: all(asked(p) for p in people), 30)
    finally:
        await bot.stop()
