"""What several workers share through the real Redis at 127.0.0.1:6379: a person's lock is
held by one worker at a time, a budget is counted across workers, and nothing is counted when
a window is full."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import pytest

from storage.shared import Shared, SharedLimiter

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
async def two() -> AsyncIterator[tuple[Shared, Shared]]:
    """Two workers' connections to one Redis, under a prefix of this test's own."""
    prefix = f"test-{secrets.token_hex(4)}:"
    a, b = Shared(REDIS_URL, prefix), Shared(REDIS_URL, prefix)
    try:
        yield a, b
    finally:
        keys = [k async for k in a.redis.scan_iter(f"{prefix}*")]
        if keys:
            await a.redis.delete(*keys)
        await a.close()
        await b.close()


async def test_one_persons_lock_is_held_by_one_worker_at_a_time(two: tuple[Shared, Shared]) -> None:
    a, b = two
    inside: list[str] = []
    most = 0

    async def work(shared: Shared, name: str) -> None:
        nonlocal most
        for n in range(5):
            async with shared.person("someone"):
                inside.append(f"{name}{n}")
                most = max(most, len(inside))
                await asyncio.sleep(0.005)
                inside.remove(f"{name}{n}")

    await asyncio.gather(work(a, "a"), work(b, "b"))
    assert most == 1
    async with a.person("someone"), b.person("someone else"):
        pass  # another person is never held up


async def test_a_budget_is_counted_across_workers(two: tuple[Shared, Shared]) -> None:
    a, b = two
    now = 1_000_000
    windows = [("pace:chat:x", 2, 1.0), ("pace:all", 3, 1.0)]
    assert await a.take(now, windows) == (0.0, 0)
    assert await b.take(now + 100, windows) == (0.0, 0)
    wait, which = await a.take(now + 200, windows)
    assert which == 1 and wait == pytest.approx(0.8)  # the chat is out of room
    assert await b.take(now + 200, [("pace:chat:y", 2, 1.0), ("pace:all", 3, 1.0)]) == (0.0, 0)
    wait, which = await a.take(now + 300, [("pace:chat:z", 2, 1.0), ("pace:all", 3, 1.0)])
    assert which == 2 and wait == pytest.approx(0.7)  # the bot's overall budget is spent
    # Nothing was counted for z: once the overall window moves on, z still has both slots.
    later = now + 1001
    assert await a.take(later, [("pace:chat:z", 2, 1.0)]) == (0.0, 0)
    assert await a.take(later, [("pace:chat:z", 2, 1.0)]) == (0.0, 0)


async def test_a_shared_rate_limit_counts_every_workers_events(
    two: tuple[Shared, Shared],
) -> None:
    a, b = two
    clock = [5000.0]
    on_a = SharedLimiter(a, "messages", 3, 60.0, clock=lambda: clock[0])
    on_b = SharedLimiter(b, "messages", 3, 60.0, clock=lambda: clock[0])
    assert [await on_a.allow("p"), await on_b.allow("p"), await on_a.allow("p")] == [0, 0, 0]
    assert await on_b.allow("p") == pytest.approx(60.0)
    assert await on_b.allow("q") == 0  # someone else is not counted with them
    clock[0] += 61
    assert await on_b.allow("p") == 0


async def test_without_redis_a_limit_lets_people_through_and_the_lock_waits() -> None:
    down = Shared("redis://127.0.0.1:9/0")
    try:
        assert not await down.ping()
        assert await SharedLimiter(down, "messages", 1, 60.0).allow("p") == 0
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(1.5):
                async with down.person("p"):
                    raise AssertionError("held without Redis")
    finally:
        await down.close()
