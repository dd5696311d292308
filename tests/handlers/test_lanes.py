"""Per-person lanes: order within a person, nobody waits for someone else's slow update, a
full lane refuses, and at most `people` lanes are open at once."""

from __future__ import annotations

import asyncio

from handlers.telegram.lanes import Lanes


async def test_one_slow_person_holds_up_only_themselves() -> None:
    lanes = Lanes(waiting=2, people=4)
    done: list[str] = []
    gate = asyncio.Event()

    def job(name: str, wait: bool = False):  # type: ignore[no-untyped-def]
        async def run() -> None:
            if wait:
                await gate.wait()
            done.append(name)

        return run

    assert await lanes.submit("a", job("a1", wait=True))
    await asyncio.sleep(0)  # a1 is being handled: two more may wait behind it
    assert await lanes.submit("a", job("a2"))
    assert await lanes.submit("a", job("a3"))
    assert not await lanes.submit("a", job("a4"))  # a's lane is full: refused
    assert await lanes.submit("b", job("b1"))
    await asyncio.sleep(0.01)
    assert done == ["b1"]  # b is not behind a
    gate.set()
    await lanes.drain(1)
    assert done == ["b1", "a1", "a2", "a3"]  # a's own order kept


async def test_past_the_people_bound_a_new_person_waits_but_an_open_lane_does_not() -> None:
    lanes = Lanes(waiting=8, people=1)
    gate = asyncio.Event()

    async def slow() -> None:
        await gate.wait()

    async def quick() -> None:
        return None

    await lanes.submit("a", slow)
    assert await asyncio.wait_for(lanes.submit("a", quick), 0.1)  # a already has a lane
    other = asyncio.create_task(lanes.submit("b", quick))
    await asyncio.sleep(0.05)
    assert not other.done()  # b waits to be handed over: the runtime stops pulling
    gate.set()
    assert await asyncio.wait_for(other, 1)
    await lanes.drain(1)
    assert not lanes.busy


async def test_a_lane_still_busy_after_the_drain_is_cancelled() -> None:
    lanes = Lanes()
    stuck = asyncio.Event()
    cancelled: list[str] = []

    async def hangs() -> None:
        try:
            await stuck.wait()
        except asyncio.CancelledError:
            cancelled.append("hangs")
            raise

    assert await lanes.submit("a", hangs)
    await asyncio.sleep(0)
    await lanes.drain(0.05)
    assert cancelled == ["hangs"]
    assert not lanes.busy
