"""What a Telegram runtime adapter is: something that receives updates and hands each one,
as the plain dict Telegram sent, to a handler (the edge). It decides nothing, sends nothing.

Process start-up (bot/app.py) depends on this interface only; handlers/telegram/
aiogram_runtime.py implements it with aiogram's long polling.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

UpdateHandler = Callable[[dict[str, Any]], Awaitable[None]]


class Runtime(Protocol):
    async def prepare(self) -> None:
        """Get ready to receive (e.g. drop a webhook, register one); raise if it cannot."""

    async def serve(self, handle: UpdateHandler) -> None:
        """Receive updates and await `handle(update)` for each, at most a bounded number at
        once, until `stop()`. Returns only after the updates in hand are handled (bounded
        wait): Telegram considers them delivered."""

    async def stop(self) -> None:
        """Stop receiving; `serve` then returns. Safe to call at any time, more than once."""

    async def close(self) -> None:
        """Release connections. After `serve` has returned (or if it never ran)."""
