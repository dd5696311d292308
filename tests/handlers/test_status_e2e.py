"""/metrics, /healthz and /readyz (issue 14, items 2 and 6): served on the webhook's port, or
only on METRICS_LISTEN when it is set (polling mode too); counts updates and Bot API calls
without a single id, name or word anyone wrote."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import aiohttp

from bot.webhook import set_webhook
from storage.crypto import Keys
from storage.db import Database
from tests.fakebot import BotMessage, FakeBotAPI
from tests.support import (
    bot_running,
    close_database,
    free_port,
    open_database,
    until,
    webhook_settings,
)

STORY = "Cerita-rahasia-metrik-5581"


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


async def test_metrics_count_without_ids(
    fake_api: FakeBotAPI, database: Database, keys: Keys, bot_runtime: str
) -> None:
    hook = webhook_settings()
    base = hook["webhook_url"].rsplit("/", 1)[0]
    async with bot_running(fake_api, database, keys, bot_runtime=bot_runtime, **hook):
        user = fake_api.user(5581001, first_name="Metrik", username="metrik_user")
        await user.ask("/start", n=2)
        await user.tap("Lapor", n=2)
        await user.ask(STORY)  # not an answer to the role question: told to use the buttons
        status, text = await get(f"{base}/metrics")
        assert status == 200
        assert re.search(r'lapor_updates_total\{kind="message",outcome="reporter"\} [1-9]', text)
        assert re.search(
            r'lapor_updates_total\{kind="callback_query",outcome="reporter"\} [1-9]', text
        )
        assert re.search(r'lapor_bot_api_calls_total\{method="sendMessage",status="200"\}', text)
        assert "lapor_update_seconds_bucket" in text and "lapor_outbox_pending" in text
        for private in ("5581001", "Metrik", "metrik_user", STORY):
            assert private not in text
        assert (await get(f"{base}/healthz"))[0] == 200
        assert (await get(f"{base}/readyz")) == (200, "ready\n")


async def test_metrics_listen_keeps_them_off_the_public_port(
    fake_api: FakeBotAPI, database: Database, keys: Keys
) -> None:
    hook = webhook_settings()
    base = hook["webhook_url"].rsplit("/", 1)[0]
    port = free_port()
    async with bot_running(fake_api, database, keys, metrics_listen=f"127.0.0.1:{port}", **hook):
        for page in ("metrics", "healthz", "readyz"):
            assert (await get(f"{base}/{page}"))[0] == 404
            assert (await get(f"http://127.0.0.1:{port}/{page}"))[0] == 200


async def test_polling_serves_them_on_metrics_listen(
    fake_api: FakeBotAPI, database: Database, keys: Keys
) -> None:
    port = free_port()
    async with bot_running(fake_api, database, keys, metrics_listen=f"127.0.0.1:{port}"):
        user = fake_api.user(5581002)
        await user.ask("/start", n=2)
        status, text = await get(f"http://127.0.0.1:{port}/metrics")
        assert status == 200 and "lapor_updates_total" in text
        assert (await get(f"http://127.0.0.1:{port}/readyz")) == (200, "ready\n")


def said(api: FakeBotAPI, chat_id: int) -> list[BotMessage]:
    return [m for m in api.history(chat_id) if m.from_bot]


class Switchable:
    """A TCP path to the real Redis that can be cut and restored (Redis going away)."""

    def __init__(self) -> None:
        self.port = free_port()
        self._server: asyncio.Server | None = None

    async def up(self) -> None:
        self._server = await asyncio.start_server(self._pipe, "127.0.0.1", self.port)

    async def down(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", 6379)

        async def copy(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except OSError:
                pass
            finally:
                dst.close()

        await asyncio.gather(copy(reader, up_writer), copy(up_reader, writer))


async def test_without_redis_workers_are_not_ready_and_updates_wait(
    fake_api: FakeBotAPI, tmp_path: Path, keys: Keys
) -> None:
    db, schema = await open_database("postgresql", tmp_path, keys)
    redis = Switchable()  # not listening yet: Redis is down
    hook = webhook_settings()
    base = hook["webhook_url"].rsplit("/", 1)[0]
    shared = dict(
        database_url="postgresql://postgres@127.0.0.1/test",  # several workers may run
        redis_url=f"redis://127.0.0.1:{redis.port}/13",
    )
    try:
        async with bot_running(fake_api, db, keys, **hook, **shared) as running:
            # Several workers leave this to `lapor-ppa webhook set`, once per deployment.
            assert (await set_webhook(running.runtime.api, running.app.settings)).ok
            assert await get(f"{base}/readyz") == (503, "not ready: Redis does not answer\n")
            user = fake_api.user(5581003)
            await user.send("/start")
            await asyncio.sleep(1.5)
            assert not said(fake_api, user.id)  # not handled without the person's lock
            await redis.up()
            await until(lambda: len(said(fake_api, user.id)) == 2)  # then handled, once
            assert "Anonim" in said(fake_api, user.id)[0].plain
            assert (await get(f"{base}/readyz")) == (200, "ready\n")
    finally:
        await redis.down()
        await close_database(db, schema)
