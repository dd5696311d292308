"""The fake Bot API's webhook side: with a webhook set, pending updates are POSTed to it as
Telegram does, and confirmed only by a 200.

As Telegram: the secret token goes in `X-Telegram-Bot-Api-Secret-Token`; up to
`max_connections` requests at once, but one chat's updates one at a time and in order; an
update that gets no 200 (an error, a refused secret, no answer within `timeout`) stays
pending and is sent again a little later. Every POST is kept in `posts` for tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
RETRY_SECONDS = 0.2


@dataclass
class Post:
    update_id: int
    status: int  # 0: no answer in time, or no connection
    worker: str  # the answering process's X-Worker header, when it sends one


@dataclass
class Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: frozenset[str] | None


def chat_of(update: dict[str, Any]) -> int | None:
    """Whose update this is, for Telegram's one-chat-in-order rule."""
    for value in update.values():
        if isinstance(value, dict):
            message = value.get("message") if "data" in value else value
            chat = message.get("chat") if isinstance(message, dict) else None
            if isinstance(chat, dict) and isinstance(chat.get("id"), int):
                return int(chat["id"])
            sender = value.get("from")
            if isinstance(sender, dict) and isinstance(sender.get("id"), int):
                return int(sender["id"])
    return None


class Pusher:
    """Sends pending updates to the webhook until it is removed."""

    def __init__(
        self,
        hook: Webhook,
        take: Callable[[], list[dict[str, Any]]],
        confirm: Callable[[int], None],
        changed: Callable[[], asyncio.Event],
        *,
        timeout: float,
    ) -> None:
        self.hook, self._take, self._confirm, self._changed = hook, take, confirm, changed
        self.timeout = timeout
        self.posts: list[Post] = []
        self._busy_chats: set[int | None] = set()
        self._in_flight: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._session = aiohttp.ClientSession()
        self._loop = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks))
        if self._session is not None:
            await self._session.close()

    async def _run(self) -> None:
        while True:
            changed = self._changed()
            for update in self._take():
                update_id, chat = update["update_id"], chat_of(update)
                if update_id in self._in_flight or chat in self._busy_chats:
                    continue
                if len(self._in_flight) >= self.hook.max_connections:
                    break
                self._in_flight.add(update_id)
                self._busy_chats.add(chat)
                task = asyncio.create_task(self._post(update, chat))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(RETRY_SECONDS):
                    await changed.wait()

    async def _post(self, update: dict[str, Any], chat: int | None) -> None:
        assert self._session is not None
        headers = {"Content-Type": "application/json"}
        if self.hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.hook.secret_token
        status, worker = 0, ""
        try:
            async with self._session.post(
                self.hook.url,
                data=json.dumps(update),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as response:
                status, worker = response.status, response.headers.get("X-Worker", "")
                await response.read()
        except (TimeoutError, aiohttp.ClientError, OSError):
            status = 0
        self.posts.append(Post(update["update_id"], status, worker))
        if status == 200:
            self._confirm(update["update_id"])
        else:
            await asyncio.sleep(RETRY_SECONDS)
        self._in_flight.discard(update["update_id"])
        self._busy_chats.discard(chat)


class RoundRobin:
    """A reverse proxy in front of the workers (Caddy's round robin): each POST goes to the
    next worker, whatever chat it is from."""

    def __init__(self, targets: list[str]) -> None:
        self.targets = targets
        self.port = free_port()
        self.sent: list[tuple[int | None, int]] = []  # (chat, worker) per update handed on
        self._next = itertools.cycle(range(len(targets)))
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram-updates"

    async def start(self) -> None:
        self._session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_post("/telegram-updates", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        worker = next(self._next)
        headers = {k: v for k, v in request.headers.items() if k.lower().startswith("x-telegram")}
        headers["Content-Type"] = "application/json"
        try:
            async with self._session.post(self.targets[worker], data=body, headers=headers) as r:
                status = r.status
        except aiohttp.ClientError:
            return web.Response(status=502)
        if status == 200:
            self.sent.append((chat_of(json.loads(body)), worker))
        return web.Response(status=status)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
