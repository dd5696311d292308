"""aiogram 3 as the runtime (the default): each received update goes through aiogram's
Dispatcher to one handler per update type, which hands it to the edge. Nothing is sent
through aiogram (its Bot never opens a connection) and nothing is decided here.

The edge gets the dict Telegram sent, not aiogram's `Update` dumped back to JSON (which costs
9-17 µs an update): the handler finds it by update id. An update aiogram cannot read (a field
newer than this aiogram) or does not route is handed over as it came, so every update reaches
the edge, which answers or ignores it and so clears it from the inbox.
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Update

from handlers.telegram.events import UPDATE_TYPES
from handlers.telegram.runtime import UpdateHandler

log = logging.getLogger(__name__)


class AiogramRuntime:
    def __init__(self, token: str, api_url: str) -> None:
        api = TelegramAPIServer.from_base(api_url)
        self.bot = Bot(token, session=AiohttpSession(api=api))
        self.dispatcher = Dispatcher(disable_fsm=True)  # no FSM: conversations are ours
        self._handle: UpdateHandler | None = None
        self._raw: dict[int, dict[str, Any]] = {}
        for kind in UPDATE_TYPES:
            getattr(self.dispatcher, kind).register(self._on_event)
        # aiogram logs every update at INFO ("Update id=… is handled"): not ours to keep.
        logging.getLogger("aiogram.event").setLevel(logging.WARNING)

    async def start(self, handle: UpdateHandler) -> None:
        self._handle = handle

    async def feed(self, update: dict[str, Any]) -> None:
        assert self._handle is not None, "start() first"
        update_id = update["update_id"]
        self._raw[update_id] = update
        try:
            await self.dispatcher.feed_raw_update(self.bot, update)
        except Exception as error:  # noqa: BLE001 - aiogram could not read it: the edge can
            log.warning("aiogram could not read update %s (%s)", update_id, type(error).__name__)
        raw = self._raw.pop(update_id, None)
        if raw is not None:  # not routed to the handler: the edge still sees it
            await self._handle(raw)

    async def _on_event(self, _event: Any, event_update: Update) -> None:
        raw = self._raw.pop(event_update.update_id, None)
        if raw is not None and self._handle is not None:
            await self._handle(raw)

    async def close(self) -> None:
        await self.bot.session.close()
