"""Which bot processes may run together (bot/cluster.py), on SQLite and PostgreSQL: a second
single process is refused while the first lives, and never refused for long after it died;
webhook workers with Redis and a single process exclude each other."""

from __future__ import annotations

import asyncio
import socket
import time
from datetime import timedelta
from pathlib import Path

import pytest

from bot.cluster import SOLO, Membership, Refused, coordinates, refusal
from bot.settings import Settings
from storage import leases
from storage.db import Database
from storage.models import utcnow
from tests.bot.test_process import BotProcess, cli
from tests.fakebot import FakeBotAPI
from tests.support import TEST_SECRET

POLLING = {"database_url": "sqlite+aiosqlite:///x.db"}
WORKERS = {
    "database_url": "postgresql+asyncpg://postgres@127.0.0.1/test",
    "webhook_url": "https://bot.example.org/tg",
    "webhook_secret": "s3cret-token",
    "redis_url": "redis://127.0.0.1:6379/15",
}


def settings(**values: str) -> Settings:
    return Settings(**values, _env_file=None)


def member(db: Database, **values: str) -> Membership:
    # A quick heartbeat: a live holder is seen renewing within a fraction of a second.
    return Membership(db, settings(**values), lease_seconds=3.0, renew_seconds=0.2)


async def test_a_second_single_process_is_refused_while_the_first_renews(
    database: Database,
) -> None:
    first = member(database, **POLLING)
    await first.join()
    stop = asyncio.Event()
    keeping = asyncio.create_task(first.keep(stop))
    try:
        with pytest.raises(Refused, match="another lapor-ppa bot is running on this database"):
            await member(database, **POLLING).join()
    finally:
        stop.set()
        await keeping
        await first.leave()
    await member(database, **POLLING).join()  # gone cleanly: the next starts at once


async def test_a_first_process_that_stopped_renewing_is_taken_over(database: Database) -> None:
    await member(database, **POLLING).join()  # then it hangs (or its machine went away)
    began = time.monotonic()
    await member(database, **POLLING).join()
    assert time.monotonic() - began < 3.0  # about one missed renewal, not the whole lease


async def test_a_killed_process_on_this_machine_is_taken_over_at_once(database: Database) -> None:
    dead = await asyncio.create_subprocess_exec("true")
    await dead.wait()
    async with database.unit_of_work() as s:
        holder = f"{socket.gethostname()[:60]}:{dead.pid}:0000"
        assert await leases.take(s, SOLO, holder, 30, utcnow()) is None
    began = time.monotonic()
    await member(database, **POLLING).join()
    assert time.monotonic() - began < 0.5


async def test_webhook_workers_and_a_single_process_exclude_each_other(
    database: Database,
) -> None:
    one, two = member(database, **WORKERS), member(database, **WORKERS)
    await one.join()
    await two.join()  # several workers live side by side
    with pytest.raises(Refused, match="webhook workers are running on this database"):
        await member(database, **POLLING).join()
    await one.leave()
    await two.leave()
    solo = member(database, **POLLING)
    await solo.join()
    with pytest.raises(Refused, match="a single-process bot"):
        await member(database, **WORKERS).join()
    await solo.leave()


async def test_only_webhook_mode_on_postgresql_with_redis_runs_several() -> None:
    assert coordinates(settings(**WORKERS))
    assert not coordinates(settings(**(WORKERS | {"redis_url": ""})))
    assert not coordinates(settings(**(WORKERS | {"webhook_url": ""})))
    assert not coordinates(settings(**(WORKERS | POLLING)))
    assert refusal(settings(**WORKERS)) is None
    missing = refusal(settings(**(WORKERS | {"webhook_secret": ""})))
    assert missing is not None and "WEBHOOK_SECRET" in missing


async def test_a_lease_lapses_by_itself(database: Database) -> None:
    gone = member(database, **POLLING)
    await gone.join()
    later = utcnow() + timedelta(seconds=4)
    async with database.unit_of_work() as s:
        assert await leases.holder_of(s, SOLO, later) is None


async def test_a_second_polling_bot_is_refused_in_one_line(
    fake_api: FakeBotAPI, tmp_path: Path
) -> None:
    assert cli(tmp_path, "db", "upgrade").returncode == 0
    first = BotProcess(fake_api, tmp_path)
    await first.started()
    try:
        await fake_api.user(5550101).ask("/start", n=2)  # it runs
        second = await asyncio.to_thread(
            cli,
            tmp_path,
            "run",
            BOT_TOKEN=fake_api.token,
            TELEGRAM_API_URL=fake_api.url,
            SECRET_KEY=TEST_SECRET,
        )
        assert second.returncode == 2
        [line] = second.stderr.strip().splitlines()[-1:]
        assert line.startswith("lapor-ppa: another lapor-ppa bot is running on this database")
        assert line.endswith("long polling runs as one process")
        assert "Traceback" not in second.stderr
        await fake_api.user(5550102).ask("/start", n=2)  # the first still answers
    finally:
        await first.stop()


def test_several_workers_without_a_webhook_secret_are_refused(tmp_path: Path) -> None:
    result = cli(
        tmp_path,
        "run",
        BOT_TOKEN="123:abc",
        SECRET_KEY=TEST_SECRET,
        **{k.upper(): v for k, v in WORKERS.items() if k != "webhook_secret"},
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "lapor-ppa: several webhook workers need WEBHOOK_SECRET, the same in each: set it, "
        "then `lapor-ppa webhook set` once"
    ]
    assert not (tmp_path / ".env").exists()  # not made up: each worker would make its own
