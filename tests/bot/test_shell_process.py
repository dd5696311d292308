"""`lapor-ppa shell` as a person starts it (issue 13, items 6-7): the koordinator's side asks
before it opens on a database with real cases, log lines stay out of the conversation, and
Ctrl-C ends it at once."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path

from storage import tickets
from storage.crypto import Keys
from storage.db import Database
from storage.migrate import upgrade
from tests.bot.test_process import CLI, env_for
from tests.support import TEST_SECRET, submission


async def _real_case(tmp_path: Path) -> None:
    keys = Keys.derive(TEST_SECRET)
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", keys)
    try:
        await upgrade(db.engine)
        async with db.unit_of_work() as s:  # someone on Telegram, not the terminal
            await tickets.submit(s, submission(), code_hash=keys.code_hash("A"), reporter_ref="r")
    finally:
        await db.dispose()


def shell(tmp_path: Path, *args: str, typed: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, "shell", *args],
        cwd=tmp_path,
        env=env_for(tmp_path, SECRET_KEY=TEST_SECRET, LOG_LEVEL="INFO"),
        input=typed,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_staff_side_asks_first_on_a_database_with_real_cases(tmp_path: Path) -> None:
    await _real_case(tmp_path)
    refused = await asyncio.to_thread(shell, tmp_path, "--staff", "uptd-ppa-35", typed="n\n")
    assert refused.returncode == 0
    assert "Basis data ini sudah berisi 1 laporan yang tidak dibuat di terminal ini" in (
        refused.stdout
    )
    assert "Sisi koordinator tidak dibuka." in refused.stdout
    assert "Selamat datang" not in refused.stdout  # nothing started
    agreed = await asyncio.to_thread(
        shell, tmp_path, "--staff", "UPTD-PPA-35", typed="y\n/staf\n/lapor\n"
    )
    assert "Obrolan koordinator UPTD-PPA-35" in agreed.stdout
    assert "lapor-ppa staff invite --upt UPTD-PPA-35 --role koordinator" in agreed.stdout
    # Log lines go to lapor-ppa.log, never between the lines of the conversation.
    assert agreed.stderr == "" and refused.stderr == ""
    assert (tmp_path / "lapor-ppa.log").exists()


async def test_ctrl_c_ends_the_shell_at_once(tmp_path: Path) -> None:
    await _real_case(tmp_path)
    proc = await asyncio.create_subprocess_exec(
        CLI,
        "shell",
        cwd=tmp_path,
        env=env_for(tmp_path, SECRET_KEY=TEST_SECRET),
        stdin=asyncio.subprocess.PIPE,  # kept open: the shell waits for a line
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    seen = b""
    while b"pelapor> " not in seen:
        seen += await asyncio.wait_for(proc.stdout.read(200), 30)
    proc.send_signal(signal.SIGINT)
    assert await asyncio.wait_for(proc.wait(), 5) == 0
    _out, err = await proc.communicate()
    assert b"Traceback" not in err
