"""Direct replies to one chat, in order, that never make an update wait out Telegram's flood
control.

A reply is sent at once. When Telegram asks to wait (429, or a 5xx/network error to retry),
that reply and everything after it for the same chat move to the chat's backlog, which one
background task works through, waiting exactly as the retry policy says. The update that
produced the reply is done at once: it releases the person's lock and the runtime's slot, so
one flooded chat never holds anyone else up. A reply that carries a ticket code waits here
too, never in the outbox; the caller learns later whether it arrived (`on_late`).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from handlers.telegram.answers import Action
from handlers.telegram.client import BotApi
from handlers.telegram.messages import Payload

log = logging.getLogger(__name__)

BACKLOG = 20  # replies one chat may owe; beyond, new ones are dropped (a code never is)
MAX_WAIT = 300.0  # seconds: a longer flood wait gives the reply up

Late = Callable[[bool], Awaitable[None]]


@dataclass(slots=True)
class _Owed:
    calls: list[tuple[str, Payload]]
    attempts: int
    keep: bool  # a ticket code: never dropped for room
    on_late: Late | None
    delivered: bool = True


class DirectLine:
    def __init__(self, api: BotApi) -> None:
        self.api = api
        self._backlogs: dict[int, deque[_Owed]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def busy(self) -> frozenset[asyncio.Task[None]]:
        return frozenset(self._tasks)

    def owes(self, chat_id: int) -> bool:
        return chat_id in self._backlogs

    async def send(
        self,
        chat_id: int,
        calls: list[tuple[str, Payload]],
        *,
        attempts: int = 2,
        keep: bool = False,
        on_late: Late | None = None,
    ) -> bool | None:
        """True when every call went, False when one was refused for good, None when the rest
        wait in the chat's backlog (then `on_late(delivered)` is called once they are done)."""
        owed = _Owed(list(calls), attempts, keep, on_late)
        if chat_id in self._backlogs:
            return self._queue(chat_id, owed)  # behind what this chat already waits for
        while owed.calls:
            method, payload = owed.calls[0]
            answer = await self.api.call(method, payload)
            verdict = self.api.policy.judge(method, answer)
            if verdict.action is Action.RETRY:
                return self._queue(chat_id, owed, first_wait=verdict.wait)
            if verdict.action is not Action.DONE:
                log.warning("%s refused (%s)", method, answer.error[:60])
                owed.delivered = False
            owed.calls.pop(0)
        return owed.delivered

    def _queue(self, chat_id: int, owed: _Owed, first_wait: float = 0.0) -> bool | None:
        backlog = self._backlogs.get(chat_id)
        if backlog is None:
            backlog = self._backlogs[chat_id] = deque()
            task = asyncio.create_task(self._work(chat_id, backlog, first_wait))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        elif len(backlog) >= BACKLOG and not owed.keep:
            log.warning("a chat owes %d replies; one more is dropped", len(backlog))
            return False
        backlog.append(owed)
        return None

    async def _work(self, chat_id: int, backlog: deque[_Owed], wait: float) -> None:
        try:
            while backlog:
                owed = backlog[0]
                wait = await self._finish(owed, wait)
                backlog.popleft()
                if owed.on_late is not None:
                    try:
                        await owed.on_late(owed.delivered)
                    except Exception as error:  # noqa: BLE001 - the next reply still goes
                        log.error("after a late reply (%s)", type(error).__name__)
        finally:
            del self._backlogs[chat_id]

    async def _finish(self, owed: _Owed, wait: float) -> float:
        """Send what is left of `owed`, waiting as told; returns the wait still owed after it
        (none: the next reply goes at once)."""
        tries = 1  # the first try was the direct one
        steps = 0
        while owed.calls:
            if wait > MAX_WAIT:
                owed.delivered = False
                owed.calls.clear()
                break
            if wait:
                await asyncio.sleep(wait)
                wait = 0.0
            method, payload = owed.calls[0]
            answer = await self.api.call(method, payload)
            verdict = self.api.policy.judge(method, answer, steps)
            tries += 1
            if verdict.action is Action.RETRY and tries < owed.attempts:
                steps += verdict.backoff_step
                wait = verdict.wait
                continue
            if verdict.action is not Action.DONE:
                log.warning("%s not delivered (%s)", method, answer.name)
                owed.delivered = False
            owed.calls.pop(0)
            tries, steps = 0, 0
        return wait
