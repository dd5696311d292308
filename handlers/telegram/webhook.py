"""Receiving updates by webhook: Telegram POSTs each update to our aiohttp server.

A request must carry the secret token Telegram was given (compared in constant time; 401
otherwise, and nothing changes). The update is recorded in the inbox (one statement) before
the 200, so an answer means it is safe; it is then handed to the runtime in the background,
in arrival order, and each person's updates are handled one after the other by the edge.
Telegram therefore always gets a quick answer (it sends again after about 60 s without one).

The same server answers `/healthz`, `/readyz` and `/metrics` (handlers/status_server.py),
unless they are served on an internal port of their own (METRICS_LISTEN).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any

from aiohttp import web

from handlers.status_server import ReadyCheck, status_routes
from handlers.telegram.reception import Received
from handlers.telegram.runtime import Runtime

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookServer:
    def __init__(
        self,
        received: Received,
        runtime: Runtime,
        *,
        path: str,
        secret: str,
        listen: tuple[str, int],
        ready: ReadyCheck,
        with_status: bool = True,
    ) -> None:
        self.received, self.runtime = received, runtime
        self.path, self.listen = path or "/", listen
        self._secret = secret.encode()
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._feeder: asyncio.Task[None] | None = None
        self._keeper: asyncio.Task[None] | None = None
        self._runner: web.AppRunner | None = None
        self._stopped = asyncio.Event()
        self._taking = True
        self.holding = 0  # accepted and not yet handed over (tests wait for 0)
        self.app = web.Application(client_max_size=1 << 20)
        self.app.router.add_post(self.path, self._on_update)
        if with_status:
            status_routes(self.app, ready)

    async def prepare(self) -> None:
        """Nothing: the webhook itself is set by `lapor-ppa webhook set` or the start-up."""

    async def start(self) -> None:
        """Hand over what the last run left unfinished, then listen."""
        left = await self.received.unfinished()
        if left:
            log.warning("handling %d update(s) left unfinished by the last run", len(left))
        self.received.replayed.update(u["update_id"] for u in left)
        for update in left:
            self._accept(update)
        self._feeder = asyncio.create_task(self._feed())
        if self.received.shared:
            self._keeper = asyncio.create_task(self.received.keep(self._stopped, self._accept))
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.listen[0], self.listen[1]).start()

    async def serve(self) -> None:
        if self._runner is None:
            await self.start()
        await self._stopped.wait()
        # No more updates are taken; those accepted are handed over (the edge drains them).
        await self._queue.join()
        await self.close()

    async def close(self) -> None:
        for task in (self._feeder, self._keeper):
            if task is not None:
                task.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def stop(self) -> None:
        self._taking = False
        self._stopped.set()

    async def _on_update(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            return web.Response(status=401)
        if not self._taking:
            return web.Response(status=503)  # shutting down: Telegram sends it again
        try:
            update = json.loads(await request.read())
        except ValueError:
            return web.Response(status=400)
        if not isinstance(update, dict) or not _is_id(update.get("update_id")):
            return web.Response(status=400)
        try:
            await self.received.record([update])
        except Exception as error:  # noqa: BLE001 - not kept: Telegram must send it again
            log.error("could not record an update (%s)", type(error).__name__)
            return web.Response(status=500)
        self._accept(update)
        return web.Response()

    def _accept(self, update: dict[str, Any]) -> None:
        self.holding += 1
        self._queue.put_nowait(update)

    async def _feed(self) -> None:
        while True:
            update = await self._queue.get()
            try:
                await self.runtime.feed(update)
            except Exception as error:  # noqa: BLE001 - one update's failure is not fatal
                log.error("update %s failed (%s)", update.get("update_id"), type(error).__name__)
            finally:
                self.holding -= 1
                self._queue.task_done()


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
