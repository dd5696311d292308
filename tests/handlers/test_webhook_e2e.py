"""Webhook mode (issue 14, item 2), with each runtime, on SQLite and PostgreSQL: Telegram posts
the updates; a report and a staff claim work as with polling; a request without the secret
token is refused and changes nothing; health and readiness answer."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from storage import inbox
from storage.crypto import Keys
from storage.db import Database
from tests.fakebot import FakeBotAPI
from tests.handlers.test_staff_e2e import GROUP, connected_coordinator, reported_in_group
from tests.handlers.walks import public_without_place, walk
from tests.support import (
    WEBHOOK_SECRET,
    RunningBot,
    bot_running,
    inbox_drained,
    until,
    webhook_settings,
)


@pytest.fixture
async def webhook_bot(
    fake_api: FakeBotAPI, database: Database, keys: Keys, bot_runtime: str
) -> AsyncIterator[RunningBot]:
    async with bot_running(
        fake_api, database, keys, bot_runtime=bot_runtime, **webhook_settings()
    ) as running:
        yield running


def url(bot: RunningBot, path: str = "") -> str:
    base = bot.app.settings.webhook_url
    assert base is not None
    return base.rsplit("/", 1)[0] + path if path else base


async def test_a_report_arrives_by_webhook(webhook_bot: RunningBot) -> None:
    api = webhook_bot.api
    user = api.user(5571001)
    await user.ask("/start", n=2)
    await user.tap("Lapor", n=2)
    await user.tap("Masyarakat umum")
    await walk(user, public_without_place("Ada akun yang menawarkan anak."))
    sent, _held, _menu = await user.tap("Kirim", n=3)
    assert "Laporan terkirim" in sent.plain
    posts = api.webhook_posts
    assert posts and all(p.status == 200 for p in posts)
    assert api.webhook_sets == 1 and api.webhook_deletes == 0
    await inbox_drained(webhook_bot.db)  # nothing waits in the inbox once handled


async def test_a_staff_claim_by_webhook(webhook_bot: RunningBot) -> None:
    api = webhook_bot.api
    koor = await connected_coordinator(webhook_bot)
    card = await reported_in_group(api.user(5571002), api, "Masyarakat umum")
    await koor.press_in(GROUP, "Ambil")
    await until(lambda: "Dipegang: Rina Wati" in card.plain)


async def test_without_the_secret_nothing_is_taken(webhook_bot: RunningBot) -> None:
    api = webhook_bot.api
    user = api.user(5571003)
    update = {
        "update_id": 990001,
        "message": {
            "message_id": 1,
            "date": 1,
            "chat": user.chat_json(),
            "from": user.to_json(),
            "text": "/start",
        },
    }
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET + "x"}):
            async with http.post(url(webhook_bot), json=update, headers=headers) as r:
                assert r.status == 401
        async with http.get(url(webhook_bot, "/healthz")) as r:
            assert r.status == 200
        async with http.get(url(webhook_bot, "/readyz")) as r:
            assert r.status == 200 and (await r.text()).startswith("ready")
    assert not await inbox.unfinished(webhook_bot.db)
    assert not [m for m in api.history(user.id) if m.from_bot]
