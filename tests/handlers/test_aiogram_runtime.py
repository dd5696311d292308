"""The aiogram runtime adapter: updates arrive as the dicts Telegram sent, a bounded number at
once, and those in hand are finished before it stops."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram.types import Update

from handlers.telegram.aiogram_runtime import AiogramPolling, as_dict
from handlers.telegram.events import read_update
from tests.fakebot import FakeBotAPI
from tests.support import until

USER = {"id": 701, "is_bot": False, "first_name": "Rina", "language_code": "id"}
PRIVATE = {"id": 701, "type": "private", "first_name": "Rina"}
GROUP = {"id": -4001, "type": "group", "title": "UPTD PPA"}
SAMPLES: list[dict[str, Any]] = [
    {"message": {"message_id": 1, "date": 1, "chat": PRIVATE, "from": USER, "text": "/lapor"}},
    {
        "message": {
            "message_id": 2,
            "date": 1,
            "chat": PRIVATE,
            "from": USER,
            "photo": [{"file_id": "a", "file_unique_id": "a", "width": 1, "height": 1}],
            "caption": "akun @x",
        }
    },
    {
        "message": {
            "message_id": 3,
            "date": 1,
            "chat": PRIVATE,
            "from": USER,
            "animation": {
                "file_id": "v",
                "file_unique_id": "v",
                "width": 1,
                "height": 1,
                "duration": 1,
            },
            "document": {"file_id": "v", "file_unique_id": "v", "mime_type": "video/mp4"},
        }
    },
    {
        "message": {
            "message_id": 4,
            "date": 1,
            "chat": GROUP,
            "from": USER,
            "text": "Di luar wilayah",
            "reply_to_message": {"message_id": 3, "date": 1, "chat": GROUP, "text": "Alasan?"},
        }
    },
    {
        "callback_query": {
            "id": "1",
            "from": USER,
            "chat_instance": "1",
            "data": "s:claim:4",
            "message": {"message_id": 5, "date": 1, "chat": GROUP, "text": "Kartu"},
        }
    },
    {
        "callback_query": {
            "id": "2",
            "from": USER,
            "chat_instance": "1",
            "data": "menu:lapor",
            "message": {"message_id": 6, "date": 0, "chat": PRIVATE},
        }
    },
]


@pytest.mark.parametrize("raw", SAMPLES)
def test_the_slow_way_back_from_aiogram_reads_the_same(raw: dict[str, Any]) -> None:
    raw = {"update_id": 10, **raw}
    back = as_dict(Update.model_validate(raw))
    for staff in (True, False):
        assert read_update(back, staff=staff) == read_update(raw, staff=staff)


class Recorder:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.running = 0
        self.most = 0
        self.finished = 0
        self.gate = asyncio.Event()

    async def __call__(self, update: dict[str, Any]) -> None:
        self.received.append(update)
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            await self.gate.wait()
        finally:
            self.running -= 1
            self.finished += 1


@pytest.fixture
async def runtime(fake_api: FakeBotAPI) -> AsyncIterator[AiogramPolling]:
    polling = AiogramPolling(fake_api.token, fake_api.url, concurrency=2, polling_timeout=1)
    try:
        yield polling
    finally:
        await polling.stop()
        await polling.close()


async def test_updates_arrive_as_telegram_sent_them_two_at_a_time_and_finish_before_stop(
    fake_api: FakeBotAPI, runtime: AiogramPolling
) -> None:
    user = fake_api.user(701)
    handler = Recorder()
    await runtime.prepare()
    serving = asyncio.create_task(runtime.serve(handler))
    sent = [
        fake_api.enqueue({"message": {**SAMPLES[0]["message"], "chat": user.chat_json()}})
        for _ in range(4)
    ]
    await until(lambda: handler.running == 2)
    assert handler.received[0] == fake_api.pending_updates[0]  # the very dict Telegram sent
    assert [u["update_id"] for u in handler.received] == sent[:2]

    await runtime.stop()
    await asyncio.sleep(0.05)
    assert not serving.done()  # the two in hand are still being handled
    handler.gate.set()
    await asyncio.wait_for(serving, 5)
    assert (handler.most, handler.finished) == (2, 2)
    # The two never handed over were never confirmed: the next process gets them.
    assert set(sent[2:]) <= {u["update_id"] for u in fake_api.pending_updates}


async def test_stop_before_serve_means_serve_returns_at_once(runtime: AiogramPolling) -> None:
    await runtime.stop()
    await asyncio.wait_for(runtime.serve(Recorder()), 1)
