"""Plain-JSON Bot API calls for the reporter's hot path: answers, button acknowledgements and
deletions.

Every reporter update ends in one or two of these calls. Through aiogram each builds a
pydantic method object, and each answer is validated into a full `Message` model that nobody
reads; here a call is one `json.dumps`, one POST on aiogram's own aiohttp session (so the
connection pool and TELEGRAM_API_URL are shared) and one `json.loads`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiogram import Bot

log = logging.getLogger(__name__)

TIMEOUT = aiohttp.ClientTimeout(total=30)


@dataclass(frozen=True, slots=True)
class Answer:
    ok: bool
    result: Any = None
    retry_after: float | None = None  # 429: Telegram's flood wait
    transient: bool = False  # 5xx or the network: worth another try
    error: str = ""  # Telegram's description (never logged with content)


class RawApi:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def call(self, method: str, payload: dict[str, Any]) -> Answer:
        session = await self.bot.session.create_session()
        url = self.bot.session.api.api_url(token=self.bot.token, method=method)
        try:
            async with session.post(
                url,
                data=json.dumps(payload, ensure_ascii=False),
                headers={"Content-Type": "application/json"},
                timeout=TIMEOUT,
            ) as response:
                status = response.status
                body = json.loads(await response.read())
        except (TimeoutError, aiohttp.ClientError, ValueError) as e:
            return Answer(False, transient=True, error=type(e).__name__)
        if body.get("ok"):
            return Answer(True, body.get("result"))
        retry = (body.get("parameters") or {}).get("retry_after")
        return Answer(
            False,
            retry_after=float(retry) if retry is not None else None,
            transient=status >= 500,
            error=str(body.get("description", status)),
        )

    async def send(self, payload: dict[str, Any], attempts: int) -> bool:
        """sendMessage, retried on flood waits and server errors; False when it never went."""
        for attempt in range(1, attempts + 1):
            answer = await self.call("sendMessage", payload)
            if answer.ok:
                return True
            if answer.retry_after is not None:
                delay = answer.retry_after
            elif answer.transient:
                delay = 0.5 * attempt
            else:
                log.warning("sendMessage refused (%s)", answer.error[:60])
                return False
            if attempt < attempts:
                await asyncio.sleep(min(delay, 30))
        log.warning("sendMessage failed after %d attempts", attempts)
        return False
