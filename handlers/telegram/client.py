"""The one outbound Bot API client: plain JSON over one aiohttp session this client owns.

Everything the bot sends goes through here: direct replies, staff sends, the outbox worker,
the command menu, getMe at start-up, and the long poll that receives. A call is one
`json.dumps`, one POST to `{TELEGRAM_API_URL}/bot{token}/{method}` and one `json.loads`: no
method objects are built and no answer is validated into models nobody reads.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import certifi

from handlers.metrics import API_CALLS
from handlers.telegram.answers import RETRY, Action, Answer, Kind, RetryPolicy, classify
from handlers.telegram.answers import network_failure as _network_failure

log = logging.getLogger(__name__)


def _method_label(method: str) -> str:
    return method if method.isascii() and method.isalpha() and len(method) <= 40 else "other"


TIMEOUT = aiohttp.ClientTimeout(total=30)
JSON_HEADERS = {"Content-Type": "application/json"}


@dataclass(frozen=True, slots=True)
class Upload:
    """A file sent with a call: the payload field it fills ("photo", "document"), its name,
    its bytes."""

    field: str
    filename: str
    content: bytes
    mime: str = "application/octet-stream"


def _form(payload: dict[str, Any], upload: Upload) -> aiohttp.FormData:
    form = aiohttp.FormData()
    for key, value in payload.items():
        # Telegram reads nested values (reply_markup, …) as JSON strings in a form.
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        form.add_field(key, text)
    form.add_field(upload.field, upload.content, filename=upload.filename, content_type=upload.mime)
    return form


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
        self._closed = False  # closed for good: a late call must not open a session nobody closes
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
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

    async def close(self) -> None:
        self._closed = True
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def call(
        self,
        method: str,
        payload: dict[str, Any] | None = None,
        *,
        seconds: float | None = None,
        upload: Upload | None = None,
    ) -> Answer:
        """One request, no retry. Whatever happened comes back as an `Answer`, never raised.
        `seconds`: a longer timeout than the usual 30 s (a long poll). `upload`: a file the
        bot made (a chart, an export) goes as multipart/form-data with the payload."""
        if self._refused is not None and time.monotonic() < self._paused_until:
            return self._refused
        if self._closed:
            return _network_failure(ConnectionError("the client is closed"))
        data: Any
        if upload is None:
            data, headers = json.dumps(payload or {}, ensure_ascii=False), JSON_HEADERS
        else:
            data, headers = _form(payload or {}, upload), None
        try:
            timeout = TIMEOUT if seconds is None else aiohttp.ClientTimeout(total=seconds)
            post = self._open().post(
                self._base + method, data=data, headers=headers, timeout=timeout
            )
            async with post as r:
                status, raw = r.status, await r.read()
        except (TimeoutError, aiohttp.ClientError, OSError) as error:
            API_CALLS.labels(_method_label(method), "0").inc()
            return _network_failure(error)
        API_CALLS.labels(_method_label(method), str(status)).inc()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        answer = classify(status, body)
        if answer.kind is Kind.UNAUTHORIZED:
            self._refused = answer
            self._paused_until = time.monotonic() + self.policy.judge(method, answer).wait
        return answer

    async def send(
        self,
        method: str,
        payload: dict[str, Any],
        *,
        attempts: int = 2,
        upload: Upload | None = None,
    ) -> Answer:
        """A direct send, retried as the policy says (sleeping here, at most MAX_DIRECT_SLEEP
        each time) and following a migrated group. Returns the last answer: `.ok` if it went."""
        backoff_steps = 0
        attempt = 0
        while True:
            attempt += 1
            answer = await self.call(method, payload, upload=upload)
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
