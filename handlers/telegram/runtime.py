"""What a Telegram runtime adapter is: the framework an update passes through on its way to
the edge. Reception (receiving, recording, confirming) is ours (reception.py, webhook.py);
the adapter hands each update, as the plain dict Telegram sent, to the edge's handler through
its framework. It decides nothing, sends nothing and keeps no conversation state.

handlers/telegram/aiogram_runtime.py (aiogram 3, the default) and ptb_runtime.py
(python-telegram-bot) implement it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

UpdateHandler = Callable[[dict[str, Any]], Awaitable[None]]


class Runtime(Protocol):
    async def start(self, handle: UpdateHandler) -> None:
        """Get ready to pass updates to `handle`; raise if it cannot."""

    async def feed(self, update: dict[str, Any]) -> None:
        """Hand one update over; returns once `handle` has taken it (queued it in a lane)."""

    async def close(self) -> None:
        """Release what `start` took. Safe if `start` never ran."""
