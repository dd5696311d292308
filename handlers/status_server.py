"""What an operator's monitoring asks: `/healthz` (the process is alive), `/readyz` (it can do
its work: the database answers and its schema is current) and `/metrics` (Prometheus).

Served on the webhook's port, or on an internal port of their own (METRICS_LISTEN), so the
public webhook port can expose nothing but the webhook path. Polling mode serves them on
METRICS_LISTEN when it is set.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from handlers import metrics

ReadyCheck = Callable[[], Awaitable[str | None]]  # None: ready; else why not


def status_routes(app: web.Application, ready: ReadyCheck) -> None:
    async def healthz(_request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def readyz(_request: web.Request) -> web.Response:
        problem = await ready()
        if problem is None:
            return web.Response(text="ready\n")
        return web.Response(status=503, text=f"not ready: {problem}\n")

    async def metrics_page(_request: web.Request) -> web.Response:
        body, content_type = metrics.exposition()
        return web.Response(body=body, headers={"Content-Type": content_type})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_page)


class StatusServer:
    """The three pages on a port of their own."""

    def __init__(self, listen: tuple[str, int], ready: ReadyCheck) -> None:
        self.listen = listen
        self.app = web.Application()
        status_routes(self.app, ready)
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.listen[0], self.listen[1]).start()

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
