"""Per-person limits kept in memory (one bot process per database; several workers share
storage/shared.py's SharedLimiter instead, which has the same `allow`)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Protocol


class Limiter(Protocol):
    async def allow(self, key: str) -> float: ...


class RateLimiter:
    """At most `limit` events per `window` seconds per key."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float]) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._events: dict[str, deque[float]] = {}
        self._swept = clock()

    def check(self, key: str) -> float:
        """0 when allowed (and counted); else seconds until the next is allowed."""
        now = self.clock()
        events = self._events.setdefault(key, deque())
        while events and now - events[0] >= self.window:
            events.popleft()
        if len(events) >= self.limit:
            return self.window - (now - events[0])
        events.append(now)
        if len(self._events) > 10_000 and now - self._swept >= self.window:
            # Drop keys idle for a whole window, at most once a window (with more people than
            # that active at once, sweeping on every check would cost O(people) each time).
            self._swept = now
            self._events = {
                k: v for k, v in self._events.items() if v and now - v[-1] < self.window
            }
        return 0.0

    async def allow(self, key: str) -> float:
        """`check` in the shape a shared (Redis) limiter has too."""
        return self.check(key)
