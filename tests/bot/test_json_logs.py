"""LOG_FORMAT=json (issue 14, item 6): every line the running bot writes is one JSON object;
each update gets one line with its kind, outcome and milliseconds, and no line carries what
someone wrote, their name, username or Telegram id."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

from tests.bot.test_process import CLI, cli, env_for
from tests.fakebot import FakeBotAPI
from tests.support import TEST_SECRET, until

STORY = "Cerita-rahasia-log-7719"


async def test_json_lines_without_personal_data(fake_api: FakeBotAPI, tmp_path: Path) -> None:
    assert cli(tmp_path, "db", "upgrade").returncode == 0
    log_file = tmp_path / "stderr.log"
    with log_file.open("wb") as stderr:
        polls = len(fake_api.calls_of("getUpdates"))
        proc = await asyncio.create_subprocess_exec(
            CLI,
            "run",
            cwd=tmp_path,
            stdin=asyncio.subprocess.DEVNULL,
            stderr=stderr,
            env=env_for(
                tmp_path,
                BOT_TOKEN=fake_api.token,
                TELEGRAM_API_URL=fake_api.url,
                SECRET_KEY=TEST_SECRET,
                LOG_FORMAT="json",
                LOG_LEVEL="INFO",
            ),
        )
        try:
            # Up (imports take seconds on a slow machine) before anyone writes to it.
            await until(lambda: len(fake_api.calls_of("getUpdates")) > polls, 60)
            user = fake_api.user(5591234, first_name="Lestari", username="lestari_x")
            await user.ask("/start", n=2)
            await user.tap("Lapor", n=2)
            await user.ask(STORY)
        finally:
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), 20)
    lines = [json.loads(line) for line in log_file.read_text().splitlines() if line.strip()]
    updates = [line for line in lines if line["message"] == "update handled"]
    assert len(updates) == 3  # /start, Lapor, the story
    assert {(u["update_kind"], u["outcome"]) for u in updates} == {
        ("message", "reporter"),
        ("callback_query", "reporter"),
    }
    assert all(isinstance(u["ms"], float | int) and u["level"] == "info" for u in updates)
    # Where each left the conversation: the menu, the role question, still the role question.
    assert [u["step"] for u in updates] == ["menu", "report.role", "report.role"]
    text = log_file.read_text()
    for private in (STORY, "Lestari", "lestari_x", "5591234", fake_api.token):
        assert private not in text
