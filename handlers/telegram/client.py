"""The one outbound Bot API client: plain JSON over one aiohttp session this client owns.

Everything the bot sends goes through here: direct replies, staff sends, the outbox worker,
the command menu and getMe at start-up. A call is one `json.dumps`, one POST to
`{TELEGRAM_API_URL}/bot{token}/{method}` and one `json.loads`: no method objects are built and
no answer is validated into models nobody reads. aiogram only receives updates.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import time
from typing import Any

import aiohttp
import certifi

from handlers.telegram.answers import RETRY, Action, Answer, Kind, RetryPolicy, classify
from handlers.telegram.answers import network_failure as _network_failure

log = logging.getLogger(__name__)

TIMEOUT = aiohttp.ClientTimeout(total=30)
# A direct send never sleeps longer than this before a retry: the person is waiting, and after
# a longer flood wait the answer is better left to them (they tap again).
MAX_DIRECT_SLEEP = 30.0


class BotApi:
    """One bot's Bot API client. Build it anywhere; its session opens on the first call."""

    def __init__(
        self,
        token: str,
        api_url: str = "https://api.telegram.org",
        *,
        policy: RetryPolicy = RETRY,
        connections: int = 100,
    ) -> None:
        self._base = f"{api_url.rstrip('/')}/bot{token}/"
        self.policy = policy
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None
        # After a 401 nothing goes out until this time.monotonic(): the same refusal is answered
        # without asking again.
        self._refused: Answer | None = None
        self._paused_until = 0.0

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                ssl=ssl.create_default_context(cafile=certifi.where()),
                limit=self._connections,
                ttl_dns_cache=3600,
            )
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"Content-Type": "application/json"}
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def call(self, method: str, payload: dict[str, Any] | None = None) -> Answer:
        """One request, no retry. Whatever happened comes back as an `Answer`, never raised."""
        if self._refused is not None and time.monotonic() < self._paused_until:
            return self._refused
        data = json.dumps(payload or {}, ensure_ascii=False)
        try:
            async with self._open().post(self._base + method, data=data, timeout=TIMEOUT) as r:
                status, raw = r.status, await r.read()
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            return _network_failure(error)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        answer = classify(status, body)
        if answer.kind is Kind.UNAUTHORIZED:
            self._refused = answer
            self._paused_until = time.monotonic() + self.policy.judge(method, answer).wait
        return answer

    async def send(self, method: str, payload: dict[str, Any], *, attempts: int = 2) -> Answer:
        """A direct send, retried as the policy says (sleeping here, at most MAX_DIRECT_SLEEP
        each time) and following a migrated group. Returns the last answer: `.ok` if it went."""
        backoff_steps = 0
        attempt = 0
        while True:
            attempt += 1
            answer = await self.call(method, payload)
            verdict = self.policy.judge(method, answer, backoff_steps)
            if verdict.action is Action.DONE:
                return answer
            if attempt >= attempts:
                break
            if verdict.action is Action.FOLLOW and verdict.migrate_to is not None:
                payload = {**payload, "chat_id": verdict.migrate_to}
                continue
            if verdict.action is not Action.RETRY or verdict.wait > MAX_DIRECT_SLEEP:
                break
            backoff_steps += verdict.backoff_step
            await asyncio.sleep(verdict.wait)
        if answer.kind is Kind.REFUSED:
            log.warning("%s refused (%s)", method, answer.error[:60])
        else:
            log.warning("%s failed after %d attempt(s) (%s)", method, attempt, answer.name)
        return answer

    async def get_me(self) -> Answer:
        return await self.call("getMe")
