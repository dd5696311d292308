"""(e) Runtimes and webhooks (issue 14, item 7): the report bot under (a)'s saturating load,
long polling with aiogram and with python-telegram-bot, in webhook mode with each, and as one
then two webhook workers sharing PostgreSQL and Redis behind a round-robin proxy (as Caddy
would be). Each row is the same load on the same database, so the rows compare directly.

Efficiency: the bots' CPU seconds (all workers added up) per update answered, over the whole
phase. On a 2-core machine that the database and this harness share, two workers cannot be
faster than one; what they must not do is waste work coordinating (target: ≤ 1.15× the CPU
per update of one worker). Double handling: bot messages beyond what each flow expects.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import redis.asyncio as redis

from bench.dbstat import DbMeter
from bench.fakeserver import BenchAPI
from bench.load import REPORT_FLOW, Load, Window, id_range, run_load
from bench.procs import BIN, ROOT, BotRun, bot_env, phase, start_bot, stop_bot
from bench.procstat import cpu_seconds
from tests.fakebot_webhook import RoundRobin, free_port

SCALE = float(os.environ.get("BENCH_SCALE", "1.0"))
LOAD = Load(reporters=200, think_mean=0.0, warmup=5.0, window=20.0 * SCALE)
WARMUP = Load(reporters=20, think_mean=0.0, warmup=0.0, window=3.0)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
SECRET_TOKEN = "bench-webhook-secret-0123456789"
REPORT_CMD = [str(BIN / "lapor-ppa"), "run"]

POLL_AIOGRAM = "(e) polling aiogram"
POLL_PTB = "(e) polling PTB"
HOOK_AIOGRAM = "(e) webhook aiogram"
HOOK_PTB = "(e) webhook PTB"
ONE_WORKER = "(e) 1 worker, Redis"
TWO_WORKERS = "(e) 2 workers, Redis"
ROWS = (POLL_AIOGRAM, POLL_PTB, HOOK_AIOGRAM, HOOK_PTB, ONE_WORKER, TWO_WORKERS)


@dataclass
class Cost:
    cpu_ms_per_update: float
    extra_messages: int


@dataclass
class RuntimeRuns:
    run: BotRun
    costs: dict[str, Cost]


async def _http_ok(url: str) -> bool:
    try:
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            return response.status == 200
    except aiohttp.ClientError:
        return False


def _fresh(api: BenchAPI, first_id: int) -> BenchAPI:
    """Telegram's update ids only grow: each row's fake server goes on past the last one's
    (the bot would otherwise take them for updates it already handled)."""
    api._next_update_id = first_id
    return api


async def _measured(
    run: BotRun, scenario: str, api: BenchAPI, pids: list[int], db: DbMeter, first_id: int
) -> Cost:
    await run_load(api, WARMUP, REPORT_FLOW, id_range(first_id))
    before = sum(cpu_seconds(p) for p in pids)
    answered = len(api.latencies)
    window: Window = await phase(
        run, scenario, api, pids, db, run_load(api, LOAD, REPORT_FLOW, id_range(first_id + 10_000))
    )
    spent = sum(cpu_seconds(p) for p in pids) - before
    updates = len(api.latencies) - answered
    return Cost(1000 * spent / max(updates, 1), window.outcome.extra)


async def _single(
    run: BotRun, scenario: str, dsn: str, logdir: Path, first_id: int, **extra: str
) -> Cost:
    """One process, polling or (with WEBHOOK_URL in `extra`) webhook."""
    db = DbMeter(dsn, dsn.rsplit("/", 1)[1])
    async with BenchAPI() as api:
        _fresh(api, first_id)
        env = bot_env(api, dsn.replace("postgresql://", "postgresql+asyncpg://", 1)) | extra
        ready = None
        if "WEBHOOK_URL" in extra:
            base = extra["WEBHOOK_URL"].rsplit("/", 1)[0]

            async def ready() -> bool:  # it set the webhook itself, and listens
                return api.webhook_sets > 0 and await _http_ok(f"{base}/readyz")

        log = logdir / f"{scenario.replace(' ', '_').replace(',', '')}.log"
        proc = await start_bot(REPORT_CMD, env, log, api, ready)
        try:
            return await _measured(run, scenario, api, [proc.pid], db, first_id)
        finally:
            await stop_bot(proc)


def _webhook_env(url: str, port: int) -> dict[str, str]:
    return {
        "WEBHOOK_URL": url,
        "WEBHOOK_SECRET": SECRET_TOKEN,
        "WEBHOOK_LISTEN": f"127.0.0.1:{port}",
        "WEBHOOK_MAX_CONNECTIONS": "100",
    }


async def _workers(
    run: BotRun, scenario: str, count: int, dsn: str, logdir: Path, first_id: int
) -> Cost:
    """`count` webhook workers sharing the database and Redis, behind one proxy."""
    flush = redis.Redis.from_url(REDIS_URL)
    await flush.flushdb()
    await flush.aclose()
    db = DbMeter(dsn, dsn.rsplit("/", 1)[1])
    ports = [free_port() for _ in range(count)]
    proxy = RoundRobin([f"http://127.0.0.1:{p}/telegram-updates" for p in ports])
    await proxy.start()
    procs: list[subprocess.Popen[bytes]] = []
    async with BenchAPI() as api:
        _fresh(api, first_id)
        url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
        try:
            for n, port in enumerate(ports):
                env = bot_env(api, url) | _webhook_env(proxy.url, port) | {"REDIS_URL": REDIS_URL}
                ready = f"http://127.0.0.1:{port}/readyz"
                log = logdir / f"workers{count}-{n}.log"
                procs.append(
                    await start_bot(REPORT_CMD, env, log, api, lambda r=ready: _http_ok(r))
                )
            # Once per deployment, as an operator would.
            setter = await asyncio.create_subprocess_exec(
                str(BIN / "lapor-ppa"),
                "webhook",
                "set",
                cwd=ROOT,
                env=bot_env(api, url) | _webhook_env(proxy.url, ports[0]),
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            _, err = await setter.communicate()
            if setter.returncode != 0:
                raise SystemExit(f"lapor-ppa webhook set failed: {err.decode()}")
            return await _measured(run, scenario, api, [p.pid for p in procs], db, first_id)
        finally:
            for proc in procs:
                await stop_bot(proc)
            await proxy.close()


async def bench_runtimes(dsn: str, logdir: Path) -> RuntimeRuns:
    run = BotRun("report")
    costs: dict[str, Cost] = {}
    base = 20_000_000
    costs[POLL_AIOGRAM] = await _single(run, POLL_AIOGRAM, dsn, logdir, base)
    costs[POLL_PTB] = await _single(run, POLL_PTB, dsn, logdir, base + 1_000_000, BOT_RUNTIME="ptb")
    for n, (scenario, runtime) in enumerate(((HOOK_AIOGRAM, "aiogram"), (HOOK_PTB, "ptb"))):
        port = free_port()
        hook = _webhook_env(f"http://127.0.0.1:{port}/telegram-updates", port)
        first = base + (2 + n) * 1_000_000
        costs[scenario] = await _single(
            run, scenario, dsn, logdir, first, BOT_RUNTIME=runtime, **hook
        )
    costs[ONE_WORKER] = await _workers(run, ONE_WORKER, 1, dsn, logdir, base + 4_000_000)
    costs[TWO_WORKERS] = await _workers(run, TWO_WORKERS, 2, dsn, logdir, base + 5_000_000)
    return RuntimeRuns(run, costs)
