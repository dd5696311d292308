"""What several bot workers share through Redis (REDIS_URL): each person's lock, the per-person
rate limits, and the outbox pacing budgets Telegram sets for the whole bot.

Keys carry keyed hashes (storage/crypto.py), never a Telegram id. Every operation is one round
trip: a Lua script does the check and the change atomically, so two workers asking at the same
moment cannot both get the last slot. When Redis cannot be reached, nothing is done without
it: a person's update waits for the lock (and /readyz says not ready).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

PREFIX = "lapor:"
LOCK_SECONDS = 30.0  # a lock outlives a killed worker by at most this
LOCK_RENEW_SECONDS = 10.0
WAIT_STEPS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1)  # polling a held lock, growing to 100 ms
DOWN_RETRY_SECONDS = 1.0

# Sliding windows as sorted sets of timestamps (ms). Returns 0 when allowed (and counted), else
# the milliseconds until the next would be, and which window (1-based) refused.
_TAKE = """
local now = tonumber(ARGV[1])
local wait, which = 0, 0
for i, key in ipairs(KEYS) do
  local limit, period = tonumber(ARGV[2 * i + 1]), tonumber(ARGV[2 * i + 2])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - period)
  if redis.call('ZCARD', key) >= limit then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    local w = tonumber(oldest[2]) + period - now
    if w > wait then wait, which = w, i end
  end
end
if wait > 0 then return {wait, which} end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[2])
  redis.call('PEXPIRE', key, tonumber(ARGV[2 * i + 2]) + 1000)
end
return {0, 0}
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""


class Shared:
    def __init__(self, url: str, prefix: str = PREFIX) -> None:
        self.prefix = prefix
        self.redis = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._take = self.redis.register_script(_TAKE)
        self._release = self.redis.register_script(_RELEASE)
        self._renew = self.redis.register_script(_RENEW)
        self._me = secrets.token_hex(6)
        self._count = itertools.count()

    async def ping(self) -> bool:
        try:
            return bool(await self.redis.ping())
        except (RedisError, OSError):
            return False

    async def close(self) -> None:
        await self.redis.aclose()

    # --- one person at a time, across workers ----------------------------------------------

    @asynccontextmanager
    async def person(self, ref: str) -> AsyncIterator[None]:
        """Hold `ref`'s lock (waiting for it, and for Redis, as long as it takes)."""
        key, token = f"{self.prefix}person:{ref}", f"{self._me}:{next(self._count)}"
        await self._acquire(key, token)
        keeper = asyncio.create_task(self._keep(key, token))
        try:
            yield
        finally:
            keeper.cancel()
            try:
                await self._release(keys=[key], args=[token])
            except (RedisError, OSError) as error:  # it lapses by itself
                log.warning("could not release a person lock (%s)", type(error).__name__)

    async def _acquire(self, key: str, token: str) -> None:
        step = 0
        while True:
            try:
                if await self.redis.set(key, token, nx=True, px=int(LOCK_SECONDS * 1000)):
                    return
            except (RedisError, OSError) as error:
                log.error("Redis unreachable (%s): the update waits", type(error).__name__)
                await asyncio.sleep(DOWN_RETRY_SECONDS)
                continue
            await asyncio.sleep(WAIT_STEPS[min(step, len(WAIT_STEPS) - 1)])
            step += 1

    async def _keep(self, key: str, token: str) -> None:
        while True:
            await asyncio.sleep(LOCK_RENEW_SECONDS)
            try:
                await self._renew(keys=[key], args=[token, int(LOCK_SECONDS * 1000)])
            except (RedisError, OSError) as error:
                log.warning("could not renew a person lock (%s)", type(error).__name__)

    # --- budgets: at most `limit` in any `period` -------------------------------------------

    async def take(
        self, now_ms: int, windows: Sequence[tuple[str, int, float]]
    ) -> tuple[float, int]:
        """Count one event in every window (name, limit, period in seconds) if all have room:
        (0, 0). Else nothing is counted: (seconds until there is room, which window: 1-based).
        """
        keys = [f"{self.prefix}{name}" for name, _, _ in windows]
        args: list[int | str] = [now_ms, f"{self._me}:{next(self._count)}"]
        for _, limit, period in windows:
            args += [limit, int(period * 1000)]
        wait_ms, which = await self._take(keys=keys, args=args)
        return float(wait_ms) / 1000.0, int(which)


class SharedLimiter:
    """handlers/rate_limit.py's RateLimiter over Redis: at most `limit` per `window` seconds per
    key, counted across every worker. `allow` is 0 when allowed, else seconds to wait."""

    def __init__(
        self,
        shared: Shared,
        name: str,
        limit: int,
        window: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.shared, self.name, self.limit, self.window = shared, name, limit, window
        self.clock = clock

    async def allow(self, key: str) -> float:
        window = (f"{self.name}:{key}", self.limit, self.window)
        try:
            wait, _ = await self.shared.take(int(self.clock() * 1000), [window])
        except (RedisError, OSError) as error:
            # The person's lock waits for Redis anyway; a limit is not worth refusing them.
            log.warning("Redis unreachable for a rate limit (%s)", type(error).__name__)
            return 0.0
        return wait
