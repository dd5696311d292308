"""One update through the core: read it (events.py), then staff first where staff may be meant
(falling back to the reporter when staff say it is not theirs), else the reporter's service;
replies go out through the client and a button press is acknowledged.

Every Telegram runtime hands its updates to `TelegramEdge.handle` as plain dicts. Each
person's updates run in their own lane, one after the other (lanes.py): handing one over
returns at once, so a person who floods the bot, or whose chat Telegram slows down, holds up
only themselves. Past `messages_per_minute`, or with a full lane, an update is not handled;
the person is told once a minute, in their language, to slow down (their draft is kept).
With several workers, a person's lock and the limit are shared (ordering.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable, Collection
from typing import Any

from flows.core import N_, Reply
from handlers import metrics
from handlers.casework.service import StaffService
from handlers.rate_limit import Limiter, RateLimiter
from handlers.render import Renderer, plain
from handlers.reporter.service import ReporterService
from handlers.telegram.client import BotApi
from handlers.telegram.direct import DirectLine
from handlers.telegram.events import (
    AckOnly,
    ForReporter,
    ForStaff,
    Update,
    read_update,
)
from handlers.telegram.lanes import Lanes
from handlers.telegram.messages import text_message
from handlers.telegram.ordering import PersonOrder
from handlers.telegram.replies import reporter_sender, staff_sender

log = logging.getLogger(__name__)


TOO_FAST = N_("conv.too_fast")
TOO_FAST_TOAST = N_("conv.too_fast_toast")
TOLD_EVERY = 60.0  # seconds between two "slow down" messages to one person


class TelegramEdge:
    def __init__(
        self,
        api: BotApi,
        renderer: Renderer,
        reporters: ReporterService,
        staff: StaffService | None = None,
        *,
        messages_per_minute: int = 30,
        waiting_per_person: int = 8,
        concurrency: int = 24,
        clock: Callable[[], float] = time.monotonic,
        on_handled: Callable[[int], None] | None = None,
        replayed: Collection[int] = frozenset(),
        order: PersonOrder | None = None,
        limit: Limiter | None = None,
    ) -> None:
        self.api, self.renderer = api, renderer
        self.reporters, self.staff = reporters, staff
        self.line = DirectLine(api)
        self.lanes = Lanes(waiting_per_person, people=concurrency)
        self._limit = RateLimiter(messages_per_minute, 60.0, clock)
        self._shared_limit = limit  # several workers: counted across all of them
        self.order = order
        self._told = RateLimiter(1, TOLD_EVERY, clock)
        self._staff_send = staff_sender(api, renderer)
        # Told when an update is done with (answered, refused or ignored): reception then
        # deletes it from the inbox.
        self.on_handled = on_handled
        self.replayed = replayed  # update ids handed over again after a restart

    @property
    def busy(self) -> frozenset[asyncio.Task[None]]:
        """Lanes and backlogs still working (tests wait for them; shutdown drains them)."""
        return self.lanes.busy | self.line.busy

    async def drain(self, seconds: float) -> None:
        await self.lanes.drain(seconds)

    async def handle(self, update: Update) -> None:
        update_id = update.get("update_id")
        done = update_id if isinstance(update_id, int) else None
        kind, outcome, began = metrics.kind_of(update), "ignored", time.perf_counter()
        try:
            staff = self.staff
            routed = read_update(
                update, staff=staff is not None, bot_username=staff.bot_username if staff else ""
            )
            if routed is None:
                return
            if isinstance(routed, AckOnly):
                outcome = "acknowledged"
                await self._ack(routed.callback_id)
                return
            user_id, language = _person(routed)
            who = f"u{user_id}"
            job = routed
            if self._shared_limit is None:
                limited = self._limit.check(who)
            else:
                limited = await self._shared_limit.allow(self._ref(user_id))
            if not limited and await self.lanes.submit(
                who, lambda: self._run_then_done(job, user_id, update_id, kind, began)
            ):
                done = None  # the lane says when it is done
                return
            outcome = "too_fast"
            await self._slow_down(routed, who, language)
        finally:
            if done is not None:
                self._finished(done, kind, outcome, began)

    async def _run_then_done(
        self,
        routed: ForReporter | ForStaff,
        user_id: int,
        update_id: object,
        kind: str,
        began: float,
    ) -> None:
        try:
            if self.order is None:
                step = await self._run(routed)
            else:
                step = await self._in_order(routed, user_id, update_id)
        except asyncio.CancelledError:
            raise  # cut off (a shutdown past its drain): it stays in the inbox for next time
        except BaseException:
            self._finished(update_id, kind, "failed", began)
            raise
        outcome = "staff" if step == "casework" else "reporter"
        self._finished(update_id, kind, outcome, began, step)

    def _ref(self, user_id: int) -> str:
        assert self.order is not None
        return self.order.ref(user_id)

    async def _in_order(
        self, routed: ForReporter | ForStaff, user_id: int, update_id: object
    ) -> str:
        """Several workers: hold the person everywhere, and first handle what they sent
        before this that still waits in the inbox (perhaps received by another worker)."""
        assert self.order is not None
        ref = self.order.ref(user_id)
        async with self.order.hold(ref):
            if isinstance(update_id, int):
                for earlier in await self.order.earlier(ref, update_id):
                    await self._catch_up(earlier)
            return await self._run(routed)

    async def _catch_up(self, update: Update) -> None:
        earlier_id, began = update.get("update_id"), time.perf_counter()
        staff = self.staff
        routed = read_update(
            update, staff=staff is not None, bot_username=staff.bot_username if staff else ""
        )
        outcome, step = "caught_up", ""
        if isinstance(routed, ForReporter | ForStaff):
            try:
                step = await self._run(routed)
            except Exception as error:  # noqa: BLE001 - its own worker tries it again
                log.error("an earlier update failed (%s)", type(error).__name__)
                return
        self._finished(earlier_id, metrics.kind_of(update), outcome, began, step)

    def _finished(
        self, update_id: object, kind: str, outcome: str, began: float, step: str = ""
    ) -> None:
        seconds = time.perf_counter() - began
        metrics.UPDATES.labels(kind, outcome).inc()
        metrics.UPDATE_SECONDS.labels(kind).observe(seconds)
        # One line per update: what kind, how it ended, how long; never who or what was said.
        if log.isEnabledFor(logging.INFO):
            log.info(
                "update handled",
                extra={
                    "update_kind": kind,
                    "outcome": outcome,
                    "step": step,
                    "ms": round(seconds * 1000, 1),
                },
            )
        if isinstance(update_id, int) and self.on_handled is not None:
            self.on_handled(update_id)

    async def _run(self, routed: ForReporter | ForStaff) -> str:
        """Handle it; the step it left the conversation at ("casework" for staff)."""
        if isinstance(routed, ForStaff):
            staff = self.staff
            assert staff is not None
            event = routed.event
            if event.kind == "connect":
                event = dataclasses.replace(event, bot_admin=await self._bot_admin(event.chat_id))
            result = await staff.handle(event, self._staff_send)
            if routed.callback_id:
                toast = result.toast if result else None
                text = plain(self.renderer.text(toast, "id")) if toast else None
                await self._ack(routed.callback_id, text)
                return "casework"
            if result is not None or routed.otherwise is None:
                return "casework"
            routed = routed.otherwise
        return await self._for_reporter(routed)

    async def _bot_admin(self, chat_id: int) -> bool | None:
        """Whether the bot may remove members in this group (None: Telegram did not say)."""
        bot_id = self.staff.bot_id if self.staff else 0
        if not bot_id:
            return None
        answer = await self.api.call("getChatMember", {"chat_id": chat_id, "user_id": bot_id})
        if not answer.ok or not isinstance(answer.result, dict):
            return None
        return answer.result.get("status") in ("administrator", "creator")

    async def _slow_down(self, routed: ForReporter | ForStaff, who: str, language: str) -> None:
        """An update that will not be handled: its button stops spinning; the person hears,
        at most once a minute, that they are going too fast. One call, never retried."""
        locale = "en" if language.startswith("en") else "id"
        callback_id = routed.callback_id
        if callback_id:
            await self._ack(callback_id, plain(self.renderer.text(Reply(TOO_FAST_TOAST), locale)))
            return
        chat_id = routed.chat_id if isinstance(routed, ForReporter) else routed.event.chat_id
        if chat_id < 0 or self._told.check(who):
            return  # never into a group; once a minute is enough
        text = self.renderer.text(Reply(TOO_FAST), locale)
        await self.api.call("sendMessage", text_message(chat_id, text))

    async def _for_reporter(self, routed: ForReporter) -> str:
        send = reporter_sender(
            self.api, self.line, self.renderer, routed.chat_id, routed.input_message_id
        )
        incoming = routed.incoming
        if incoming.update_id in self.replayed:
            incoming = dataclasses.replace(incoming, replayed=True)
        if not routed.callback_id:
            return await self.reporters.handle(incoming, send)
        # Stop the button's spinner at once, while the answer is worked out.
        ack = asyncio.create_task(self._ack(routed.callback_id))
        try:
            return await self.reporters.handle(incoming, send)
        finally:
            await ack

    async def _ack(self, callback_id: str, text: str | None = None) -> None:
        payload: dict[str, Any] = {"callback_query_id": callback_id}
        if text:
            payload["text"] = text
        await self.api.call("answerCallbackQuery", payload)  # a failure only leaves a spinner


def _person(routed: ForReporter | ForStaff) -> tuple[int, str]:
    """Who sent the update, and their app's language."""
    if isinstance(routed, ForStaff):
        language = routed.otherwise.incoming.language_code if routed.otherwise else None
        return routed.event.user_id, language or ""
    return routed.incoming.user_id, routed.incoming.language_code or ""
