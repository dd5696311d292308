"""`make bench`: the report bot against a bare aiogram echo bot on one fake Bot API server.

Both bots run as separate processes (so their CPU and peak RSS are their own), driven by
the same simulated people in this process. Prints a table, writes bench/RESULTS.md and
exits non-zero when a target of issue 6 or 14 is missed.

Knobs (environment): BENCH_SCALE (default 1.0) scales the measuring windows,
BENCH_REPORTERS_B the reporters of scenario (b), BENCH_TICKETS the tickets of (c),
BENCH_RESULTS where the markdown goes, BENCH_PROFILE=1 runs py-spy on the report bot during
(a) and adds its hot spots to the results. BENCH_ONLY=a runs only the warm-up and (a) (on
PostgreSQL and on SQLite) and prints the ratios without rewriting RESULTS.md: the quick way
to compare two versions on one machine; BENCH_ONLY=e runs only (e), the runtimes and webhook
workers (bench/runtimes.py), likewise.

(a) also runs the report bot on the SQLite embedded default, against the same echo figure
(the echo bot has no database).
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from bench import results, status_lookup
from bench.dbstat import DbMeter
from bench.fakeserver import BenchAPI
from bench.load import (
    ECHO_FLOW,
    REPORT_FLOW,
    Load,
    Outcome,
    id_range,
    one_message_each,
    run_flow,
    run_load,
)
from bench.procs import (
    BIN,
    COLUMNS,
    ROOT,
    SECRET,
    BotRun,
    bot_env,
    phase,
    start_bot,
    stop_bot,
    upgrade,
)
from bench.procstat import memory_kib
from bench.runtimes import bench_runtimes
from bench.scenarios import (
    A_SQLITE,
    D1,
    D2,
    DRAFTS,
    ONLY,
    ONLY_A,
    PEOPLE,
    PG,
    PROFILE,
    PROFILE_FILE,
    REPORT_CMD,
    RESUME_BATCH,
    SATURATION,
    TICKETS,
    WARMUP,
    A,
    B,
)
from storage.crypto import Keys


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
    await upgrade(url)
    async with BenchAPI() as api:
        proc = await start_bot(REPORT_CMD, bot_env(api, url), logdir / "report-sqlite.log", api)
        try:
            await run_load(api, WARMUP, REPORT_FLOW, id_range(1_000_000))
            work = run_load(api, SATURATION, REPORT_FLOW, id_range(3_000_000))
            await phase(run, A_SQLITE, api, proc.pid, None, work)
        finally:
            await stop_bot(proc)
    return run


async def bench_bot(name: str, cmd: list[str], dsn: str, logdir: Path, report: bool) -> BotRun:
    """Warm-up, (d) two batches of resumed drafts, (a) saturation, (b) people."""
    run = BotRun(name)
    keys = Keys.derive(SECRET)
    db = DbMeter(dsn, dsn.rsplit("/", 1)[1])
    flow = REPORT_FLOW if report else ECHO_FLOW
    async with BenchAPI() as api:
        url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
        proc = await start_bot(cmd, bot_env(api, url), logdir / f"{name}.log", api)
        pid = proc.pid
        try:
            await run_load(api, WARMUP, flow, id_range(1_000_000))
            if ONLY_A:
                work = run_load(api, SATURATION, flow, id_range(3_000_000))
                await phase(run, A, api, pid, db, work)
                return run
            if report:  # the echo bot has no drafts, but gets the very same messages
                state = await _seed_draft(api, dsn, keys)
                await _insert_drafts(dsn, keys, state, 2_000_000, DRAFTS)
            run.rss_mib.append(memory_kib(pid)[0] / 1024)
            for batch, scenario in enumerate((D1, D2)):
                first = 2_000_000 + batch * RESUME_BATCH
                uids = list(range(first, first + RESUME_BATCH))
                await phase(run, scenario, api, pid, db, one_message_each(api, uids, 200))
                run.rss_mib.append(memory_kib(pid)[0] / 1024)
            spy = await _profiler(pid, SATURATION) if report and PROFILE else None
            await phase(run, A, api, pid, db, run_load(api, SATURATION, flow, id_range(3_000_000)))
            if spy is not None:
                await spy.wait()
            await phase(run, B, api, pid, db, run_load(api, PEOPLE, flow, id_range(4_000_000)))
            run.peak_rss_mib = memory_kib(pid)[1] / 1024
        finally:
            await stop_bot(proc)
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


def _write_results(text: str) -> None:
    Path(os.environ.get("BENCH_RESULTS", ROOT / "bench" / "RESULTS.md")).write_text(text)


async def amain() -> int:
    started, t0 = datetime.now(UTC), time.perf_counter()
    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG)
    pg_version = str(await admin.fetchval("SHOW server_version"))
    await admin.execute(f'CREATE DATABASE "{name}"')
    dsn = PG.rsplit("/", 1)[0] + f"/{name}"
    try:
        await upgrade(dsn)
        with tempfile.TemporaryDirectory(prefix="lapor-bench-") as tmp:
            logdir = Path(tmp)
            head = [f"{c:>{max(9, len(c))}}" for c in COLUMNS[2:]]
            print(f"  {'scenario':<15} {'bot':<6} " + " ".join(head))
            if ONLY == "e":
                runs = await bench_runtimes(dsn, logdir)
                for verdict in results.runtime_verdicts(runs):
                    print(f"{verdict.name}: {verdict.value} (wanted {verdict.target})")
                print("\n".join(results.runtime_lines(runs)))
                return 0
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
            runs = await bench_runtimes(dsn, logdir)
        print(f"  (c) filling {TICKETS:,} tickets and timing status look-ups…", flush=True)
        url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
        lookup = await status_lookup.run(dsn, url, Keys.derive(SECRET), TICKETS, 2_000)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    verdicts = results.verdicts(bot, echo, lite, lookup, runs)
    elapsed = time.perf_counter() - t0
    text = results.markdown(bot, echo, lite, lookup, runs, verdicts, started, elapsed, pg_version)
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
