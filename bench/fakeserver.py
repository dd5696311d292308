"""The test suite's fake Bot API, instrumented for load: offer times, answers, per-chat waits."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from typing import Any

from tests.fakebot import FakeBotAPI

# Bot API methods that put something the person sees into the chat.
_ANSWERS = ("_send_message", "_edit_message_text")


class BenchAPI(FakeBotAPI):
    """Records when each update is offered (getUpdates returns it) and answered.

    Latency of an update = first sendMessage/editMessageText to its chat after getUpdates
    handed it out. Users wait on a per-chat event instead of the base class's broadcast
    wake-up (which would wake every waiting user on every call: O(users) per request).
    """

    def __init__(self) -> None:
        super().__init__()
        self.sent: defaultdict[int, int] = defaultdict(int)  # sendMessage count per chat
        self.latencies: list[tuple[float, float]] = []  # (answered at, seconds)
        self._offered: dict[int, float] = {}
        self._events: dict[int, asyncio.Event] = {}
        self.last_text: dict[int, str] = {}

    # ---- hooks -------------------------------------------------------------------

    def _take(self, limit: int) -> list[dict[str, Any]]:
        batch = super()._take(limit)
        now = time.perf_counter()
        for update in batch:
            chat = _chat_of(update)
            if chat is not None:
                self._offered.setdefault(chat, now)
        return batch

    def _answered(self, chat_id: int) -> None:
        offered = self._offered.pop(chat_id, None)
        if offered is not None:
            now = time.perf_counter()
            self.latencies.append((now, now - offered))

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        result = super()._send_message(params)
        chat_id = int(result["chat"]["id"])
        self._answered(chat_id)
        self.sent[chat_id] += 1
        self.last_text[chat_id] = str(result.get("text", ""))
        event = self._events.get(chat_id)
        if event is not None:
            event.set()
        return result

    def _edit_message_text(self, params: dict[str, Any]) -> Any:
        result = super()._edit_message_text(params)
        chat_id = params.get("chat_id")
        if isinstance(chat_id, int):
            self._answered(chat_id)
        return result

    # ---- for simulated users ------------------------------------------------------

    def forget(self, chat_id: int) -> None:
        """Drop a finished reporter's chat so the server's memory stays flat."""
        self._chats.pop(chat_id, None)
        self._events.pop(chat_id, None)
        self.sent.pop(chat_id, None)
        self.last_text.pop(chat_id, None)

    async def wait_sent(self, chat_id: int, count: int, timeout: float) -> bool:  # noqa: ASYNC109
        """Wait until the bot has sent `count` messages to the chat in total."""
        event = self._events.setdefault(chat_id, asyncio.Event())
        deadline = time.perf_counter() + timeout
        while self.sent[chat_id] < count:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return False
            event.clear()
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                return self.sent[chat_id] >= count
        return True

    def trim(self) -> None:
        """Drop the call log and update history (unbounded lists in the base class)."""
        self.calls.clear()
        self._history.clear()


def _chat_of(update: dict[str, Any]) -> int | None:
    message = update.get("message")
    if isinstance(message, dict):
        return int(message["chat"]["id"])
    query = update.get("callback_query")
    if isinstance(query, dict):
        return int(query["from"]["id"])
    return None
