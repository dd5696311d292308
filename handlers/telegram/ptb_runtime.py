"""python-telegram-bot as the runtime (BOT_RUNTIME=ptb): an `Application` without an Updater
(reception is ours), each received update passed to `process_update`, one `TypeHandler`
handing it to the edge.

Nothing else of PTB's is used: no ConversationHandler and no persistence (neither is safe
across processes; conversations live in our store), no BaseUpdateProcessor (per-person order
is the edge's), and nothing is sent through PTB's bot except the getMe its `initialize` makes.
As with aiogram, the edge gets the dict Telegram sent, found by update id, and an update PTB
cannot read or does not route is handed over as it came.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from handlers.telegram.runtime import UpdateHandler

log = logging.getLogger(__name__)


class PtbRuntime:
    def __init__(self, token: str, api_url: str) -> None:
        self.application: Application[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder()
            .token(token)
            .base_url(f"{api_url}/bot")
            .base_file_url(f"{api_url}/file/bot")
            .updater(None)
            .build()
        )
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self._handle: UpdateHandler | None = None
        self._raw: dict[int, dict[str, Any]] = {}
        self._started = False

    async def start(self, handle: UpdateHandler) -> None:
        self._handle = handle
        await self.application.initialize()
        self._started = True

    async def feed(self, update: dict[str, Any]) -> None:
        assert self._handle is not None, "start() first"
        update_id = update["update_id"]
        self._raw[update_id] = update
        try:
            await self.application.process_update(Update.de_json(update, self.application.bot))
        except Exception as error:  # noqa: BLE001 - PTB could not read it: the edge can
            log.warning("PTB could not read update %s (%s)", update_id, type(error).__name__)
        raw = self._raw.pop(update_id, None)
        if raw is not None:  # not routed to the handler: the edge still sees it
            await self._handle(raw)

    async def _on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        raw = self._raw.pop(update.update_id, None)
        if raw is not None and self._handle is not None:
            await self._handle(raw)

    async def close(self) -> None:
        if self._started:
            await self.application.shutdown()
            self._started = False
