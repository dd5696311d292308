"""The neutral Telegram edge: one raw Bot API update (a plain dict, as Telegram sends it) →
what it is for. Every Telegram runtime (aiogram polling today; a webhook or another library
later) hands its updates here and decides nothing itself.

- In a private chat: a `/start <token>` may be a staff invite and a reply may answer a staff
  prompt, so both go to staff first, with the reporter's reading as the fallback; everything
  else is the reporter's.
- In a group: `/hubungkan[@bot]`, `/statistik[@bot]` and replies are for staff; other
  chatter is ignored. In a private chat `/statistik` is a member's, else the reporter's.
- A button: `s:` data is a staff press (wherever it was pressed); any other press in a private
  chat is the reporter's; elsewhere it is only acknowledged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from flows.core import Input
from flows.text import one_line
from handlers.casework.events import StaffEvent
from handlers.reporter.service import Incoming

Update = Mapping[str, Any]

# The update types the edge reads; a runtime asks Telegram for these only.
UPDATE_TYPES = ("message", "callback_query", "my_chat_member")
STAFF_BUTTON = "s:"
STATS_COMMANDS = ("/statistik", "/stats")  # a member's unit's numbers
GROUP_CHATS = ("group", "supergroup")
# The content a message can carry, in the order aiogram named a message's content type (an
# animation also carries `document`, a venue `location`), so kinds read as they always have.
CONTENT_KINDS = (
    "text",
    "audio",
    "animation",
    "document",
    "game",
    "live_photo",
    "photo",
    "sticker",
    "video",
    "video_note",
    "voice",
    "checklist",
    "contact",
    "venue",
    "location",
    "invoice",
    "successful_payment",
    "users_shared",
    "pinned_message",
    "paid_media",
    "passport_data",
    "poll",
    "dice",
    "web_app_data",
    "chat_shared",
    "story",
    "gift",
    "unique_gift",
)


@dataclass(frozen=True, slots=True)
class ForReporter:
    incoming: Incoming
    chat_id: int
    input_message_id: int | None = None  # the message a reply may delete (a code in it)
    callback_id: str = ""  # a button press: acknowledged at once, while it is handled


@dataclass(frozen=True, slots=True)
class ForStaff:
    event: StaffEvent
    callback_id: str = ""  # a staff button: acknowledged after handling, with its toast
    otherwise: ForReporter | None = None  # when staff say it is not theirs (None from handle)


@dataclass(frozen=True, slots=True)
class AckOnly:
    """A button press that is nobody's business: only stop its spinner."""

    callback_id: str


Routed = ForReporter | ForStaff | AckOnly | None


def parse_command(text: str) -> tuple[str, str] | None:
    """`/Lapor@bot  arg` → ("lapor", "arg"); None when the text is not a command."""
    if not text.startswith("/") or len(text) == 1:
        return None
    head, _, arg = text[1:].partition(" ")
    return head.split("@", 1)[0].lower(), arg.strip()


def text_input(text: str) -> Input:
    command = parse_command(text)
    return Input.of_text(text) if command is None else Input.of_command(*command)


def to_input(message: Mapping[str, Any]) -> Input:
    """A message as the reporter's input. Of media only a photo's file_id is kept (never the
    bytes); a video sent as a file is still a video (refused and deleted)."""
    text = message.get("text")
    if isinstance(text, str) and text:
        return text_input(text)
    kind = next((k for k in CONTENT_KINDS if message.get(k)), "unknown")
    photo = message.get("photo")
    ref = ""
    if isinstance(photo, list) and photo and isinstance(photo[-1], Mapping):
        ref = str(photo[-1].get("file_id") or "")
    document = message.get("document")
    mime = str(document.get("mime_type") or "") if isinstance(document, Mapping) else ""
    if mime.startswith("video/") or mime == "image/gif":
        kind = "video"
    caption = message.get("caption")
    return Input.of_media(kind, ref, caption if isinstance(caption, str) else "")


def read_update(update: Update, *, staff: bool, bot_username: str = "") -> Routed:
    """What `update` is for. `staff`: whether staff casework runs at all (else groups and
    staff candidates are left alone); `bot_username`: for `/hubungkan@bot`."""
    update_id = _int(update.get("update_id"))
    message = update.get("message")
    if isinstance(message, Mapping):
        chat = _chat(message)
        if chat is None:
            return None
        if chat[1] == "private":
            return _private(message, chat[0], update_id, staff)
        if chat[1] in GROUP_CHATS and staff:
            return _group(message, chat, update_id, bot_username)
        return None
    query = update.get("callback_query")
    if isinstance(query, Mapping):
        return _button(query, update_id, staff)
    member = update.get("my_chat_member")
    if isinstance(member, Mapping) and staff:
        return _membership(member, update_id)
    return None  # edited messages, channel posts, …: not asked for, and not for the bot


def _private(message: Update, chat_id: int, update_id: int | None, staff: bool) -> Routed:
    sender = _sender(message)
    if sender is None:
        return None
    user_id, user = sender
    message_id = _int(message.get("message_id"))
    reporter = ForReporter(
        Incoming(
            user_id=user_id,
            input=to_input(message),
            update_id=update_id,
            message_id=message_id,
            language_code=_str(user.get("language_code")),
            chat_id=chat_id,
        ),
        chat_id,
        input_message_id=message_id,
    )
    if not staff:
        return reporter
    text = message.get("text")
    text = text if isinstance(text, str) else ""
    name = _name(user)
    if text.split("@")[0].strip().lower() in STATS_COMMANDS:
        event = StaffEvent(
            "stats", user_id, name, chat_id, "private", "", message_id, None, update_id
        )
        return ForStaff(event, otherwise=reporter)
    if text.startswith("/start ") and text.split(maxsplit=1)[1:]:
        token = text.split(maxsplit=1)[1].strip()[:64]
        event = StaffEvent(
            "start_token", user_id, name, chat_id, "private", token, message_id, None, update_id
        )
        return ForStaff(event, otherwise=reporter)
    replied = message.get("reply_to_message")
    if isinstance(replied, Mapping) and text:
        reply_to = _int(replied.get("message_id"))
        event = StaffEvent(
            "reply", user_id, name, chat_id, "private", text, message_id, reply_to, update_id
        )
        return ForStaff(event, otherwise=reporter)
    return reporter


def _group(
    message: Update, chat: tuple[int, str], update_id: int | None, bot_username: str
) -> Routed:
    sender = _sender(message)
    text = message.get("text")
    if sender is None or not isinstance(text, str) or not text:
        return None  # group chatter is not for the bot
    user_id, user = sender
    words = text.split(maxsplit=1)
    command = words[0].lower() if words else ""
    replied = message.get("reply_to_message")
    kind: Literal["connect", "reply", "stats"]
    if command in ("/hubungkan", f"/hubungkan@{bot_username.lower()}"):
        kind = "connect"
    elif command in (*STATS_COMMANDS, *(f"{c}@{bot_username.lower()}" for c in STATS_COMMANDS)):
        kind = "stats"
    elif isinstance(replied, Mapping):
        kind = "reply"
    else:
        return None
    reply_to = _int(replied.get("message_id")) if isinstance(replied, Mapping) else None
    message_id = _int(message.get("message_id"))
    chat_info = message.get("chat")
    public = isinstance(chat_info, Mapping) and bool(chat_info.get("username"))
    event = StaffEvent(
        kind, user_id, _name(user), chat[0], chat[1], text, message_id, reply_to, update_id, public
    )
    return ForStaff(event)


def _membership(member: Update, update_id: int | None) -> Routed:
    """The bot's own standing in a group changed: added, made admin, demoted, removed."""
    chat, sender = _chat(member), _sender(member)
    new = member.get("new_chat_member")
    status = new.get("status") if isinstance(new, Mapping) else None
    if chat is None or chat[1] not in GROUP_CHATS or sender is None or not isinstance(status, str):
        return None
    event = StaffEvent(
        "membership", sender[0], _name(sender[1]), chat[0], chat[1], status, None, None, update_id
    )
    return ForStaff(event)


def _button(query: Update, update_id: int | None, staff: bool) -> Routed:
    callback_id = query.get("id")
    if not isinstance(callback_id, str) or not callback_id:
        return None  # nothing to acknowledge, nobody to answer
    sender = _sender(query)
    pressed = query.get("message")
    if sender is None or not isinstance(pressed, Mapping) or (chat := _chat(pressed)) is None:
        return AckOnly(callback_id)
    user_id, user = sender
    message_id = _int(pressed.get("message_id"))
    data = query.get("data")
    data = data if isinstance(data, str) else ""
    if staff and data.startswith(STAFF_BUTTON):
        event = StaffEvent(
            "button", user_id, _name(user), chat[0], chat[1], data, message_id, None, update_id
        )
        return ForStaff(event, callback_id)
    if chat[1] != "private":
        return AckOnly(callback_id)
    incoming = Incoming(
        user_id=user_id,
        input=Input.of_choice(data),
        update_id=update_id,
        message_id=message_id,  # the pressed message: where "Hapus percakapan" reaches up to
        language_code=_str(user.get("language_code")),
        chat_id=chat[0],
    )
    return ForReporter(incoming, chat[0], callback_id=callback_id)


def _chat(message: Update) -> tuple[int, str] | None:
    chat = message.get("chat")
    if not isinstance(chat, Mapping):
        return None
    chat_id, kind = _int(chat.get("id")), chat.get("type")
    return None if chat_id is None or not isinstance(kind, str) else (chat_id, kind)


def _sender(event: Update) -> tuple[int, Update] | None:
    """Who sent a message or pressed a button: their id and their `from` object."""
    user = event.get("from")
    user_id = _int(user.get("id")) if isinstance(user, Mapping) else None
    return None if user_id is None or not isinstance(user, Mapping) else (user_id, user)


def _name(user: Update) -> str:
    # Staff are not anonymous; reporters' names are never read at all.
    parts = (user.get("first_name"), user.get("last_name"))
    return one_line(" ".join(p for p in parts if isinstance(p, str) and p))[:120]


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None
