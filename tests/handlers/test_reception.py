"""Reception (issue 14, items 1 and 3): both runtimes pass on the very dict Telegram sent, and
long polling records each batch in the inbox (encrypted, without names) before the next
getUpdates confirms it, hands over what an earlier process left unfinished first, and
forgets each update once it is handled."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from handlers.telegram.aiogram_runtime import AiogramRuntime
from handlers.telegram.client import BotApi
from handlers.telegram.ptb_runtime import PtbRuntime
from handlers.telegram.reception import Polling, Received
from handlers.telegram.runtime import Runtime
from storage import followup, inbox
from storage.conversations import open_store
from storage.crypto import Keys
from storage.db import Database
from tests.fakebot import FakeBotAPI
from tests.support import every_stored_byte, until

USER = {
    "id": 701,
    "is_bot": False,
    "first_name": "Rina",
    "username": "rina_w",
    "language_code": "id",
}
PRIVATE = {"id": 701, "type": "private", "first_name": "Rina", "username": "rina_w"}
GROUP = {"id": -4001, "type": "group", "title": "UPTD PPA Sidoarjo"}
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
    # Not an update type the bot asks for, and one no framework can read: still passed on.
    {"edited_message": {"message_id": 6, "date": 1, "chat": PRIVATE, "from": USER, "text": "x"}},
    {"message": {"message_id": "not a number", "chat": PRIVATE, "from": USER}},
]


def make(kind: str, api: FakeBotAPI) -> Runtime:
    return (
        AiogramRuntime(api.token, api.url) if kind == "aiogram" else PtbRuntime(api.token, api.url)
    )


@pytest.mark.parametrize("kind", ["aiogram", "ptb"])
async def test_each_runtime_passes_on_the_dict_telegram_sent(
    fake_api: FakeBotAPI, kind: str
) -> None:
    got: list[dict[str, Any]] = []

    async def handle(update: dict[str, Any]) -> None:
        got.append(update)

    runtime = make(kind, fake_api)
    await runtime.start(handle)
    try:
        sent = [{"update_id": 100 + n, **sample} for n, sample in enumerate(SAMPLES)]
        for update in sent:
            await runtime.feed(update)
    finally:
        await runtime.close()
    assert len(got) == len(sent)
    assert all(a is b for a, b in zip(got, sent, strict=True))  # the very dicts


class Holding:
    """A runtime that keeps what it is fed, as the edge would while handling it."""

    def __init__(self) -> None:
        self.fed: list[dict[str, Any]] = []

    async def start(self, handle: Any) -> None: ...

    async def feed(self, update: dict[str, Any]) -> None:
        self.fed.append(update)

    async def close(self) -> None: ...


@pytest.fixture
async def polling(
    fake_api: FakeBotAPI, database: Database, keys: Keys
) -> AsyncIterator[tuple[Polling, Holding, Received]]:
    runtime = Holding()
    received = Received(database, keys, open_store(database))
    reception = Polling(_client(fake_api), received, runtime, polling_timeout=1)
    task = asyncio.create_task(reception.serve())
    try:
        yield reception, runtime, received
    finally:
        await reception.stop()
        await asyncio.wait_for(task, 5)
        await received.close()
        await reception.api.close()


def _client(api: FakeBotAPI) -> BotApi:
    return BotApi(api.token, api.url)


def message(user: Any, text: str) -> dict[str, Any]:
    return {
        "message": {
            "message_id": 1,
            "date": 1,
            "chat": user.chat_json(),
            "from": user.to_json(),
            "text": text,
        }
    }


async def test_a_batch_is_kept_until_handled_and_holds_no_names(
    fake_api: FakeBotAPI,
    database: Database,
    keys: Keys,
    tmp_path: Any,
    polling: tuple[Polling, Holding, Received],
) -> None:
    _reception, runtime, received = polling
    rina = fake_api.user(701, first_name="Rina", last_name="Wulandari", username="rina_w")
    ids = [fake_api.enqueue(message(rina, f"Cerita-rahasia-{n}")) for n in range(3)]
    await until(lambda: len(runtime.fed) == 3)
    # Handed over, not handled yet: kept, whatever happens to this process now.
    kept = await inbox.unfinished(database)
    assert [u["update_id"] for u in kept] == ids
    assert kept[0]["message"]["text"] == "Cerita-rahasia-0"
    assert kept[0]["message"]["from"]["first_name"] == ""
    assert "username" not in kept[0]["message"]["chat"]
    stored = await every_stored_byte(database, tmp_path)
    for secret in (b"Cerita-rahasia", b"Rina", b"Wulandari", b"rina_w"):
        assert secret not in stored
    # Handled: gone.
    for update_id in ids:
        received.handled(update_id)
    await until(lambda: not fake_api.pending_updates)

    async def empty() -> bool:
        return not await inbox.unfinished(database)

    for _ in range(100):
        if await empty():
            break
        await asyncio.sleep(0.02)
    assert await empty()


async def test_what_an_earlier_process_left_is_handed_over_first_and_once(
    fake_api: FakeBotAPI, database: Database, keys: Keys
) -> None:
    siti = fake_api.user(702)
    # The last process recorded four updates. It confirmed two (Telegram will not send them
    # again) and died before handling any, or confirming the other two.
    confirmed = [{"update_id": 40 + n, **message(siti, f"dikonfirmasi {n}")} for n in range(2)]
    unconfirmed = [
        fake_api.enqueue({"update_id": 50 + n, **message(siti, f"belum {n}")}) for n in range(2)
    ]
    await inbox.record(open_store(database), keys, [*confirmed, *fake_api.pending_updates])
    newer = fake_api.enqueue(message(siti, "pesan baru"))
    runtime = Holding()
    received = Received(database, keys, open_store(database))
    reception = Polling(_client(fake_api), received, runtime, polling_timeout=1)
    task = asyncio.create_task(reception.serve())
    try:
        await until(lambda: len(runtime.fed) >= 5)
        await asyncio.sleep(0.2)
        assert [u["update_id"] for u in runtime.fed] == [40, 41, *unconfirmed, newer]
        assert runtime.fed[0]["message"]["text"] == "dikonfirmasi 0"
    finally:
        await reception.stop()
        await asyncio.wait_for(task, 5)
        await reception.api.close()


async def test_hapus_removes_what_the_person_sent_from_the_inbox(
    database: Database, keys: Keys
) -> None:
    rina = {
        "update_id": 1,
        "message": {"message_id": 1, "date": 1, "chat": PRIVATE, "from": USER, "text": "a"},
    }
    other = {**USER, "id": 999}
    budi = {
        "update_id": 2,
        "message": {
            "message_id": 2,
            "date": 1,
            "chat": {**PRIVATE, "id": 999},
            "from": other,
            "text": "b",
        },
    }
    await inbox.record(open_store(database), keys, [rina, budi])
    async with database.unit_of_work() as session:
        await followup.unlink_reporter(session, keys.reporter_ref(701))
    assert [u["update_id"] for u in await inbox.unfinished(database)] == [2]


async def test_a_worker_renews_what_it_holds_and_takes_over_what_a_stopped_one_held(
    database: Database, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inbox, "HOLD_SECONDS", 0.6)  # renewed every 0.2 s
    store = open_store(database)
    mine = Received(database, keys, store, shared=True)
    stopped = Received(database, keys, store, shared=True)
    await stopped.record([{"update_id": 901, **SAMPLES[0]}])  # then its worker was killed
    await mine.record([{"update_id": 902, **SAMPLES[0]}])
    handed: list[int] = []
    stop = asyncio.Event()
    keeping = asyncio.create_task(mine.keep(stop, lambda u: handed.append(u["update_id"])))
    try:
        await until(lambda: handed == [901], 5)
        await asyncio.sleep(1.5)  # long past 902's first hold: renewed, so never taken over
        assert handed == [901]
        assert 901 in mine.replayed  # its question is put again, in case its answer was lost
    finally:
        stop.set()
        await keeping
        await store.close()
