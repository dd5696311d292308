"""Receiving updates, the same for every runtime: long polling (this module) or a webhook
(webhook.py) records each batch in the inbox before Telegram is told it arrived, then hands
the updates to the chosen runtime one by one; each is deleted from the inbox once handled.

aiogram's `start_polling` and PTB's `Updater` both ask for the next offset, which confirms a
batch, before the batch's handlers finish: an update in flight when the process died was
never seen again. Here a batch is in the inbox before the next getUpdates confirms it, and on
start the unfinished ones are handed over first (storage/inbox.py says why that is exactly
once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from handlers.telegram.client import BotApi
from handlers.telegram.events import UPDATE_TYPES
from handlers.telegram.runtime import Runtime
from storage import inbox
from storage.conversations import ConversationStore
from storage.crypto import Keys
from storage.db import Database
from storage.models import utcnow

log = logging.getLogger(__name__)

FLUSH_GATHER_SECONDS = 0.05
RETRY_AFTER = (1.0, 2.0, 5.0)  # seconds after a failed getUpdates or inbox write, then 5 s


class Received:
    """The inbox as reception sees it: record a batch, hand back what was left unfinished, and
    forget handled updates in as few statements as the pace allows (one per flush)."""

    def __init__(
        self, db: Database, keys: Keys, store: ConversationStore, *, shared: bool = False
    ) -> None:
        self.db, self.keys, self.store = db, keys, store
        # Several workers: each holds what it received (renewing it) and takes over only what
        # a stopped worker held; one process takes everything left at its start.
        self.shared = shared
        self.held: set[int] = set()  # recorded here and not yet handled (shared only)
        self.replayed: set[int] = set()  # handed over again from the inbox after a restart
        self._handled: set[int] = set()
        self._flusher: asyncio.Task[None] | None = None

    async def record(self, updates: Sequence[Mapping[str, Any]]) -> None:
        await inbox.record(self.store, self.keys, updates)
        if self.shared:
            self.held.update(int(u["update_id"]) for u in updates)

    async def unfinished(self) -> list[dict[str, Any]]:
        """What to hand over again: everything left (one process), or what a stopped worker
        held (several), now held here."""
        if not self.shared:
            return await inbox.unfinished(self.db)
        left = await inbox.take_lapsed(self.db, utcnow())
        self.held.update(int(u["update_id"]) for u in left)
        return left

    async def keep(self, stop: asyncio.Event, hand_over: Callable[[dict[str, Any]], None]) -> None:
        """Several workers: renew what this one holds, and take over what a stopped one held."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), inbox.HOLD_SECONDS / 3)
            if stop.is_set():
                return
            try:
                await inbox.renew(self.db, set(self.held), utcnow())
                left = await self.unfinished()
            except Exception as error:  # noqa: BLE001 - the database may be away for a while
                log.error("could not renew or take over updates (%s)", type(error).__name__)
                continue
            if left:
                log.warning("taking over %d update(s) a stopped worker held", len(left))
            self.replayed.update(u["update_id"] for u in left)
            for update in left:
                hand_over(update)

    def handled(self, update_id: int) -> None:
        """Called by the edge when an update is done with (answered, refused or ignored)."""
        self.held.discard(update_id)
        self.replayed.discard(update_id)
        self._handled.add(update_id)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())

    async def _flush(self) -> None:
        while self._handled:
            # A moment's wait gathers what finishes meanwhile: one statement for many.
            await asyncio.sleep(FLUSH_GATHER_SECONDS)
            done, self._handled = self._handled, set()
            try:
                await inbox.forget(self.store, done)
            except Exception as error:  # noqa: BLE001 - kept rows are only handled again (no-op)
                name = type(error).__name__
                log.error("could not clear %d handled update(s) (%s)", len(done), name)
                self._handled |= done
                await asyncio.sleep(RETRY_AFTER[-1])

    async def close(self) -> None:
        """Clear what was handled before the process goes (bounded by the database's pace)."""
        if self._flusher is not None:
            await asyncio.wait([self._flusher], timeout=5.0)


class Polling:
    """Long polling: getUpdates through the one client, each batch recorded, then handed over."""

    def __init__(
        self, api: BotApi, received: Received, runtime: Runtime, *, polling_timeout: int = 10
    ) -> None:
        self.api, self.received, self.runtime = api, received, runtime
        self.polling_timeout = polling_timeout
        self._poller: asyncio.Task[None] | None = None
        self._stopped = False
        self.holding = 0  # updates received and not yet handed over (tests wait for 0)

    async def prepare(self) -> None:
        """Long polling and a webhook exclude each other: a webhook left by an earlier
        deployment is removed (updates waiting with Telegram are kept)."""
        info = await self.api.call("getWebhookInfo")
        if info.ok and isinstance(info.result, dict) and info.result.get("url"):
            await self.api.call("deleteWebhook", {"drop_pending_updates": False})

    async def serve(self) -> None:
        if self._stopped:
            return
        self._poller = asyncio.create_task(self._poll())
        try:
            await asyncio.wait([self._poller])  # until stop() cancels it
            if not self._poller.cancelled():
                self._poller.result()
        finally:
            self._poller.cancel()

    async def close(self) -> None:
        """Nothing of its own: the client belongs to the bot."""

    async def stop(self) -> None:
        self._stopped = True
        if self._poller is not None and not self._poller.done():
            self._poller.cancel()
            await asyncio.wait([self._poller])

    async def _poll(self) -> None:
        # First what an earlier process received and never finished.
        replayed = {u["update_id"] for u in await self._replay()}
        payload: dict[str, Any] = {
            "timeout": self.polling_timeout,
            "allowed_updates": list(UPDATE_TYPES),
        }
        failures = 0
        while True:
            answer = await self.api.call("getUpdates", payload, seconds=self.polling_timeout + 30.0)
            updates = answer.result if answer.ok and isinstance(answer.result, list) else None
            if updates is None:
                failures = await self._after_failure(f"getUpdates failed ({answer.name})", failures)
                continue
            batch = [u for u in updates if isinstance(u, dict) and _update_id(u) is not None]
            self.holding = len(batch)
            try:
                # Durable before the next getUpdates tells Telegram this batch arrived.
                await self.received.record(batch)
            except Exception as error:  # noqa: BLE001 - unconfirmed: Telegram sends it again
                reason = f"could not record {len(batch)} update(s) ({type(error).__name__})"
                failures = await self._after_failure(reason, failures)
                continue
            failures = 0
            for update in batch:
                update_id = int(update["update_id"])
                payload["offset"] = update_id + 1
                if update_id not in replayed:
                    await self.runtime.feed(update)
                replayed.discard(update_id)  # else the last process recorded it: handed over
                self.holding -= 1

    async def _replay(self) -> list[dict[str, Any]]:
        while True:
            try:
                left = await self.received.unfinished()
                break
            except Exception as error:  # noqa: BLE001 - the database may still be starting
                log.error("could not read the inbox (%s); again in 5 s", type(error).__name__)
                await asyncio.sleep(RETRY_AFTER[-1])
        if left:
            log.warning("handling %d update(s) left unfinished by the last run", len(left))
        self.received.replayed.update(u["update_id"] for u in left)
        for update in left:
            await self.runtime.feed(update)
        return left

    @staticmethod
    async def _after_failure(reason: str, failures: int) -> int:
        delay = RETRY_AFTER[min(failures, len(RETRY_AFTER) - 1)]
        log.error("%s; again in %.0f s", reason, delay)
        await asyncio.sleep(delay)
        return failures + 1


def _update_id(update: Mapping[str, Any]) -> int | None:
    value = update.get("update_id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None
