"""One update through the core: read it (events.py), then staff first where staff may be meant
(falling back to the reporter when staff say it is not theirs), else the reporter's service;
replies go out through the client and a button press is acknowledged.

Every Telegram runtime hands its updates to `TelegramEdge.handle` as plain dicts.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from handlers.casework.service import StaffService
from handlers.render import Renderer
from handlers.reporter.service import ReporterService
from handlers.shell import plain as plain_text
from handlers.telegram.client import BotApi
from handlers.telegram.events import (
    AckOnly,
    ForReporter,
    ForStaff,
    Update,
    read_update,
)
from handlers.telegram.replies import reporter_sender, staff_sender

log = logging.getLogger(__name__)


class TelegramEdge:
    def __init__(
        self,
        api: BotApi,
        renderer: Renderer,
        reporters: ReporterService,
        staff: StaffService | None = None,
    ) -> None:
        self.api, self.renderer = api, renderer
        self.reporters, self.staff = reporters, staff
        self._staff_send = staff_sender(api, renderer)

    async def handle(self, update: Update) -> None:
        staff = self.staff
        routed = read_update(
            update, staff=staff is not None, bot_username=staff.bot_username if staff else ""
        )
        if routed is None:
            return
        if isinstance(routed, AckOnly):
            await self._ack(routed.callback_id)
            return
        if isinstance(routed, ForStaff):
            assert staff is not None
            result = await staff.handle(routed.event, self._staff_send)
            if routed.callback_id:
                toast = result.toast if result else None
                text = plain_text(self.renderer.text(toast, "id")) if toast else None
                await self._ack(routed.callback_id, text)
                return
            if result is not None or routed.otherwise is None:
                return
            routed = routed.otherwise
        await self._for_reporter(routed)

    async def _for_reporter(self, routed: ForReporter) -> None:
        send = reporter_sender(self.api, self.renderer, routed.chat_id, routed.input_message_id)
        if not routed.callback_id:
            await self.reporters.handle(routed.incoming, send)
            return
        # Stop the button's spinner at once, while the answer is worked out.
        ack = asyncio.create_task(self._ack(routed.callback_id))
        try:
            await self.reporters.handle(routed.incoming, send)
        finally:
            await ack

    async def _ack(self, callback_id: str, text: str | None = None) -> None:
        payload: dict[str, Any] = {"callback_query_id": callback_id}
        if text:
            payload["text"] = text
        await self.api.call("answerCallbackQuery", payload)  # a failure only leaves a spinner
