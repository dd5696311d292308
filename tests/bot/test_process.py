"""The real `lapor-ppa` process: start-up errors in one line, and surviving SIGKILL."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage import conversations, inbox
from storage.crypto import Keys
from storage.db import Database
from storage.models import Ticket
from tests.fakebot import FakeBotAPI
from tests.handlers.walks import public_without_place, walk
from tests.support import TEST_SECRET, until

CLI = str(Path(sys.executable).parent / "lapor-ppa")


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "SECRET_KEY", "DATABASE_URL")
    }
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}", LOG_LEVEL="WARNING")
    env.update(extra)
    return env


def cli(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, *args],
        cwd=tmp_path,
        env=env_for(tmp_path, **extra),
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_missing_secret_key_is_one_clear_line(tmp_path: Path) -> None:
    assert cli(tmp_path, "db", "upgrade").returncode == 0
    result = cli(tmp_path, "run", BOT_TOKEN="123:abc")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "lapor-ppa: SECRET_KEY is not set (at least 32 characters; make run generates one)"
    ]


def test_invalid_settings_are_one_line(tmp_path: Path) -> None:
    result = cli(tmp_path, "run", DATABASE_URL="mysql://x", SECRET_KEY="short")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "DATABASE_URL" in lines[0] and "SECRET_KEY" in lines[0]
    assert "Traceback" not in result.stderr


def test_unmigrated_database_says_what_to_do(tmp_path: Path) -> None:
    result = cli(tmp_path, "run", BOT_TOKEN="123:abc", SECRET_KEY=TEST_SECRET)
    assert result.returncode == 2
    assert "run `lapor-ppa db upgrade` first" in result.stderr
    assert "Traceback" not in result.stderr


def test_env_init_generates_a_key_once(tmp_path: Path) -> None:
    first = cli(tmp_path, "env", "init")
    key_line = (tmp_path / ".env").read_text().strip()
    second = cli(tmp_path, "env", "init")
    assert "generated a new SECRET_KEY" in first.stdout and second.stdout == ""
    assert (tmp_path / ".env").read_text().strip() == key_line
    assert len(key_line.removeprefix("SECRET_KEY=")) >= 32
    assert (tmp_path / ".env").stat().st_mode & 0o777 == 0o600  # the key reads every report


class BotProcess:
    def __init__(self, api: FakeBotAPI, tmp_path: Path, **env: str) -> None:
        self.api, self.tmp_path, self.env = api, tmp_path, env
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            CLI,
            "run",
            cwd=self.tmp_path,
            stdin=asyncio.subprocess.DEVNULL,
            env=env_for(
                self.tmp_path,
                BOT_TOKEN=self.api.token,
                TELEGRAM_API_URL=self.api.url,
                SECRET_KEY=TEST_SECRET,
                **self.env,
            ),
        )

    async def started(self, seconds: float = 60.0) -> None:
        """Start, and wait until the bot asks Telegram for updates (or says where to post
        them): importing everything takes seconds on a slow machine, not the bot's answers."""
        methods = ("getUpdates", "setWebhook")
        before = sum(len(self.api.calls_of(m)) for m in methods)
        await self.start()
        await until(lambda: sum(len(self.api.calls_of(m)) for m in methods) > before, seconds)

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> None:
        if self.proc and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                await self.kill()

    async def code_acknowledged(self, user_id: int) -> None:
        """Wait until the bot has recorded that Telegram accepted the code message."""
        keys = Keys.derive(TEST_SECRET)
        db = Database(f"sqlite+aiosqlite:///{self.tmp_path / 'bot.db'}", keys)
        try:
            for _ in range(100):
                async with db.unit_of_work() as s:
                    state = await conversations.load_state(s, keys.reporter_ref(user_id))
                if state and not state.get("pending_code"):
                    return
                await asyncio.sleep(0.05)
            raise AssertionError("the bot never recorded the code as delivered")
        finally:
            await db.dispose()

    async def caught_up(self) -> None:
        """Wait until the restarted bot has handled what the killed one left in its inbox."""
        db = Database(f"sqlite+aiosqlite:///{self.tmp_path / 'bot.db'}", Keys.derive(TEST_SECRET))
        try:
            for _ in range(200):
                if not await inbox.unfinished(db):
                    return
                await asyncio.sleep(0.05)
            raise AssertionError("the restarted bot never caught up with its inbox")
        finally:
            await db.dispose()

    async def tickets(self) -> int:
        db = Database(f"sqlite+aiosqlite:///{self.tmp_path / 'bot.db'}", Keys.derive(TEST_SECRET))
        try:
            async with db.unit_of_work() as s:
                return int(await s.scalar(select(func.count()).select_from(Ticket)) or 0)
        finally:
            await db.dispose()


@pytest.fixture
async def bot_process(fake_api: FakeBotAPI, tmp_path: Path) -> AsyncIterator[BotProcess]:
    assert cli(tmp_path, "db", "upgrade").returncode == 0
    process = BotProcess(fake_api, tmp_path)
    await process.started()
    try:
        yield process
    finally:
        await process.stop()


async def test_report_survives_kill_between_answers(bot_process: BotProcess) -> None:
    bot_process.api.fail("setMyCommands", status=500, times=5)  # cosmetic: must not be fatal
    user = bot_process.api.user(6660001)
    await user.ask("/start", n=2)
    await user.tap("Lapor", n=2)
    await user.tap("Guru BK")
    _help_now, ask_place = await user.tap("Ya, sekarang", n=2)
    assert "Di kabupaten/kota mana sekolahnya?" in ask_place.plain

    await bot_process.kill()
    await bot_process.started()
    # Her last press may still have been in the inbox: if so she is asked the question again
    # (its answer may never have reached her), and she answers the question on her screen.
    await bot_process.caught_up()
    user.mark_read()
    [results] = await user.ask("kota medan")
    assert results.buttons[0] == ["Kota Medan, Sumatera Utara"]  # never Sumedang as well
    [ask_observed] = await user.tap(results.buttons[0][0])  # urgent: no kecamatan question
    assert "Apa yang Anda amati?" in ask_observed.plain
    await user.ask("Guru melihat pesan bujukan di grup kelas.")
    [summary] = await user.tap("Tidak usah")
    assert "Guru BK" in summary.plain and "Bahaya saat ini: Ya, sekarang" in summary.plain
    assert "Kota Medan" in summary.plain
    sent, _held, _menu = await user.tap("Kirim", n=3)
    assert "PPA-1271-" in sent.plain
    assert await bot_process.tickets() == 1


async def test_redelivered_update_after_kill_makes_no_second_ticket(
    bot_process: BotProcess,
) -> None:
    api = bot_process.api
    user = api.user(6660002)
    await user.ask("/start", n=2)
    await user.tap("Lapor", n=2)
    await user.tap("Masyarakat umum")
    await walk(user, public_without_place("Ada yang mencurigakan."))
    kirim = await user.press("Kirim")
    sent, _held, _menu = await user.replies(3)
    assert "Laporan terkirim" in sent.plain
    await bot_process.code_acknowledged(user.id)
    await bot_process.caught_up()  # handled and cleared: only Telegram sends it again

    await bot_process.kill()
    api.redeliver(kirim)  # as Telegram does for an update the dead process never confirmed
    await bot_process.started()

    welcome, _menu = await user.ask("/start", n=2)
    assert "Selamat datang" in welcome.plain  # nothing was answered to the redelivered press
    assert await bot_process.tickets() == 1


def test_terminal_shell_walks_a_report_without_a_token(tmp_path: Path) -> None:
    assert cli(tmp_path, "db", "upgrade").returncode == 0
    script = "\n".join(
        [
            *("/lapor", "1", "2", "1", "1", "1", "1", "1"),  # umum, no danger, … no evidence
            *("jakbar", "1", "2", "Akun menawarkan anak.", "2", "2", "1", ""),
        ]
    )
    result = subprocess.run(
        [CLI, "run"],
        cwd=tmp_path,
        env=env_for(tmp_path, SECRET_KEY=TEST_SECRET),
        input=script,
        capture_output=True,
        text=True,
        timeout=60,
    )
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "[1] Lapor" in out and "[2] Cek status" in out and "[3] Info & bantuan" in out
    assert "Kota Administrasi Jakarta Barat" in out
    assert "Laporan terkirim" in out and "PPA-3173-" in out
    code = re.search(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b", out)
    assert code
    again = subprocess.run(
        [CLI, "shell"],
        cwd=tmp_path,
        env=env_for(tmp_path, SECRET_KEY=TEST_SECRET),
        input=f"/status {code.group(0)}\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Status laporan PPA-3173-" in again.stdout and "Baru" in again.stdout


def test_directory_import_list_and_pending(tmp_path: Path) -> None:
    assert cli(tmp_path, "db", "upgrade").returncode == 0
    csv_file = tmp_path / "upt.csv"
    csv_file.write_text(
        "code,name,level,region_code\n"
        "UPTD-PPA-3515,UPTD PPA Kabupaten Sidoarjo,kabkota,35.15\n"
        "BAD,Bad,kota,35.15\n"
    )
    imported = cli(tmp_path, "upt", "import", str(csv_file))
    assert imported.returncode == 1  # one bad row: nothing lands (issue 13, item 3)
    assert imported.stderr.splitlines() == [
        "line 3: level 'kota' is not one of kabkota, provinsi, nasional",
        f"lapor-ppa: 1 error in {csv_file}: nothing was changed",
    ]
    assert "UPTD-PPA-3515" not in cli(tmp_path, "upt", "list").stdout
    csv_file.write_text(
        csv_file.read_text().splitlines()[0] + "\n" + csv_file.read_text().splitlines()[1] + "\n"
    )
    assert cli(tmp_path, "upt", "import", str(csv_file)).stdout == "1 added, 0 updated\n"
    listed = cli(tmp_path, "upt", "list").stdout
    assert "UPTD-PPA-3515\tkabkota\t35.15\tAsia/Jakarta\tnot connected" in listed
    assert cli(tmp_path, "upt", "pending").stdout.startswith("no cases are waiting")


def test_debug_logging_never_shows_the_database_drivers_arguments() -> None:
    """At LOG_LEVEL=DEBUG the SQLite driver would log every call with its arguments (hashed
    reporter refs, chat keys): its logger stays at INFO (issue 12, item 8)."""
    import logging

    from bot import logs

    root = logging.getLogger()
    before = root.level
    drivers = [logging.getLogger(name) for name in ("aiosqlite", "asyncpg")]
    try:
        root.setLevel(logging.DEBUG)  # as LOG_LEVEL=DEBUG leaves it (pytest owns the handlers)
        for driver in drivers:
            driver.setLevel(logging.NOTSET)
        assert logging.getLogger("aiosqlite").isEnabledFor(logging.DEBUG)  # without the fix
        logs.configure("DEBUG")
        assert not logging.getLogger("aiosqlite").isEnabledFor(logging.DEBUG)
        assert not logging.getLogger("asyncpg").isEnabledFor(logging.DEBUG)
    finally:
        root.setLevel(before)
