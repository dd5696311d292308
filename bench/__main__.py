"""`make bench`: the report bot against a bare aiogram echo bot on one fake Bot API server.

Both bots run as separate processes (so their CPU and peak RSS are their own), driven by
the same simulated people in this process. Prints a table, writes bench/RESULTS.md and
exits non-zero when a target of issue 6 is missed.

Knobs (environment): BENCH_SCALE (default 1.0) scales the measuring windows,
BENCH_REPORTERS_B the reporters of scenario (b), BENCH_TICKETS the tickets of (c),
BENCH_RESULTS where the markdown goes, BENCH_PROFILE=1 runs py-spy on the report bot during
(a) and adds its hot spots to the results. BENCH_ONLY=a runs only the warm-up and (a) (on
PostgreSQL and on SQLite) and prints the ratios without rewriting RESULTS.md: the quick way
to compare two versions on one machine.

(a) also runs the report bot on the SQLite embedded default, against the same echo figure
(the echo bot has no database).
"""

from __future__ import annotations

import asyncio
import math
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import asyncpg

from bench import status_lookup
from bench.dbstat import DbMeter
from bench.fakeserver import BenchAPI
from bench.hotspots import summarise
from bench.load import (
    ECHO_FLOW,
    REPORT_FLOW,
    Load,
    Outcome,
    Window,
    id_range,
    one_message_each,
    run_flow,
    run_load,
)
from bench.procstat import CpuMeter, memory_kib
from storage.crypto import Keys

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SECRET = "bench-only-secret-key-0123456789-abcdefghijklmnop"
PG = os.environ.get("BENCH_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
SCALE = float(os.environ.get("BENCH_SCALE", "1.0"))
REPORTERS_B = int(os.environ.get("BENCH_REPORTERS_B", "1000"))
TICKETS = int(os.environ.get("BENCH_TICKETS", "1000000"))
PROFILE = os.environ.get("BENCH_PROFILE", "") not in ("", "0")
PROFILE_FILE = Path(tempfile.gettempdir()) / "lapor-bench-profile.txt"
ONLY_A = os.environ.get("BENCH_ONLY", "") == "a"
REPORT_CMD = [str(BIN / "lapor-ppa"), "run"]
DRAFTS = 10_000
RESUME_BATCH = 2_000

WARMUP = Load(reporters=20, think_mean=0.0, warmup=0.0, window=4.0)
SATURATION = Load(reporters=200, think_mean=0.0, warmup=5.0, window=40.0 * SCALE)
# People arrive over one flow's length (17 steps × 2 s): started together, their Kirims and
# status checks would land in step as a wave that the window measures instead of the
# steady state; the warm-up covers the ramp.
PEOPLE_THINK = 2.0
PEOPLE_RAMP = len(REPORT_FLOW) * PEOPLE_THINK
PEOPLE = Load(
    reporters=REPORTERS_B,
    think_mean=PEOPLE_THINK,
    warmup=PEOPLE_RAMP + 6.0,
    window=60.0 * SCALE,
    ramp=PEOPLE_RAMP,
)

TARGET_THROUGHPUT = 0.35
TARGET_P99 = 2.0
TARGET_LOOKUP_MS = 2.0
TARGET_RSS = 1.5
RSS_GROWTH_MIB = 5.0  # allowed growth per further RESUME_BATCH drafts resumed

A, B, D1, D2 = "(a) saturation", "(b) people", "(d) drafts 1", "(d) drafts 2"
A_SQLITE = "(a) on SQLite"


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


def _ms(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _env(api: BenchAPI, database_url: str) -> dict[str, str]:
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


async def _start(
    cmd: list[str], env: dict[str, str], log: Path, api: BenchAPI
) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        # Popen returns at once; the wait below polls without blocking the loop.
        proc = subprocess.Popen(  # noqa: ASYNC220
            cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.perf_counter() + 60
    while not api.calls_of("getUpdates"):
        if proc.poll() is not None:
            raise SystemExit(f"{cmd} exited with {proc.returncode}; see {log}")
        if time.perf_counter() > deadline:
            proc.kill()
            raise SystemExit(f"{cmd} did not start polling within 60 s; see {log}")
        await asyncio.sleep(0.05)
    return proc


async def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)
    for _ in range(300):
        if proc.poll() is not None:
            return
        await asyncio.sleep(0.05)
    proc.kill()
    proc.wait()


async def _phase(
    run: BotRun,
    scenario: str,
    api: BenchAPI,
    pid: int,
    db: DbMeter | None,
    work: Awaitable[Window],
) -> None:
    bot_cpu, me = CpuMeter(pid), CpuMeter(os.getpid())
    if db is not None:
        await db.start()
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
        _ms(lat, 0.50),
        _ms(lat, 0.95),
        _ms(lat, 0.99),
        bot_cpu.percent(),
        me.percent(),
        db_cpu,
        lock_waits,
        len(window.outcome.errors),
    )
    run.rows[scenario] = row
    run.errors += window.outcome.errors
    print(f"  {scenario:<15} {run.name:<6} {_fmt(row)}", flush=True)


async def _seed_draft(api: BenchAPI, dsn: str, keys: Keys) -> bytes:
    """A real mid-flow draft (role chosen, asked about danger) as the bot stored it."""
    uid, outcome = 9_000_000, Outcome()
    deadline = time.perf_counter() + 60
    await run_flow(api, uid, REPORT_FLOW[:3], 0.0, deadline, outcome, random.Random(0))
    conn = await asyncpg.connect(dsn)
    try:
        state = await conn.fetchval(
            "SELECT state FROM drafts WHERE reporter_ref = $1", keys.reporter_ref(uid)
        )
    finally:
        await conn.close()
    if state is None:
        raise SystemExit(f"no draft stored for the seed reporter: {outcome.errors}")
    return bytes(state)


async def _insert_drafts(dsn: str, keys: Keys, state: bytes, first: int, count: int) -> None:
    now = datetime.now(UTC)
    records = [(keys.reporter_ref(uid), state, now) for uid in range(first, first + count)]
    conn = await asyncpg.connect(dsn)
    try:
        await conn.copy_records_to_table(
            "drafts", records=records, columns=["reporter_ref", "state", "updated_at"]
        )
    finally:
        await conn.close()


async def bench_sqlite(logdir: Path) -> BotRun:
    """The report bot on the embedded default: warm-up and (a), nothing else."""
    run = BotRun("report")
    url = f"sqlite+aiosqlite:///{logdir / 'bench.db'}"
    await _upgrade(url)
    async with BenchAPI() as api:
        proc = await _start(REPORT_CMD, _env(api, url), logdir / "report-sqlite.log", api)
        try:
            await run_load(api, WARMUP, REPORT_FLOW, id_range(1_000_000))
            work = run_load(api, SATURATION, REPORT_FLOW, id_range(3_000_000))
            await _phase(run, A_SQLITE, api, proc.pid, None, work)
        finally:
            await _stop(proc)
    return run


async def bench_bot(name: str, cmd: list[str], dsn: str, logdir: Path, report: bool) -> BotRun:
    """Warm-up, (d) two batches of resumed drafts, (a) saturation, (b) people."""
    run = BotRun(name)
    keys = Keys.derive(SECRET)
    db = DbMeter(dsn, dsn.rsplit("/", 1)[1])
    flow = REPORT_FLOW if report else ECHO_FLOW
    async with BenchAPI() as api:
        url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
        proc = await _start(cmd, _env(api, url), logdir / f"{name}.log", api)
        pid = proc.pid
        try:
            await run_load(api, WARMUP, flow, id_range(1_000_000))
            if ONLY_A:
                work = run_load(api, SATURATION, flow, id_range(3_000_000))
                await _phase(run, A, api, pid, db, work)
                return run
            if report:  # the echo bot has no drafts, but gets the very same messages
                state = await _seed_draft(api, dsn, keys)
                await _insert_drafts(dsn, keys, state, 2_000_000, DRAFTS)
            run.rss_mib.append(memory_kib(pid)[0] / 1024)
            for batch, scenario in enumerate((D1, D2)):
                first = 2_000_000 + batch * RESUME_BATCH
                uids = list(range(first, first + RESUME_BATCH))
                await _phase(run, scenario, api, pid, db, one_message_each(api, uids, 200))
                run.rss_mib.append(memory_kib(pid)[0] / 1024)
            spy = await _profiler(pid, SATURATION) if report and PROFILE else None
            await _phase(run, A, api, pid, db, run_load(api, SATURATION, flow, id_range(3_000_000)))
            if spy is not None:
                await spy.wait()
            await _phase(run, B, api, pid, db, run_load(api, PEOPLE, flow, id_range(4_000_000)))
            run.peak_rss_mib = memory_kib(pid)[1] / 1024
        finally:
            await _stop(proc)
    return run


async def _profiler(pid: int, load: Load) -> asyncio.subprocess.Process | None:
    """py-spy on the report bot for scenario (a) (warm-up and window)."""
    if not (BIN / "py-spy").exists():
        print("  BENCH_PROFILE set but py-spy is missing: .venv/bin/pip install py-spy")
        return None
    return await asyncio.create_subprocess_exec(
        str(BIN / "py-spy"),
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(int(load.warmup + load.window)),
        "--rate",
        "100",
        "--format",
        "raw",
        "--output",
        str(PROFILE_FILE),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


def _cells(r: Row) -> list[str]:
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


def _fmt(r: Row) -> str:
    return " ".join(
        f"{cell:>{max(9, len(c))}}" for cell, c in zip(_cells(r), COLUMNS[2:], strict=True)
    )


@dataclass
class Verdict:
    name: str
    value: str
    target: str
    ok: bool


def _verdicts(
    bot: BotRun, echo: BotRun, lite: BotRun, lookup: status_lookup.LookupResult
) -> list[Verdict]:
    thr = bot.rows[A].updates_s / echo.rows[A].updates_s
    thr_lite = lite.rows[A_SQLITE].updates_s / echo.rows[A].updates_s
    p99 = bot.rows[B].p99 / echo.rows[B].p99
    rss = bot.peak_rss_mib / echo.peak_rss_mib
    growth = bot.rss_mib[2] - bot.rss_mib[1]
    clean = not bot.errors and not echo.errors and not lite.errors
    return [
        Verdict(
            "(a) updates/s report ÷ echo",
            f"{thr:.3f}",
            f"≥ {TARGET_THROUGHPUT}",
            thr >= TARGET_THROUGHPUT,
        ),
        Verdict(
            "(a) on SQLite: updates/s report ÷ echo",
            f"{thr_lite:.3f}",
            f"≥ {TARGET_THROUGHPUT}",
            thr_lite >= TARGET_THROUGHPUT,
        ),
        Verdict("(b) p99 report ÷ echo", f"{p99:.2f}", f"≤ {TARGET_P99}", p99 <= TARGET_P99),
        Verdict(
            f"(c) DB time per status look-up, {lookup.tickets:,} tickets",
            f"{lookup.db_ms_mean:.3f} ms (p99 {lookup.db_ms_p99:.3f})",
            f"< {TARGET_LOOKUP_MS} ms",
            lookup.db_ms_mean < TARGET_LOOKUP_MS,
        ),
        Verdict("(d) peak RSS report ÷ echo", f"{rss:.2f}", f"≤ {TARGET_RSS}", rss <= TARGET_RSS),
        Verdict(
            f"(d) RSS growth, {RESUME_BATCH:,} more of {DRAFTS:,} drafts resumed",
            f"{growth:+.1f} MiB",
            f"≤ {RSS_GROWTH_MIB} MiB",
            growth <= RSS_GROWTH_MIB,
        ),
        Verdict(
            "every simulated step answered",
            f"{len(bot.errors) + len(echo.errors) + len(lite.errors)} errors",
            "0",
            clean,
        ),
    ]


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


def _markdown(
    bot: BotRun,
    echo: BotRun,
    lite: BotRun,
    lookup: status_lookup.LookupResult,
    verdicts: list[Verdict],
    started: datetime,
    elapsed: float,
) -> str:
    lines = [
        "# Benchmark results (issue 6)",
        "",
        "Regenerated by `make bench` (bench/__main__.py); do not edit by hand.",
        "",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC, run took {elapsed:.0f} s",
        f"- Machine: {platform.node()}, {platform.machine()}, {os.cpu_count()} CPUs,"
        f" {_cpu_model()}, {_mem_total()}",
        f"- Python {platform.python_version()}, aiogram {version('aiogram')},"
        f" SQLAlchemy {version('sqlalchemy')}, asyncpg {version('asyncpg')},"
        f" aiohttp {version('aiohttp')}, PostgreSQL {_pg_version}",
        f"- Load: (a) {SATURATION.reporters} reporters, no think time,"
        f" {SATURATION.window:.0f} s window after {SATURATION.warmup:.0f} s warm-up;"
        f" (b) {PEOPLE.reporters} reporters, think time uniform 0–{2 * PEOPLE.think_mean:.0f} s"
        f" (mean {PEOPLE.think_mean:.0f} s), arriving over {PEOPLE_RAMP:.0f} s (one flow's"
        f" length), {PEOPLE.window:.0f} s window after {PEOPLE.warmup:.0f} s;"
        f" (d) {DRAFTS:,} open drafts, two batches of"
        f" {RESUME_BATCH:,} reporters resuming theirs (one message each, 200 at a time).",
        f"- A report flow is {len(REPORT_FLOW)} updates: /start … Kirim (the public's path, a link"
        " as evidence), then `/status CODE`. The echo bot gets the"
        " same inputs (texts and button presses) and answers each with one message.",
        "- Latency: from getUpdates handing the update to the bot until the bot's first"
        " sendMessage/editMessageText to that chat. CPU: 100% = one core. Harness = this process"
        " (fake Bot API server + simulated people). DB CPU = the PostgreSQL backends serving the"
        " bot's database; lock waits = mean sessions waiting on a row lock (pg_stat_activity).",
        "",
        HEADER,
        "|" + "---|" * len(COLUMNS),
    ]
    for scenario in (A, B, D1, D2):
        for run in (bot, echo):
            r = run.rows[scenario]
            lines.append(f"| {scenario} | {run.name} | " + " | ".join(_cells(r)) + " |")
    r = lite.rows[A_SQLITE]
    lines.append(f"| {A_SQLITE} | {lite.name} | " + " | ".join(_cells(r)) + " |")
    lines += [
        "",
        "| bot | peak RSS (VmHWM) | RSS after warm-up → drafts batch 1 → batch 2 |",
        "|---|---|---|",
    ]
    for run in (bot, echo):
        steps = " → ".join(f"{m:.1f}" for m in run.rss_mib)
        lines.append(f"| {run.name} | {run.peak_rss_mib:.1f} MiB | {steps} MiB |")
    lines += [
        "",
        f"Status look-up (c): {lookup.tickets:,} tickets generated in SQL"
        f" in {lookup.fill_seconds:.0f} s;"
        f" a tenth with a follow-up question; `storage.tickets.status_now` (the bot's look-up"
        f" on PostgreSQL) DB time (EXPLAIN ANALYZE planning + execution)"
        f" mean {lookup.db_ms_mean:.3f} ms, p99 {lookup.db_ms_p99:.3f} ms; whole call from Python"
        f" (driver + round trip) mean {lookup.client_ms_mean:.3f} ms,"
        f" p99 {lookup.client_ms_p99:.3f} ms.",
        "",
        "```",
        lookup.plan,
        "```",
        "",
        "Statements of the report bot seen waiting on a lock (samples, all phases):",
        "",
        *([f"- {n} × `{q}`" for q, n in bot.blocked.most_common(5)] or ["- none"]),
        "",
        "| target | value | wanted | |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {v.name} | {v.value} | {v.target} | {'pass' if v.ok else 'FAIL'} |" for v in verdicts
    ]
    if PROFILE and PROFILE_FILE.exists():
        lines += [
            "",
            "Profile of the report bot during (a) (py-spy, BENCH_PROFILE=1):",
            "",
            "```",
            summarise(PROFILE_FILE),
            "```",
        ]
    errors = bot.errors + echo.errors + lite.errors
    if errors:
        lines += ["", "First errors:", ""] + [f"- {e}" for e in errors[:10]]
    return "\n".join(lines) + "\n"


_pg_version = "?"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _mem_total() -> str:
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        return f"{kib / 1024 / 1024:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        return "? RAM"


def _write_results(text: str) -> None:
    Path(os.environ.get("BENCH_RESULTS", ROOT / "bench" / "RESULTS.md")).write_text(text)


async def _upgrade(database_url: str) -> None:
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


async def amain() -> int:
    global _pg_version
    started, t0 = datetime.now(UTC), time.perf_counter()
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG)
    _pg_version = str(await admin.fetchval("SHOW server_version"))
    await admin.execute(f'CREATE DATABASE "{name}"')
    dsn = PG.rsplit("/", 1)[0] + f"/{name}"
    try:
        await _upgrade(dsn)
        with tempfile.TemporaryDirectory(prefix="lapor-bench-") as tmp:
            logdir = Path(tmp)
            head = [f"{c:>{max(9, len(c))}}" for c in COLUMNS[2:]]
            print(f"  {'scenario':<15} {'bot':<6} " + " ".join(head))
            bot = await bench_bot("report", REPORT_CMD, dsn, logdir, True)
            lite = await bench_sqlite(logdir)
            echo = await bench_bot(
                "echo", [sys.executable, "-m", "bench.echo_bot"], dsn, logdir, False
            )
            log_tail = (await asyncio.to_thread((logdir / "report.log").read_text))[-3000:]
        if ONLY_A:
            echo_a = echo.rows[A].updates_s
            print(
                f"(a) updates/s report ÷ echo: PostgreSQL {bot.rows[A].updates_s / echo_a:.3f},"
                f" SQLite {lite.rows[A_SQLITE].updates_s / echo_a:.3f}"
            )
            return 0
        print(f"  (c) filling {TICKETS:,} tickets and timing status look-ups…", flush=True)
        url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
        lookup = await status_lookup.run(dsn, url, Keys.derive(SECRET), TICKETS, 2_000)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    verdicts = _verdicts(bot, echo, lite, lookup)
    text = _markdown(bot, echo, lite, lookup, verdicts, started, time.perf_counter() - t0)
    await asyncio.to_thread(_write_results, text)
    print()
    print(text)
    if bot.errors and log_tail.strip():
        print("report bot log (tail):\n" + log_tail)
    return 0 if all(v.ok for v in verdicts) else 1


def main() -> int:
    return asyncio.run(amain())


if __name__ == "__main__":
    sys.exit(main())
