"""The bench's verdicts (each target of issues 6 and 14) and bench/RESULTS.md."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

from bench import runtimes as rt
from bench import status_lookup
from bench.hotspots import summarise
from bench.load import REPORT_FLOW
from bench.procs import COLUMNS, HEADER, BotRun, cells
from bench.runtimes import RuntimeRuns
from bench.scenarios import (
    A_SQLITE,
    D1,
    D2,
    DRAFTS,
    PEOPLE,
    PEOPLE_RAMP,
    PROFILE,
    PROFILE_FILE,
    RESUME_BATCH,
    RSS_GROWTH_MIB,
    SATURATION,
    TARGET_LOOKUP_MS,
    TARGET_P99,
    TARGET_RSS,
    TARGET_THROUGHPUT,
    A,
    B,
)


@dataclass
class Verdict:
    name: str
    value: str
    target: str
    ok: bool


def verdicts(
    bot: BotRun,
    echo: BotRun,
    lite: BotRun,
    lookup: status_lookup.LookupResult,
    runtimes: RuntimeRuns,
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
        *runtime_verdicts(runtimes),
    ]


def runtime_verdicts(runtimes: RuntimeRuns) -> list[Verdict]:
    rows, costs = runtimes.run.rows, runtimes.costs
    ptb = rows[rt.POLL_PTB].updates_s / max(rows[rt.POLL_AIOGRAM].updates_s, 1e-9)
    hooks = rows[rt.HOOK_PTB].updates_s / max(rows[rt.HOOK_AIOGRAM].updates_s, 1e-9)
    one = costs[rt.ONE_WORKER].cpu_ms_per_update
    cpu = costs[rt.TWO_WORKERS].cpu_ms_per_update / max(one, 1e-9)
    extra = sum(c.extra_messages for c in costs.values())
    return [
        Verdict("(e) updates/s PTB ÷ aiogram, polling", f"{ptb:.3f}", "≥ 0.5", ptb >= 0.5),
        Verdict("(e) updates/s PTB ÷ aiogram, webhook", f"{hooks:.3f}", "≥ 0.5", hooks >= 0.5),
        Verdict("(e) CPU per update, 2 workers ÷ 1 (Redis)", f"{cpu:.2f}", "≤ 1.15", cpu <= 1.15),
        Verdict("(e) double handling (extra messages)", str(extra), "0", extra == 0),
        Verdict(
            "(e) every simulated step answered",
            f"{len(runtimes.run.errors)} errors",
            "0",
            not runtimes.run.errors,
        ),
    ]


def runtime_lines(runtimes: RuntimeRuns) -> list[str]:
    """(e)'s rows, then the cost of each update."""
    lines = [
        "",
        f"(e) Runtimes and webhooks: {rt.LOAD.reporters} reporters, no think time,"
        f" {rt.LOAD.window:.0f} s window after {rt.LOAD.warmup:.0f} s, each row on a fresh bot"
        " process (or two) against the same PostgreSQL. Webhook rows: the fake Bot API posts"
        " each update (one chat's one at a time, as Telegram does), latency from the post."
        " Workers: Redis shared, behind a round-robin proxy in the harness; bot CPU is all"
        " workers' together.",
        "",
        HEADER,
        "|" + "---|" * len(COLUMNS),
    ]
    for scenario in rt.ROWS:
        r = runtimes.run.rows[scenario]
        lines.append(f"| {scenario} | report | " + " | ".join(cells(r)) + " |")
    lines += ["", "| (e) scenario | bot CPU ms per update | extra messages |", "|---|---|---|"]
    for scenario in rt.ROWS:
        c = runtimes.costs[scenario]
        lines.append(f"| {scenario} | {c.cpu_ms_per_update:.2f} | {c.extra_messages} |")
    return lines


def markdown(
    bot: BotRun,
    echo: BotRun,
    lite: BotRun,
    lookup: status_lookup.LookupResult,
    runtimes: RuntimeRuns,
    verdicts: list[Verdict],
    started: datetime,
    elapsed: float,
    pg_version: str,
) -> str:
    lines = [
        "# Benchmark results (issues 6 and 14)",
        "",
        "Regenerated by `make bench` (bench/__main__.py); do not edit by hand.",
        "",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC, run took {elapsed:.0f} s",
        f"- Machine: {platform.node()}, {platform.machine()}, {os.cpu_count()} CPUs,"
        f" {_cpu_model()}, {_mem_total()}",
        f"- Python {platform.python_version()}, aiogram {version('aiogram')},"
        f" SQLAlchemy {version('sqlalchemy')}, asyncpg {version('asyncpg')},"
        f" aiohttp {version('aiohttp')}, python-telegram-bot {version('python-telegram-bot')},"
        f" PostgreSQL {pg_version}, redis-py {version('redis')}",
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
            lines.append(f"| {scenario} | {run.name} | " + " | ".join(cells(r)) + " |")
    r = lite.rows[A_SQLITE]
    lines.append(f"| {A_SQLITE} | {lite.name} | " + " | ".join(cells(r)) + " |")
    lines += runtime_lines(runtimes)
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
