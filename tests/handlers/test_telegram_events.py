"""The neutral Telegram edge: raw Bot API updates (plain dicts) → what they are for."""

from __future__ import annotations

from typing import Any

import pytest

from flows.core import Input
from handlers.casework.events import StaffEvent
from handlers.reporter.service import Incoming
from handlers.telegram.events import (
    AckOnly,
    ForReporter,
    ForStaff,
    parse_command,
    read_update,
    to_input,
)
from tests.support import RunningBot, until

BOT = "lapor_ppa_test_bot"
USER = {"id": 501, "is_bot": False, "first_name": "Rina", "last_name": "Wati"} | {
    "language_code": "id"
}
PRIVATE = {"id": 501, "type": "private", "first_name": "Rina"}
GROUP = {"id": -4001, "type": "group", "title": "UPTD PPA"}


def message(chat: dict[str, Any] = PRIVATE, **fields: Any) -> dict[str, Any]:
    return {"update_id": 77, "message": {"message_id": 9, "date": 1, "chat": chat, **fields}}


def press(data: Any, chat: dict[str, Any] | None = PRIVATE, **fields: Any) -> dict[str, Any]:
    query: dict[str, Any] = {"id": "cb1", "from": USER, "chat_instance": "1", "data": data}
    if chat is not None:
        query["message"] = {"message_id": 30, "date": 1, "chat": chat, "text": "Pilih"}
    query.update(fields)
    return {"update_id": 78, "callback_query": query}


def read(update: dict[str, Any], staff: bool = True) -> Any:
    return read_update(update, staff=staff, bot_username=BOT)


def reporter(inp: Input, message_id: int = 9, chat_id: int = 501) -> ForReporter:
    incoming = Incoming(501, inp, 77, message_id, "id", chat_id)
    return ForReporter(incoming, chat_id, input_message_id=message_id)


# --------------------------------------------------------------------------------------
# Private chats
# --------------------------------------------------------------------------------------


def test_text_and_commands_in_private_are_the_reporters() -> None:
    assert read(message(**{"from": USER}, text="kota medan")) == reporter(
        Input.of_text("kota medan")
    )
    assert read(message(**{"from": USER}, text="/Status@lapor_ppa_test_bot  ABCD-1234 ")) == (
        reporter(Input.of_command("status", "ABCD-1234"))
    )
    assert read(message(**{"from": USER}, text="/")) == reporter(Input.of_text("/"))


def test_start_with_a_payload_goes_to_staff_first_with_the_reporter_behind() -> None:
    # An invite token and a campaign link (?start=sekolah) look alike: staff decide.
    routed = read(message(**{"from": USER}, text="/start sekolah"))
    assert routed == ForStaff(
        StaffEvent("start_token", 501, "Rina Wati", 501, "private", "sekolah", 9, None, 77),
        otherwise=reporter(Input.of_command("start", "sekolah")),
    )
    # Without staff casework the reporter has it at once; a bare /start is always theirs.
    assert read(message(**{"from": USER}, text="/start sekolah"), staff=False) == reporter(
        Input.of_command("start", "sekolah")
    )
    assert read(message(**{"from": USER}, text="/start")) == reporter(Input.of_command("start"))


def test_a_reply_in_private_may_answer_a_staff_prompt() -> None:
    replied = {"message_id": 5, "date": 1, "chat": PRIVATE, "text": "Alasannya?"}
    routed = read(message(**{"from": USER}, text="Bukan wilayah kami", reply_to_message=replied))
    assert routed == ForStaff(
        StaffEvent("reply", 501, "Rina Wati", 501, "private", "Bukan wilayah kami", 9, 5, 77),
        otherwise=reporter(Input.of_text("Bukan wilayah kami")),
    )
    # A photo sent as a reply is no answer to a prompt.
    photo = read(message(**{"from": USER}, photo=[{"file_id": "p"}], reply_to_message=replied))
    assert isinstance(photo, ForReporter)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"photo": [{"file_id": "small"}, {"file_id": "large"}], "caption": "akun @x"},
         Input.of_media("photo", "large", "akun @x")),
        ({"video": {"file_id": "v"}}, Input.of_media("video")),
        ({"video_note": {"file_id": "v"}}, Input.of_media("video_note")),
        # Telegram sends an animation with a document beside it: an animation it is
        ({"animation": {"file_id": "a"}, "document": {"file_id": "a", "mime_type": "video/mp4"}},
         Input.of_media("video")),
        ({"document": {"file_id": "d", "mime_type": "video/quicktime"}}, Input.of_media("video")),
        ({"document": {"file_id": "d", "mime_type": "image/gif"}}, Input.of_media("video")),
        ({"document": {"file_id": "d", "mime_type": "application/pdf"}},
         Input.of_media("document")),
        ({"sticker": {"file_id": "s"}}, Input.of_media("sticker")),
        ({"venue": {"title": "x"}, "location": {"latitude": 1}}, Input.of_media("venue")),
        ({"location": {"latitude": 1, "longitude": 2}}, Input.of_media("location")),
        ({"some_future_content": {"x": 1}}, Input.of_media("unknown")),
    ],
)  # fmt: skip
def test_media_is_read_as_the_flows_expect(fields: dict[str, Any], expected: Input) -> None:
    assert to_input({"message_id": 1, **fields}) == expected
    assert read(message(**{"from": USER}, **fields)) == reporter(expected)


def test_odd_and_forged_updates_are_left_alone() -> None:
    assert read(message(text="halo")) is None  # no `from`
    assert read(message(**{"from": {"id": "501"}}, text="halo")) is None  # not an id
    assert read({"update_id": 1, "message": {"message_id": 1, "text": "halo"}}) is None  # no chat
    channel = {"id": -100500, "type": "channel", "title": "Kanal"}
    assert read(message(channel, text="halo")) is None
    edited = message(**{"from": USER}, text="halo")
    edited["edited_message"] = edited.pop("message")
    assert read(edited) is None
    assert read({"update_id": 1, "channel_post": {"message_id": 1, "chat": channel}}) is None
    assert read({"update_id": 1}) is None
    assert read({"update_id": 1, "message": "not an object"}) is None


# --------------------------------------------------------------------------------------
# Groups
# --------------------------------------------------------------------------------------


def test_in_a_group_only_the_connect_command_and_replies_are_for_staff() -> None:
    def event(kind: str, text: str, reply_to: int | None = None) -> ForStaff:
        return ForStaff(StaffEvent(kind, 501, "Rina Wati", -4001, "group", text, 9, reply_to, 77))  # type: ignore[arg-type]

    assert read(message(GROUP, **{"from": USER}, text="/hubungkan")) == event(
        "connect", "/hubungkan"
    )
    named = f"/HUBUNGKAN@{BOT.upper()} sekarang"
    assert read(message(GROUP, **{"from": USER}, text=named)) == event("connect", named)
    other_bot = message(GROUP, **{"from": USER}, text="/hubungkan@another_bot")
    assert read(other_bot) is None
    replied = {"message_id": 4, "date": 1, "chat": GROUP, "text": "Alasannya?"}
    reply = message(GROUP, **{"from": USER}, text="Di luar wilayah", reply_to_message=replied)
    assert read(reply) == event("reply", "Di luar wilayah", 4)
    supergroup = {"id": -1004001, "type": "supergroup", "title": "UPTD PPA"}
    routed = read(message(supergroup, **{"from": USER}, text="/hubungkan"))
    assert isinstance(routed, ForStaff) and routed.event.chat_type == "supergroup"

    assert read(message(GROUP, **{"from": USER}, text="selamat pagi")) is None  # chatter
    assert read(message(GROUP, **{"from": USER}, photo=[{"file_id": "p"}])) is None
    assert read(message(GROUP, text="/hubungkan")) is None  # no `from`
    assert read(message(GROUP, **{"from": USER}, text="/hubungkan"), staff=False) is None


# --------------------------------------------------------------------------------------
# Buttons
# --------------------------------------------------------------------------------------


def test_staff_buttons_go_to_staff_wherever_they_are_pressed() -> None:
    for chat in (GROUP, PRIVATE):
        routed = read(press("s:claim:12", chat))
        assert routed == ForStaff(
            StaffEvent(
                "button", 501, "Rina Wati", chat["id"], chat["type"], "s:claim:12", 30, None, 78
            ),  # fmt: skip
            "cb1",
        )


def test_other_presses_are_the_reporters_in_private_and_only_acknowledged_elsewhere() -> None:
    incoming = Incoming(501, Input.of_choice("zz:unknown"), 78, 30, "id", 501)
    assert read(press("zz:unknown")) == ForReporter(incoming, 501, callback_id="cb1")
    assert read(press("zz:unknown", GROUP)) == AckOnly("cb1")
    assert read(press("s:claim:12", GROUP), staff=False) == AckOnly("cb1")
    # Without staff casework, s: data pressed in private is just a stale button to the flows.
    staffless = read(press("s:claim:12"), staff=False)
    assert isinstance(staffless, ForReporter) and staffless.incoming.input.text == "s:claim:12"


def test_odd_presses_are_acknowledged_or_ignored() -> None:
    assert read(press("menu:lapor", chat=None)) == AckOnly("cb1")  # no message (inline mode)
    no_sender = press("menu:lapor")
    del no_sender["callback_query"]["from"]
    assert read(no_sender) == AckOnly("cb1")
    no_data = read(press(None))
    assert isinstance(no_data, ForReporter) and no_data.incoming.input == Input.of_choice("")
    assert read(press("menu:lapor", id=None)) is None  # nothing to acknowledge
    # An inaccessible (too old) message still names its chat: the press counts.
    old = press("menu:lapor")
    old["callback_query"]["message"] = {"message_id": 0, "date": 0, "chat": PRIVATE}
    routed = read(old)
    assert isinstance(routed, ForReporter) and routed.incoming.message_id == 0


# --------------------------------------------------------------------------------------
# Commands, shared with the terminal shell
# --------------------------------------------------------------------------------------


def test_command_parsing_is_shared_with_the_shell() -> None:
    assert parse_command("/lapor") == ("lapor", "")
    assert parse_command("/Status@Bot kode  ") == ("status", "kode")
    assert parse_command("halo") is None and parse_command("/") is None


# --------------------------------------------------------------------------------------
# Through the real runtime and the fake Bot API
# --------------------------------------------------------------------------------------


async def test_a_campaign_start_link_greets_a_reporter(running_bot: RunningBot) -> None:
    user = running_bot.api.user(5560001)
    welcome, _menu = await user.ask("/start sekolah", n=2)
    assert "Selamat datang" in welcome.plain


async def test_presses_that_are_nobodys_business_are_only_acknowledged(
    running_bot: RunningBot,
) -> None:
    api = running_bot.api
    user = api.user(5560002)
    api.group(-4002)
    in_group = api.enqueue(
        {
            "callback_query": {
                "id": "900001",
                "from": user.to_json(),
                "chat_instance": "1",
                "data": "menu:lapor",
                "message": {"message_id": 1, "date": 1, "chat": {"id": -4002, "type": "group"}},
            }
        }
    )
    inline = api.enqueue(
        {
            "callback_query": {
                "id": "900002",
                "from": user.to_json(),
                "chat_instance": "1",
                "inline_message_id": "AAA",
                "data": "menu:lapor",
            }
        }
    )
    await until(lambda: len(user.callback_answers) == 2)
    await api.wait_confirmed(inline)
    assert [a["callback_query_id"] for a in user.callback_answers] == ["900001", "900002"]
    assert all(a["text"] is None for a in user.callback_answers)
    assert in_group < inline and api.calls_of("sendMessage") == []


async def test_a_message_without_a_sender_is_ignored_and_the_next_answered(
    running_bot: RunningBot,
) -> None:
    api = running_bot.api
    user = api.user(5560003)
    api.enqueue({"message": {"message_id": 1, "date": 1, "chat": user.chat_json(), "text": "x"}})
    welcome, _menu = await user.ask("/start", n=2)
    assert "Selamat datang" in welcome.plain
    assert len(api.calls_of("sendMessage")) == 2


async def test_an_update_aiogram_cannot_read_does_not_stop_the_bot(
    running_bot: RunningBot,
) -> None:
    api = running_bot.api
    user = api.user(5560004)
    # No `from`: aiogram refuses the whole getUpdates answer; the edge only acknowledges it.
    forged = {"id": "900003", "chat_instance": "1", "data": "menu:lapor"}
    forged["message"] = {"message_id": 1, "date": 1, "chat": user.chat_json()}
    api.enqueue({"callback_query": forged})
    await until(lambda: api.calls_of("answerCallbackQuery"))
    assert api.calls_of("answerCallbackQuery")[0].params == {"callback_query_id": "900003"}
    welcome, _menu = await user.ask("/start", n=2)
    assert "Selamat datang" in welcome.plain
