"""Simulated people: closed loops of one input, wait for the bot's answer, think, repeat."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from bench.fakeserver import BenchAPI

CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")
NARRATIVE = "Ada akun @penawar_anak di MiChat yang menawarkan anak SMP. Narasi uji beban."
STEP_TIMEOUT = 60.0


@dataclass(frozen=True)
class Step:
    kind: str  # "text" or "tap"
    value: str  # text to send, or button label to press ("{code}" is filled in)
    replies: int  # bot messages that complete the step


# A complete report (as tests/handlers/test_reporting_e2e.py walks it) and a status check.
REPORT_FLOW: tuple[Step, ...] = (
    Step("text", "/start", 2),
    Step("tap", "Lapor", 2),
    Step("tap", "Masyarakat umum", 1),
    Step("tap", "Tidak", 1),
    Step("tap", "Tetangga/kenalan", 1),
    Step("tap", "Prostitusi online anak", 1),
    Step("tap", "Iklan/tawaran daring", 2),  # the evidence warning, then the question
    Step("text", "t.me/penawar_anak_sby @penawar_anak", 1),
    Step("tap", "Selesai", 1),  # the link says Telegram: no platform question
    Step("text", "sidoarjo", 1),
    Step("tap", "Kabupaten Sidoarjo, Jawa Timur", 1),
    Step("tap", "Lewati", 1),
    Step("text", NARRATIVE, 1),
    Step("tap", "Hari ini", 1),
    Step("tap", "Tidak usah", 1),
    Step("tap", "Kirim", 3),
    Step("text", "/status {code}", 2),
)

# The same inputs (text or button press, in the same order) for the echo bot: one answer each.
ECHO_FLOW: tuple[Step, ...] = tuple(
    Step(s.kind, "Lanjut" if s.kind == "tap" else s.value, 1) for s in REPORT_FLOW
)


@dataclass
class Outcome:
    reports: list[float] = field(default_factory=list)  # completion times
    errors: list[str] = field(default_factory=list)
    extra: int = 0  # bot messages beyond what the flow expects: an update handled twice


@dataclass(frozen=True)
class Load:
    reporters: int
    think_mean: float  # seconds; 0 = saturation
    warmup: float  # seconds before the measuring window opens
    window: float  # seconds measured
    ramp: float | None = None  # arrivals spread over this many seconds (default: one think)


@dataclass
class Window:
    start: float
    end: float
    outcome: Outcome

    def latencies(self, api: BenchAPI) -> list[float]:
        return [lat for at, lat in api.latencies if self.start <= at < self.end]

    def reports(self) -> int:
        return sum(1 for t in self.outcome.reports if self.start <= t < self.end)


async def _do(api: BenchAPI, uid: int, step: Step, code: str) -> bool:
    user = api.user(uid)
    target = api.sent[uid] + step.replies
    if step.kind == "text":
        await user.send(step.value.replace("{code}", code))
    else:
        await user.press(step.value)
    return await api.wait_sent(uid, target, STEP_TIMEOUT)


async def run_flow(
    api: BenchAPI,
    uid: int,
    flow: tuple[Step, ...],
    think_mean: float,
    stop_at: float,
    outcome: Outcome,
    rng: random.Random,
) -> None:
    code = "0000-0000-0000"
    expected = api.sent[uid]
    for index, step in enumerate(flow):
        expected += step.replies
        if think_mean > 0:
            await asyncio.sleep(rng.uniform(0, 2 * think_mean))
        if time.perf_counter() >= stop_at:
            return
        try:
            ok = await _do(api, uid, step, code)
        except AssertionError as e:  # a button that is not there: the flow went elsewhere
            outcome.errors.append(f"step {index} {step.value!r}: {str(e).splitlines()[0]}")
            return
        if not ok:
            outcome.errors.append(f"step {index} {step.value!r}: no answer in {STEP_TIMEOUT}s")
            return
        if api.sent[uid] > expected:
            outcome.extra += api.sent[uid] - expected
            expected = api.sent[uid]
        if step.value == "Kirim" and step.replies > 1:
            found = next(
                (m for m in reversed(api.history(uid)) if m.from_bot and CODE.search(m.plain)),
                None,
            )
            match = CODE.search(found.plain) if found else None
            if match is None:
                outcome.errors.append("no ticket code after Kirim")
                return
            code = match.group(0)
    outcome.reports.append(time.perf_counter())


async def run_load(
    api: BenchAPI, load: Load, flow: tuple[Step, ...], ids: Iterator[int], seed: int = 1
) -> Window:
    """N reporters, each starting a new report (a new person) when one is done."""
    outcome = Outcome()
    start = time.perf_counter()
    stop_at = start + load.warmup + load.window

    async def reporter(n: int) -> None:
        rng = random.Random(seed * 100_003 + n)
        ramp = 2 * load.think_mean if load.ramp is None else load.ramp
        if ramp > 0:  # spread the arrivals
            await asyncio.sleep(rng.uniform(0, ramp))
        while time.perf_counter() < stop_at:
            uid = next(ids)
            await run_flow(api, uid, flow, load.think_mean, stop_at, outcome, rng)
            api.forget(uid)

    tasks = [asyncio.create_task(reporter(n)) for n in range(load.reporters)]
    await asyncio.sleep(max(0.0, stop_at - time.perf_counter()))
    # Let steps in flight finish so the next phase starts on an idle bot.
    _, pending = await asyncio.wait(tasks, timeout=STEP_TIMEOUT + 5)
    for task in pending:
        task.cancel()
    for task in pending:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    api.trim()
    return Window(start + load.warmup, stop_at, outcome)


async def one_message_each(
    api: BenchAPI, uids: list[int], concurrency: int, text: str = "halo"
) -> Window:
    """Each person sends one message and waits for the first answer (drafts resumed)."""
    outcome = Outcome()
    queue = iter(uids)
    start = time.perf_counter()

    async def worker() -> None:
        for uid in queue:
            if not await _do(api, uid, Step("text", text, 1), ""):
                outcome.errors.append(f"user {uid}: no answer")
            api.forget(uid)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    api.trim()
    return Window(start, time.perf_counter(), outcome)


def id_range(first: int) -> Iterator[int]:
    return itertools.count(first)
