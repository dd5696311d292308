"""The bench's processes and measuring: start a bot and wait until it takes updates, stop
it, measure one phase (throughput, latency, CPU of the bot, the harness and the database),
and format a row."""

from __future__ import annotations

import asyncio
import math
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.dbstat import DbMeter
from bench.fakeserver import BenchAPI
from bench.load import Window
from bench.procstat import CpuMeter

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SECRET = "bench-only-secret-key-0123456789-abcdefghijklmnop"


@dataclass
class Row:
    updates_s: float
    reports_s: float
    p50: float
    p95: float
    p99: float
    bot_cpu: float
    harness_cpu: float
    db_cpu: float
    lock_waits: float
    errors: int


@dataclass
class BotRun:
    name: str
    rows: dict[str, Row] = field(default_factory=dict)
    peak_rss_mib: float = 0.0
    rss_mib: list[float] = field(default_factory=list)  # after warm-up, batch 1, batch 2
    errors: list[str] = field(default_factory=list)
    blocked: Counter[str] = field(default_factory=Counter)


def ms(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bot_env(api: BenchAPI, database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        BOT_TOKEN=api.token,
        TELEGRAM_API_URL=api.url,
        DATABASE_URL=database_url,
        SECRET_KEY=SECRET,
        # Telegram's pacing is the delivery worker's business; here it must not throttle.
        OUTBOX_PER_SECOND="100000",
        OUTBOX_PER_GROUP_PER_MINUTE="1000000",
        OUTBOX_PER_CHAT_PER_SECOND="1000",
        # Simulated people type with no pause: the per-account limit must not throttle them.
        MESSAGES_PER_MINUTE="1000000",
        LOG_LEVEL="WARNING",
    )
    return env


async def start_bot(
    cmd: list[str],
    env: dict[str, str],
    log: Path,
    api: BenchAPI,
    ready: Callable[[], Awaitable[bool]] | None = None,
) -> subprocess.Popen[bytes]:
    """Start a bot; returns once it takes updates (it polls, or `ready` says so)."""
    with log.open("wb") as out:
        # Popen returns at once; the wait below polls without blocking the loop.
        proc = subprocess.Popen(  # noqa: ASYNC220
            cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )

    async def polling() -> bool:
        return bool(api.calls_of("getUpdates"))

    deadline = time.perf_counter() + 60
    while not await (ready or polling)():
        if proc.poll() is not None:
            raise SystemExit(f"{cmd} exited with {proc.returncode}; see {log}")
        if time.perf_counter() > deadline:
            proc.kill()
            raise SystemExit(f"{cmd} did not start polling within 60 s; see {log}")
        await asyncio.sleep(0.05)
    return proc


async def stop_bot(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)
    for _ in range(300):
        if proc.poll() is not None:
            return
        await asyncio.sleep(0.05)
    proc.kill()
    proc.wait()


async def phase(
    run: BotRun,
    scenario: str,
    api: BenchAPI,
    pid: int | list[int],
    db: DbMeter | None,
    work: Awaitable[Window],
) -> Window:
    """Measure `work`; the bot's CPU is that of every process in `pid`, added up."""
    bots = [CpuMeter(p) for p in ([pid] if isinstance(pid, int) else pid)]
    me = CpuMeter(os.getpid())
    if db is not None:
        await db.start()
    for bot_cpu in bots:
        bot_cpu.start()
    me.start()
    window = await work
    db_cpu, lock_waits = 0.0, 0.0  # SQLite: the database is the bot's own process
    if db is not None:
        db_cpu, lock_waits = await db.stop()
        run.blocked.update(db.blocked)
        db.blocked.clear()
    lat = window.latencies(api)
    span = window.end - window.start
    row = Row(
        len(lat) / span,
        window.reports() / span,
        ms(lat, 0.50),
        ms(lat, 0.95),
        ms(lat, 0.99),
        sum(bot_cpu.percent() for bot_cpu in bots),
        me.percent(),
        db_cpu,
        lock_waits,
        len(window.outcome.errors),
    )
    run.rows[scenario] = row
    run.errors += window.outcome.errors
    print(f"  {scenario:<15} {run.name:<6} {fmt(row)}", flush=True)
    return window


def cells(r: Row) -> list[str]:
    return [
        f"{r.updates_s:.1f}",
        f"{r.reports_s:.2f}",
        f"{r.p50:.1f}",
        f"{r.p95:.1f}",
        f"{r.p99:.1f}",
        f"{r.bot_cpu:.0f}%",
        f"{r.harness_cpu:.0f}%",
        f"{r.db_cpu:.0f}%",
        f"{r.lock_waits:.1f}",
        str(r.errors),
    ]


def fmt(r: Row) -> str:
    return " ".join(
        f"{cell:>{max(9, len(c))}}" for cell, c in zip(cells(r), COLUMNS[2:], strict=True)
    )


COLUMNS = (
    "scenario",
    "bot",
    "updates/s",
    "reports/s",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "bot CPU",
    "harness CPU",
    "DB CPU",
    "lock waits",
    "errors",
)
HEADER = "| " + " | ".join(COLUMNS) + " |"


async def upgrade(database_url: str) -> None:
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY=SECRET)
    upgrade = await asyncio.create_subprocess_exec(
        str(BIN / "lapor-ppa"),
        "db",
        "upgrade",
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await upgrade.communicate()
    if upgrade.returncode != 0:
        raise SystemExit(f"lapor-ppa db upgrade failed:\n{output.decode()}")
