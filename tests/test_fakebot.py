"""Proves the fake Bot API against a tiny real aiogram 3 bot and against raw HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import Command
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    TelegramObject,
    Update,
)
from aiogram.utils import markdown

from tests.fakebot import EntityParseError, FakeBotAPI, parse_html

KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[
        [
            InlineKeyboardButton(text="Ya", callback_data="pick:ya"),
            InlineKeyboardButton(text="Tidak", callback_data="pick:tidak"),
        ],
        [InlineKeyboardButton(text="Situs", url="https://example.org/")],
    ]
)


@dataclass
class EchoBot:
    bot: Bot
    seen: list[int]  # update_ids in the order the bot processed them


def build_router() -> Router:
    router = Router()

    @router.message(Command("del"))
    async def delete(message: Message) -> None:
        temporary = await message.answer("sebentar…")
        await temporary.delete()
        await message.delete()
        await message.answer("dihapus")

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(
            f"<b>echo:</b> {markdown.html_decoration.quote(message.text or '')}",
            parse_mode="HTML",
            reply_markup=KEYBOARD,
        )

    @router.message(F.sticker)
    async def sticker(message: Message) -> None:
        await message.answer(f"stiker {message.sticker.emoji if message.sticker else ''}")

    @router.callback_query(F.data.startswith("pick:"))
    async def picked(query: CallbackQuery) -> None:
        choice = (query.data or "").removeprefix("pick:")
        await query.answer(f"pilih {choice}")
        if isinstance(query.message, Message):
            await query.message.edit_text(f"dipilih: {choice}")  # drops the keyboard
            await query.message.answer(f"terima kasih ({choice})")

    @router.callback_query()
    async def stale(query: CallbackQuery) -> None:
        await query.answer("kedaluwarsa", show_alert=True)

    return router


@pytest_asyncio.fixture
async def echo_bot(fake_api: FakeBotAPI) -> AsyncIterator[EchoBot]:
    bot = Bot(
        fake_api.token,
        session=AiohttpSession(api=TelegramAPIServer.from_base(fake_api.url)),
    )
    dp = Dispatcher()
    seen: list[int] = []

    @dp.update.outer_middleware()
    async def record(handler: Any, event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, Update):
            seen.append(event.update_id)
        return await handler(event, data)

    dp.include_router(build_router())
    first_poll = asyncio.ensure_future(fake_api.wait_for_call("getUpdates", timeout=5))
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False))
    await first_poll
    try:
        yield EchoBot(bot, seen)
    finally:
        await dp.stop_polling()  # also closes the bot session
        await polling


async def test_user_sees_echo_with_keyboard(fake_api: FakeBotAPI, echo_bot: EchoBot) -> None:
    user = fake_api.user(1001, first_name="Sari")
    [reply] = await user.ask("halo <dunia> & kamu")

    assert reply.from_bot and reply.chat_id == user.id
    assert reply.text == "<b>echo:</b> halo &lt;dunia&gt; &amp; kamu"
    assert reply.plain == "echo: halo <dunia> & kamu"
    assert reply.entities == [{"type": "bold", "offset": 0, "length": 5}]
    assert reply.buttons == [["Ya", "Tidak"], ["Situs"]]
    assert reply.button_data == {
        "Ya": "pick:ya",
        "Tidak": "pick:tidak",
        "Situs": "url:https://example.org/",
    }
    assert user.last is reply
    # Both sides share one message_id sequence in the chat.
    assert [(m.from_bot, m.message_id) for m in fake_api.chat(user.id)] == [(False, 1), (True, 2)]
    assert user.transcript() == (
        "> halo <dunia> & kamu\n< echo: halo <dunia> & kamu [Ya | Tidak] [Situs]"
    )
    # getMe and the resolved allowed_updates reached the fake as aiogram sent them.
    assert fake_api.calls[0].method == "getMe"
    poll = fake_api.calls_of("getUpdates")[0]
    assert sorted(poll.params["allowed_updates"]) == ["callback_query", "message"]

    await user.send_media("sticker")
    [sticker_reply] = await user.replies()
    assert sticker_reply.plain == "stiker \U0001f600"
    assert fake_api.server_errors == []


async def test_pressing_a_button_by_label(fake_api: FakeBotAPI, echo_bot: EchoBot) -> None:
    user = fake_api.user(1002)
    [menu] = await user.ask("menu")

    [thanks] = await user.tap("Ya")
    assert thanks.plain == "terima kasih (ya)"
    assert user.callback_answers[-1]["text"] == "pilih ya"
    assert user.callback_answers[-1]["show_alert"] is False
    # The handler edited the menu: old text kept, keyboard gone (no reply_markup sent).
    assert menu.plain == "dipilih: ya"
    assert menu.edits == ["<b>echo:</b> menu"]
    assert menu.buttons == []

    with pytest.raises(AssertionError, match="no visible button 'Tidak'"):
        await user.press("Tidak")

    # A forged callback on the old message reaches the catch-all handler.
    await user.press_data("forged", message_id=menu.message_id)
    await fake_api.wait_for_call("answerCallbackQuery")
    assert user.callback_answers[-1] == {
        "callback_query_id": user.callback_answers[-1]["callback_query_id"],
        "text": "kedaluwarsa",
        "show_alert": True,
        "url": None,
        "cache_time": None,
    }


async def test_url_buttons_cannot_be_pressed(fake_api: FakeBotAPI, echo_bot: EchoBot) -> None:
    user = fake_api.user(1003)
    await user.ask("x")
    with pytest.raises(AssertionError, match="not a callback button"):
        await user.press("Situs")


async def test_delete_message_hides_both_sides(fake_api: FakeBotAPI, echo_bot: EchoBot) -> None:
    user = fake_api.user(1004)
    temporary, done = await user.ask("/del", n=2)
    assert temporary.plain == "sebentar…" and temporary.deleted
    assert done.plain == "dihapus" and not done.deleted
    assert [m.plain for m in fake_api.chat(user.id)] == ["dihapus"]
    assert len(fake_api.history(user.id)) == 3

    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await echo_bot.bot.delete_message(user.id, temporary.message_id)


async def test_errors_reach_aiogram_in_the_real_shape(
    fake_api: FakeBotAPI, echo_bot: EchoBot
) -> None:
    bot, user = echo_bot.bot, fake_api.user(1005)

    fake_api.fail("sendMessage", status=429, retry_after=7)
    with pytest.raises(TelegramRetryAfter) as retry:
        await bot.send_message(user.id, "hai")
    assert retry.value.retry_after == 7
    assert fake_api.calls[-1].response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }

    fake_api.fail("sendMessage", times=2)
    for _ in range(2):
        with pytest.raises(TelegramServerError):
            await bot.send_message(user.id, "hai")
    sent = await bot.send_message(user.id, "hai")  # failures are used up
    assert sent.text == "hai"

    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(424242, "siapa?")
    user.blocked = True
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(user.id, "hai")


async def test_redelivered_update_arrives_again(fake_api: FakeBotAPI, echo_bot: EchoBot) -> None:
    user = fake_api.user(1006)
    update_id = await user.send("sekali")
    await user.replies()
    # Confirmed by the next poll's offset, then redelivered with the same id.
    await fake_api.wait_confirmed(update_id)
    fake_api.redeliver(update_id)
    [again] = await user.replies()
    assert again.plain == "echo: sekali"
    assert echo_bot.seen.count(update_id) == 2

    # Normal updates keep flowing after the redelivery.
    [later] = await user.ask("lagi")
    assert later.plain == "echo: lagi"


async def test_text_limits_and_html_validation(fake_api: FakeBotAPI, echo_bot: EchoBot) -> None:
    bot, user = echo_bot.bot, fake_api.user(1007)

    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(user.id, "x" * 4097)
    # The limit applies to the parsed text, not to the markup.
    ok = await bot.send_message(user.id, "<b>" + "&lt;" * 4096 + "</b>", parse_mode="HTML")
    assert ok.text == "<" * 4096
    with pytest.raises(TelegramBadRequest, match="MESSAGE_TOO_LONG"):
        await bot.edit_message_text("y" * 4097, chat_id=user.id, message_id=ok.message_id)

    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(user.id, "  <b> </b> ", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match='Unsupported start tag "br" at byte offset 1'):
        await bot.send_message(user.id, "a<br>b", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="can't parse entities: Can't find end tag"):
        await bot.send_message(user.id, "<b>tebal", parse_mode="HTML")

    too_long = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="a", callback_data="x" * 65)]]
    )
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(user.id, "pilih", reply_markup=too_long)
    too_many = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=str(i), callback_data=str(i)) for i in range(r, r + 8)]
            for r in range(0, 104, 8)
        ]
    )
    with pytest.raises(TelegramBadRequest, match="reply markup is too long"):
        await bot.send_message(user.id, "pilih", reply_markup=too_many)

    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "<b>" + "&#60;" * 4096 + "</b>",
            parse_mode="HTML",
            chat_id=user.id,
            message_id=ok.message_id,
        )
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(chat_id=user.id, message_id=ok.message_id)
    assert fake_api.server_errors == []


def test_parse_html_matches_telegram() -> None:
    text, entities = parse_html(
        '\U0001f600 <b>a<i>b</i></b> <a href="https://x.org/?a=1&amp;b=2">l</a>'
        ' <pre><code class="language-python">p</code></pre>'
        ' <span class="tg-spoiler">s</span> <blockquote expandable>q</blockquote> &#39;&x;'
    )
    assert text == "\U0001f600 ab l p s q '&x;"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 2},  # the emoji is 2 UTF-16 units
        {"type": "italic", "offset": 4, "length": 1},
        {"type": "text_link", "offset": 6, "length": 1, "url": "https://x.org/?a=1&b=2"},
        {"type": "pre", "offset": 8, "length": 1, "language": "python"},
        {"type": "spoiler", "offset": 10, "length": 1},
        {"type": "expandable_blockquote", "offset": 12, "length": 1},
    ]
    for bad, message in [
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ("é<b", "Unclosed start tag at byte offset 2"),
    ]:
        with pytest.raises(EntityParseError) as error:
            parse_html(bad)
        assert message in str(error.value)


async def _api(
    session: aiohttp.ClientSession, fake: FakeBotAPI, method: str, **kwargs: Any
) -> tuple[int, dict[str, Any]]:
    http_method = kwargs.pop("http_method", "POST")
    token = kwargs.pop("token", fake.token)
    async with session.request(http_method, f"{fake.url}/bot{token}/{method}", **kwargs) as resp:
        return resp.status, await resp.json()


async def test_raw_http_encodings_and_errors(fake_api: FakeBotAPI) -> None:
    user = fake_api.user(2001)
    async with aiohttp.ClientSession() as session:
        status, body = await _api(session, fake_api, "getMe", token="1:wrong")
        assert (status, body) == (
            401,
            {"ok": False, "error_code": 401, "description": "Unauthorized"},
        )
        status, body = await _api(session, fake_api, "sendTelepathy")
        assert (status, body["description"]) == (404, "Not Found: method not found")

        status, body = await _api(session, fake_api, "getMe", http_method="GET", params={"x": "1"})
        assert body["result"]["username"] == "lapor_ppa_test_bot"
        assert body["result"]["is_bot"] is True

        keyboard = {"inline_keyboard": [[{"text": "OK", "callback_data": "ok"}]]}
        status, body = await _api(
            session,
            fake_api,
            "sendmessage",  # method names are case-insensitive
            json={"chat_id": user.id, "text": "json", "reply_markup": keyboard},
        )
        assert status == 200 and body["result"]["reply_markup"] == keyboard
        form = aiohttp.FormData({"chat_id": str(user.id), "text": "form"})
        form.add_field("document", b"%PDF", filename="a.pdf")  # forces multipart
        status, body = await _api(session, fake_api, "sendMessage", data=form)
        assert body["result"]["text"] == "form"
        status, body = await _api(
            session, fake_api, "sendMessage", data={"chat_id": str(user.id), "text": "url"}
        )
        assert body["result"]["message_id"] == 3
        assert [m.plain for m in fake_api.chat(user.id)] == ["json", "form", "url"]
        assert fake_api.calls_of("sendMessage")[0].params["reply_markup"] == keyboard


async def test_get_updates_offsets_long_poll_and_conflict(fake_api: FakeBotAPI) -> None:
    user = fake_api.user(2002)
    async with aiohttp.ClientSession() as session:
        first = await user.send("satu")
        second = await user.send("dua")
        _, body = await _api(session, fake_api, "getUpdates", data={})
        assert [u["update_id"] for u in body["result"]] == [first, second]
        assert body["result"][0]["message"]["text"] == "satu"
        # Unconfirmed updates are returned again; an offset confirms older ones.
        _, body = await _api(session, fake_api, "getUpdates", data={"offset": str(second)})
        assert [u["update_id"] for u in body["result"]] == [second]

        # A long poll wakes up as soon as an update arrives.
        poll = asyncio.create_task(
            _api(session, fake_api, "getUpdates", data={"offset": str(second + 1), "timeout": "5"})
        )
        await fake_api.wait_for_call("getUpdates")
        third = await user.press_data("raw")
        _, body = await asyncio.wait_for(poll, 2)
        assert [u["update_id"] for u in body["result"]] == [third]
        # No bot message to press on: Telegram sends an InaccessibleMessage (date 0).
        assert body["result"][0]["callback_query"]["message"]["date"] == 0

        # A second poller terminates the first one, like Telegram does.
        older = asyncio.create_task(
            _api(session, fake_api, "getUpdates", data={"offset": str(third + 1), "timeout": "5"})
        )
        await fake_api.wait_for_call("getUpdates")
        _, body = await _api(
            session, fake_api, "getUpdates", data={"offset": str(third + 1), "timeout": "0.05"}
        )
        assert body["result"] == []
        status, body = await asyncio.wait_for(older, 2)
        assert status == 409 and body["description"].startswith("Conflict: terminated")

        # allowed_updates filters update types from then on.
        await user.press_data("ignored")
        fourth = await user.send("empat")
        _, body = await _api(
            session,
            fake_api,
            "getUpdates",
            data={"offset": str(third + 1), "allowed_updates": '["message"]'},
        )
        assert [u["update_id"] for u in body["result"]] == [fourth]


async def test_stop_wakes_pending_long_poll() -> None:
    fake = FakeBotAPI()
    await fake.start()
    async with aiohttp.ClientSession() as session:
        poll = asyncio.create_task(_api(session, fake, "getUpdates", data={"timeout": "30"}))
        await fake.wait_for_call("getUpdates")
        await asyncio.wait_for(fake.stop(), 2)
        status, body = await asyncio.wait_for(poll, 2)
    assert (status, body) == (200, {"ok": True, "result": []})
