"""The outbox delivery worker: sends what storage/outbox.py says is owed, within Telegram's limits.

One request is in flight at a time and each outcome is committed before the next send, so a
message goes out twice only if the process dies after Telegram accepted it and before the
commit, and it is never lost: a row leaves `pending` only once Telegram has answered.

Every due-time decision (retries, pauses, pacing) reads the injected clock, so tests move
time instead of sleeping. Logs name rows by id and purpose, never by chat or content.

Any number of workers may share a database: a row is claimed for a while (a lease) before it
is sent, so no two send it, and a killed worker's rows are taken over once the claim lapses.
Pacing is per process unless a shared budget (Redis) is given.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from flows.outbound import Summary
from handlers.render import Renderer
from handlers.telegram.answers import Action, Answer, Verdict
from handlers.telegram.client import BotApi
from handlers.telegram.outbound import Call, TelegramOutbound
from storage import outbox
from storage.crypto import Keys
from storage.db import Database
from storage.models import OutboxMessage, utcnow
from storage.shared import Shared

log = logging.getLogger(__name__)

PermanentFailureHook = Callable[[AsyncSession, OutboxMessage], Awaitable[None]]
# Makes the calls for a row whose content is made when it is sent (a monthly summary).
MakeLater = Callable[[outbox.Due], Awaitable[list[Call]]]

# A 429 does not say whether the chat or the whole bot sent too much, so every 429 also pauses
# all sending briefly; the chat itself waits the full retry_after.
FLOOD_PAUSE = 1.0
# Consecutive 5xx/network errors pause everything, doubling from this up to the cap, so an
# outage is probed gently instead of hammered once per row.
OUTAGE_PAUSE, OUTAGE_PAUSE_MAX = 0.25, 30.0
RECORD_ATTEMPTS = 3  # a lost outcome means a resend, so a failed commit is retried

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")
_LONG_NUMBER = re.compile(r"-?\d{5,}")


class _Window:
    """At most `limit` sends in any `period` seconds: Telegram states its limits this way."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = timedelta(seconds=period)
        self.sent: deque[datetime] = deque()

    def free_at(self, now: datetime) -> datetime | None:
        """None when a send is allowed now, else when the next one will be."""
        while self.sent and self.sent[0] <= now - self.period:
            self.sent.popleft()
        return None if len(self.sent) < self.limit else self.sent[0] + self.period

    def take(self, now: datetime) -> None:
        self.sent.append(now)


def _per_second(rate: float) -> tuple[int, float]:
    """A rate as (limit, period): 30 -> 30 per 1 s, 1 -> 1 per 1 s, 0.5 -> 1 per 2 s."""
    if rate <= 0:
        raise ValueError("rates must be positive")
    limit = max(1, math.floor(rate))
    return limit, limit / rate


def _safe(text: str) -> str:
    """An error text fit for logs and the plain `error` column: no quoted text, no ids."""
    return _LONG_NUMBER.sub("<n>", _QUOTED.sub('"…"', text))[:150]


def _describe(answer: Answer) -> str:
    return f"{answer.name}: {_safe(answer.error)}"


class DeliveryWorker:
    def __init__(
        self,
        db: Database,
        keys: Keys,
        api: BotApi,
        renderer: Renderer,
        *,
        clock: Callable[[], datetime] = utcnow,
        overall_per_second: float = 30.0,
        per_group_per_minute: int = 20,
        per_private_chat_per_second: float = 1.0,
        on_permanent_failure: PermanentFailureHook | None = None,
        idle_poll_seconds: float = 0.5,
        batch: int = 50,
        shared: Shared | None = None,
        later: MakeLater | None = None,
    ) -> None:
        self._db = db
        self._later = later
        self._keys = keys
        self._api = api
        self._policy = api.policy
        self._telegram = TelegramOutbound(renderer)
        self._clock = clock
        self._overall_limit = _per_second(overall_per_second)
        self._overall = _Window(*self._overall_limit)
        self._shared = shared  # several workers: the budgets are counted in Redis
        self._group_limit = (per_group_per_minute, 60.0)
        self._private_limit = _per_second(per_private_chat_per_second)
        self._on_permanent_failure = on_permanent_failure
        self._idle_poll = idle_poll_seconds
        self._batch = batch
        self._chats: dict[str, _Window] = {}  # by chat_key: pacing without knowing the chat
        self._chat_paused: dict[str, datetime] = {}  # by chat_key, after a 429
        self._paused_until = _EPOCH  # all sending
        self._outage_streak = 0
        self._next_ready: datetime | None = None  # earliest moment a deferred row may go
        # Transient failures per row still pending, for its back-off: a 429 is waited out
        # exactly and adds nothing. Kept in memory: after a restart a row starts again at the
        # first step, which only makes it try a little sooner.
        self._backoff_steps: dict[int, int] = {}
        self._wake = asyncio.Event()
        self._stop: asyncio.Event | None = None

    def wake(self) -> None:
        """Call after committing enqueued rows so they go out without waiting for a poll."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        self._stop = stop
        watcher = asyncio.create_task(self._wake_on(stop))
        try:
            while not stop.is_set():
                self._wake.clear()
                try:
                    attempted = await self.run_once()
                except Exception as error:  # one bad pass (database down) must not end delivery
                    log.error(
                        "delivery pass failed (%s); retrying",
                        type(error).__name__,
                        exc_info=log.isEnabledFor(logging.DEBUG),
                    )
                    self._pause_all(self._clock() + timedelta(seconds=1))
                    attempted = 0
                if attempted:
                    await asyncio.sleep(0)  # let other tasks in; more may be due already
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._idle_seconds())
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            self._stop = None

    async def _wake_on(self, stop: asyncio.Event) -> None:
        await stop.wait()
        self._wake.set()

    def _idle_seconds(self) -> float:
        """Until the earliest known reason to look again, never longer than the poll."""
        now = self._clock()
        ready = [t for t in (self._next_ready, self._paused_until) if t is not None and t > now]
        if not ready:
            return self._idle_poll
        return min(self._idle_poll, max(0.001, (min(ready) - now).total_seconds()))

    async def run_once(self) -> int:
        """One pass over due rows; returns how many were sent to Telegram (any outcome)."""
        now = self._clock()
        self._next_ready = None
        if now < self._paused_until:
            return 0
        async with self._db.unit_of_work() as session:
            rows = await outbox.claim_due(session, now, self._batch)
        self._forget_idle_chats(now)
        attempted = 0
        began = now
        left = [due.id for due in rows]  # claimed and not yet sent: handed back at the end
        try:
            attempted = await self._send_claimed(rows, left, began)
        finally:
            if left:
                await self._record(lambda s: outbox.release(s, left))
        return attempted

    async def _send_claimed(self, rows: list[outbox.Due], left: list[int], began: datetime) -> int:
        attempted = 0
        # Well within the claim: a row is never still ours after another worker may take it.
        horizon = began + timedelta(seconds=outbox.CLAIM_SECONDS / 2)
        for due in rows:  # claim_due gives at most one row per chat, oldest chats first
            if self._stop is not None and self._stop.is_set():
                break
            now = self._clock()
            if now < self._paused_until or now > horizon:
                break
            paused = self._chat_paused.get(due.chat_key)
            if paused is not None and paused > now:
                self._defer(paused)  # waiting out a 429: other chats go on
                continue
            ready, chat_only = await self._take_budget(due, now)
            if ready is not None:
                self._defer(ready)  # paced: left for a later pass
                if chat_only:
                    continue  # other chats go on
                break
            attempted += 1
            left.remove(due.id)
            if not await self._deliver(due):
                break
        return attempted

    async def _take_budget(self, due: outbox.Due, now: datetime) -> tuple[datetime | None, bool]:
        """Count this send against the chat's and the bot's budget: (None, _) when both had
        room; else when there will be, and whether only the chat was out of room."""
        limit, period = self._group_limit if due.is_group else self._private_limit
        if self._shared is not None:
            wait, which = await self._shared.take(
                int((now - _EPOCH).total_seconds() * 1000),
                [(f"pace:chat:{due.chat_key}", limit, period), ("pace:all", *self._overall_limit)],
            )
            if not which:
                return None, False
            return now + timedelta(seconds=wait), which == 1
        chat_window = self._window_for(due)
        chat_ready = chat_window.free_at(now)
        if chat_ready is not None:
            return chat_ready, True
        overall_ready = self._overall.free_at(now)
        if overall_ready is not None:
            return overall_ready, False
        self._overall.take(now)
        chat_window.take(now)
        return None, False

    def _window_for(self, due: outbox.Due) -> _Window:
        window = self._chats.get(due.chat_key)
        if window is None:
            limit = self._group_limit if due.is_group else self._private_limit
            window = self._chats[due.chat_key] = _Window(*limit)
        return window

    def _forget_idle_chats(self, now: datetime) -> None:
        # Memory stays proportional to recently active chats, not to everyone ever served.
        for key in [k for k, w in self._chats.items() if w.free_at(now) is None and not w.sent]:
            del self._chats[key]
        for key in [k for k, until in self._chat_paused.items() if until <= now]:
            del self._chat_paused[key]

    def _defer(self, at: datetime) -> None:
        self._next_ready = at if self._next_ready is None else min(self._next_ready, at)

    def _pause_all(self, until: datetime) -> None:
        self._paused_until = max(self._paused_until, until)

    async def _deliver(self, due: outbox.Due) -> bool:
        """Send one row and record the outcome; False when the pass should stop."""
        try:
            if due.channel != "telegram":
                raise KeyError(due.channel)
            if isinstance(due.op, Summary):
                if self._later is None:
                    raise KeyError("summary")
                calls = await self._later(due)  # made now, from the figures as they are now
            else:
                calls = self._telegram.calls(due)
        except KeyError as error:
            # A row that cannot even be built will not get better by retrying.
            await self._fail(due, f"cannot build {due.method or 'row'}: {error}")
            return True
        if not calls:  # nothing is owed any more (the koordinator left or opted out)
            await self._record(lambda s: outbox.mark_sent(s, due.id, None))
            return True
        sent: int | None = None
        # Later calls (the unban after a ban) only follow a first one that worked; the row's
        # outcome is the first call that did not, or the last one.
        for call in calls:
            answer = await self._api.call(call.method, call.params, upload=call.upload)
            verdict = self._policy.judge(call.method, answer, self._backoff_steps.get(due.id, 0))
            if verdict.action is not Action.DONE:
                break
            if call is calls[0]:
                # "Already done" (an edit that changes nothing) names no message: keep the row's.
                sent = answer.message_id if answer.ok else call.params.get("message_id")
        if verdict.action is Action.DONE:
            self._outage_streak = 0
            self._backoff_steps.pop(due.id, None)
            await self._record(lambda s: outbox.mark_sent(s, due.id, sent))
        elif verdict.action is Action.FOLLOW:
            await self._follow(due, verdict)
        elif verdict.action is Action.PAUSE:
            # A bad token says nothing about the row: leave every row as it is.
            log.error("delivery paused: Telegram refused the bot token (401)")
            self._pause_all(self._clock() + timedelta(seconds=verdict.wait))
            return False
        elif verdict.action is Action.FAIL:
            self._backoff_steps.pop(due.id, None)
            await self._fail(due, _describe(answer))
        elif verdict.backoff_step:
            await self._back_off(due, answer, verdict)
        else:
            await self._flood_wait(due, answer, verdict)
        return True

    async def _flood_wait(self, due: outbox.Due, answer: Answer, verdict: Verdict) -> None:
        now = self._clock()
        until = now + timedelta(seconds=verdict.wait)
        self._chat_paused[due.chat_key] = until
        self._pause_all(now + timedelta(seconds=min(verdict.wait, FLOOD_PAUSE)))
        wait = f"{verdict.wait:g}"
        log.warning("outbox %d (%s): 429, retry in %ss", due.id, due.purpose, wait)
        note = f"429 retry after {wait}s"
        await self._record(lambda s: outbox.mark_retry(s, due.id, until, note))

    async def _back_off(self, due: outbox.Due, answer: Answer, verdict: Verdict) -> None:
        self._outage_streak += 1
        self._backoff_steps[due.id] = self._backoff_steps.get(due.id, 0) + verdict.backoff_step
        now = self._clock()
        at = now + timedelta(seconds=verdict.wait)
        pause = min(OUTAGE_PAUSE_MAX, OUTAGE_PAUSE * 2 ** min(self._outage_streak - 1, 16))
        self._pause_all(now + timedelta(seconds=pause))
        kind = "network" if answer.status == 0 else "server"
        log.warning("outbox %d (%s): %s error, backing off", due.id, due.purpose, kind)
        note = _describe(answer)
        await self._record(lambda s: outbox.mark_retry(s, due.id, at, note))

    async def _follow(self, due: outbox.Due, verdict: Verdict) -> None:
        log.info("outbox %d (%s): group became a supergroup; following", due.id, due.purpose)
        old, new, now = due.chat_id, verdict.migrate_to, self._clock()
        assert new is not None

        async def follow(session: AsyncSession) -> None:
            await outbox.retarget(session, self._keys, old, new)
            await outbox.mark_retry(session, due.id, now, "migrated to a supergroup")

        await self._record(follow)
        self.wake()

    async def _fail(self, due: outbox.Due, error: str) -> None:
        log.warning("outbox %d (%s): failed permanently: %s", due.id, due.purpose, error)
        hook = self._on_permanent_failure

        async def fail(session: AsyncSession) -> None:
            row = await outbox.mark_failed(session, due.id, error)
            if hook is not None:
                await hook(session, row)

        if hook is None:
            await self._record(fail)
            return
        try:
            await self._record(fail, retries=1)
        except Exception as hook_error:
            # The alert failed; still settle the row, or it would be resent and fail forever.
            log.error(
                "outbox %d (%s): permanent-failure handler failed (%s)",
                due.id,
                due.purpose,
                type(hook_error).__name__,
            )
            await self._record(lambda s: outbox.mark_failed(s, due.id, error))

    async def _record(
        self,
        work: Callable[[AsyncSession], Awaitable[Any]],
        *,
        retries: int = RECORD_ATTEMPTS,
    ) -> None:
        """Commit one outcome in its own unit of work, retrying transient database errors."""
        for attempt in range(1, retries + 1):
            try:
                async with self._db.unit_of_work() as session:
                    await work(session)
                return
            except SQLAlchemyError as error:
                if attempt == retries:
                    raise
                log.warning("recording an outcome failed (%s); retrying", type(error).__name__)
                await asyncio.sleep(0.1 * attempt)
