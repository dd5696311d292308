"""aiogram 3 as a runtime adapter: it only receives updates (long polling with aiogram's Bot)
and hands each, as the dict Telegram sent, to the edge. Nothing is sent through aiogram and
nothing is decided here.

The dicts are Telegram's own JSON, kept as aiogram's session decodes the getUpdates answer (it
takes our `json_loads`), so handing an update over costs nothing, where dumping aiogram's
`Update` back to JSON costs 9-17 µs an update. aiogram's own validation of each update stays
(25 µs for a message, 80 µs for a button press, measured with bench-like updates).

Should aiogram's models refuse an update (a field newer than this aiogram, say), the batch is
still handed over as Telegram sent it instead of being asked for again and again.

At most `concurrency` updates are handled at once: the next one is not even taken from the
answer until a slot is free, and no further getUpdates is sent, so under a burst updates wait
in Telegram's queue rather than in memory.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiogram import Bot, methods
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import Response as ApiResponse
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import ClientDecodeError
from aiogram.types import Update
from aiogram.utils.backoff import Backoff, BackoffConfig

from handlers.telegram.events import UPDATE_TYPES
from handlers.telegram.runtime import UpdateHandler

log = logging.getLogger(__name__)

# pydantic holds parametrised generics weakly and aiogram builds Response[T] for every answer,
# so each time the cyclic GC frees one the next answer rebuilds its schema: hold the one used.
PINNED_RESPONSE = ApiResponse[methods.GetUpdates.__returning__]  # type: ignore[name-defined]
# After a failed getUpdates (network, 5xx, another instance polling): aiogram's own default.
POLL_BACKOFF = BackoffConfig(min_delay=1.0, max_delay=5.0, factor=1.3, jitter=0.1)


def as_dict(update: Update) -> dict[str, Any]:
    """aiogram's model back into Bot API JSON: the slow way, for an update not kept raw."""
    return update.model_dump(mode="json", exclude_none=True, by_alias=True)


class AiogramPolling:
    def __init__(
        self,
        token: str,
        api_url: str,
        *,
        concurrency: int,
        polling_timeout: int = 10,
        drain_seconds: float = 10.0,
    ) -> None:
        api = TelegramAPIServer.from_base(api_url)
        self.bot = Bot(token, session=AiohttpSession(api=api, json_loads=self._loads))
        self.concurrency, self.polling_timeout = concurrency, polling_timeout
        self.drain_seconds = drain_seconds
        self._batch: list[Any] | None = None  # the last getUpdates result, as Telegram sent it
        self._poller: asyncio.Task[None] | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        self._stopped = False

    @property
    def in_flight(self) -> frozenset[asyncio.Task[None]]:
        """Updates being handled right now (tests wait for them to settle)."""
        return frozenset(self._in_flight)

    async def prepare(self) -> None:
        """Nothing to do: long polling needs no webhook, and getMe is the client's."""

    async def serve(self, handle: UpdateHandler) -> None:
        if self._stopped:
            return
        self._poller = asyncio.create_task(self._poll(handle))
        try:
            await asyncio.wait([self._poller])  # until stop() cancels it
            if not self._poller.cancelled():
                self._poller.result()
        finally:
            self._poller.cancel()
            # Telegram already considers these delivered: let them finish (bounded).
            if self._in_flight:
                await asyncio.wait(set(self._in_flight), timeout=self.drain_seconds)

    async def stop(self) -> None:
        self._stopped = True
        if self._poller is not None and not self._poller.done():
            self._poller.cancel()
            await asyncio.wait([self._poller])

    async def close(self) -> None:
        await self.bot.session.close()

    async def _poll(self, handle: UpdateHandler) -> None:
        request = methods.GetUpdates(timeout=self.polling_timeout, allowed_updates=UPDATE_TYPES)
        # Longer than the long poll itself, or every quiet poll would end in a timeout.
        request_timeout = int(self.bot.session.timeout + self.polling_timeout)
        slots = asyncio.Semaphore(self.concurrency)
        backoff = Backoff(POLL_BACKOFF)
        while True:
            self._batch = None
            try:
                parsed = await self.bot(request, request_timeout=request_timeout)
            except ClientDecodeError as error:
                if self._batch is None:  # not even JSON: a failed poll like any other
                    await self._after_failure(error, backoff)
                    continue
                # aiogram's models refused something Telegram sent (a field newer than this
                # aiogram, say): the edge reads the dicts defensively, so hand them over rather
                # than ask for the same batch forever.
                count = len(self._batch)
                log.warning("aiogram could not read %d update(s); passing them on", count)
                parsed = None
            except Exception as error:  # noqa: BLE001 - the poll must outlive any failure
                await self._after_failure(error, backoff)
                continue
            backoff.reset()
            updates = self._batch
            if updates is None or (parsed is not None and len(updates) != len(parsed)):
                updates = [as_dict(u) for u in parsed or ()]
            for update in updates:
                update_id = update.get("update_id") if isinstance(update, dict) else None
                if not isinstance(update_id, int):
                    continue
                await slots.acquire()
                task = asyncio.create_task(self._handle_one(handle, update, slots))
                self._in_flight.add(task)
                task.add_done_callback(self._in_flight.discard)
                # Confirmed with the next getUpdates: one never handed over is delivered again.
                request.offset = update_id + 1

    @staticmethod
    async def _after_failure(error: Exception, backoff: Backoff) -> None:
        delay = backoff.next_delay
        log.error("getUpdates failed (%s); again in %.1f s", type(error).__name__, delay)
        await backoff.asleep()

    async def _handle_one(
        self, handle: UpdateHandler, update: dict[str, Any], slots: asyncio.Semaphore
    ) -> None:
        try:
            await handle(update)
        except Exception as error:  # noqa: BLE001 - one update's failure is logged, not fatal
            name = type(error).__name__
            log.error("update %s failed (%s)", update.get("update_id"), name, exc_info=True)
        finally:
            slots.release()

    def _loads(self, text: str) -> Any:
        body = json.loads(text)
        if isinstance(body, dict) and isinstance(body.get("result"), list):
            self._batch = body["result"]  # getUpdates: the updates as Telegram sent them
        return body
