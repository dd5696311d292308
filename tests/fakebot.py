"""A fake Telegram Bot API server for end-to-end tests.

The real bot (aiogram, long polling) is pointed at this server through
``TELEGRAM_API_URL`` and talks to it exactly as it would talk to Telegram: ``POST
{root}/bot{token}/{method}``. Tests then act as people: a :class:`FakeUser` sends text,
presses a button by its visible label and reads what the bot put into the chat.

All state lives in :class:`FakeBotAPI` (never in the bot), so a bot running as a separate
process is served the same way as one running inside the test's event loop.

The validation mirrors the real Bot API where bugs would otherwise hide: HTML is parsed
the way tdlib parses it (same error texts), text limits are counted after entity parsing,
editing without ``reply_markup`` drops the inline keyboard, and ``getUpdates`` has the real
offset/confirmation semantics.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import logging
import random
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest_asyncio
from aiohttp import web

from tests.fakebot_webhook import SECRET, Post, Pusher, Webhook

__all__ = [
    "AnswerHold",
    "ApiError",
    "BotMessage",
    "Call",
    "EntityParseError",
    "FakeBotAPI",
    "FakeUser",
    "fake_api",
    "parse_html",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_TEXT_LENGTH = 4096
DELETE_WINDOW_SECONDS = 48 * 3600  # bots may delete private-chat messages this long
MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_BUTTONS = 100
MAX_CALLBACK_ANSWER_LENGTH = 200

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup"
    " are exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
CONFLICT = (
    "Conflict: terminated by other getUpdates request;"
    " make sure that only one bot instance is running"
)
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active;"
    " use deleteWebhook to delete the webhook first"
)

# Update types Telegram sends when allowed_updates is empty or was never set.
_DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

MEDIA_KINDS = (
    "sticker",
    "photo",
    "voice",
    "video",
    "document",
    "animation",
    "video_note",
    "location",
    "contact",
)
_CAPTIONABLE = frozenset({"photo", "video", "document", "animation", "voice"})

_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

# Nested values arrive JSON-encoded inside form fields; these are decoded for handlers.
_JSON_KEYS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "allowed_updates",
        "link_preview_options",
        "reply_parameters",
        "commands",
        "scope",
        "menu_button",
        "media",
        "message_ids",
    }
)
_INT_KEYS = frozenset(
    {
        "chat_id",
        "message_id",
        "offset",
        "limit",
        "user_id",
        "from_chat_id",
        "message_thread_id",
        "cache_time",
        "reply_to_message_id",
    }
)
_FLOAT_KEYS = frozenset({"timeout"})  # floats let tests long-poll for fractions of a second
_BOOL_KEYS = frozenset(
    {
        "show_alert",
        "disable_notification",
        "protect_content",
        "disable_web_page_preview",
        "drop_pending_updates",
        "allow_sending_without_reply",
    }
)
_INT_RE = re.compile(r"-?\d+")


# --------------------------------------------------------------------------------------
# Records visible to tests
# --------------------------------------------------------------------------------------


@dataclass
class Call:
    """One Bot API request as the server received it (params already decoded)."""

    method: str
    params: dict[str, Any]
    at: float  # time.monotonic(), so tests can measure gaps (e.g. honouring retry_after)
    status: int | None = None  # HTTP status answered; None while still pending
    response: dict[str, Any] | None = None


@dataclass
class BotMessage:
    """A message in a chat, from either side, in the server's current view."""

    message_id: int
    chat_id: int
    from_bot: bool
    text: str  # as sent (raw HTML when parse_mode is HTML); caption for media
    plain: str  # what the person reads: tags stripped, entities unescaped, trimmed
    buttons: list[list[str]] = field(default_factory=list)
    button_data: dict[str, str] = field(default_factory=dict)
    deleted: bool = False
    edits: list[str] = field(default_factory=list)  # previous raw texts, oldest first
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None
    # Extras beyond the brief.
    entities: list[dict[str, Any]] = field(default_factory=list)
    kind: str = "text"  # "text" or one of MEDIA_KINDS
    media: Any = None  # the Telegram payload of the media field (list for photo)
    reply_keyboard: list[list[str]] = field(default_factory=list)  # ReplyKeyboardMarkup labels
    reply_to: int | None = None
    sender_id: int = 0
    date: int = 0
    edit_date: int | None = None
    protected: bool = False  # sent with protect_content (no forwarding or saving)
    upload: bytes | None = None  # a file the bot uploaded (multipart), as received
    file_name: str = ""  # an uploaded document's name

    @property
    def labels(self) -> list[str]:
        """All inline button labels, flattened."""
        return [label for row in self.buttons for label in row]

    def _set_markup(self, markup: dict[str, Any] | None) -> None:
        self.reply_markup = markup
        self.buttons = []
        self.button_data = {}
        self.reply_keyboard = []
        if not markup:
            return
        for row in markup.get("inline_keyboard") or []:
            self.buttons.append([button["text"] for button in row])
            for button in row:
                self.button_data.setdefault(button["text"], _button_value(button))
        for row in markup.get("keyboard") or []:
            self.reply_keyboard.append(
                [button if isinstance(button, str) else button.get("text", "") for button in row]
            )

    def _inline_keyboard(self) -> list[list[dict[str, Any]]] | None:
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            return self.reply_markup["inline_keyboard"]
        return None

    def describe(self) -> str:
        """One transcript line (continuation lines indented)."""
        arrow = "<" if self.from_bot else ">"
        body = self.plain if self.kind == "text" else f"[{self.kind}] {self.plain}".rstrip()
        flags = ""
        if self.deleted:
            flags += " (deleted)"
        if self.edits:
            flags += " (edited)"
        keyboard = "".join(" [" + " | ".join(row) + "]" for row in self.buttons)
        if self.reply_keyboard:
            keyboard += " {" + " / ".join(" | ".join(r) for r in self.reply_keyboard) + "}"
        lines = f"{body}{keyboard}{flags}".split("\n")
        return f"{arrow} " + "\n  ".join(lines)


def _button_value(button: dict[str, Any]) -> str:
    if "callback_data" in button:
        return str(button["callback_data"])
    if "url" in button:
        return "url:" + str(button["url"])
    kinds = [key for key in button if key != "text"]
    return (kinds[0] + ":") if kinds else ""


class ApiError(Exception):
    """An error answer in the real Bot API shape; raised by method handlers."""

    def __init__(
        self,
        code: int,
        description: str,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        parameters: dict[str, Any] = {}
        if self.retry_after is not None:
            parameters["retry_after"] = self.retry_after
        if self.migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = self.migrate_to_chat_id
        if parameters:
            body["parameters"] = parameters
        return body


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


# --------------------------------------------------------------------------------------
# HTML parse mode, following tdlib's parse_html so that error texts match Telegram's
# --------------------------------------------------------------------------------------


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; the message is tdlib's."""


_SPACES = frozenset(" \t\r\n\v\f")
_TRIM = " \t\r\n\v\f"
_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:#(\d{1,8})|#[xX]([0-9a-fA-F]{1,7})|([a-zA-Z]+));")


def _u16(text: str) -> int:
    """Length in UTF-16 code units: the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _copy(value: Any) -> Any:
    """A deep copy of JSON-shaped data (dicts, lists, scalars): what the fake keeps or hands
    out must not share lists with what it stores. Several times faster than copy.deepcopy,
    which matters when bench/ drives the fake with a thousand people."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _decode_entity(text: str, pos: int) -> tuple[str, int] | None:
    match = _ENTITY_RE.match(text, pos)
    if match is None:
        return None
    decimal, hexadecimal, name = match.groups()
    if name is not None:
        char = _NAMED_ENTITIES.get(name)
        return None if char is None else (char, match.end())
    code = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end()


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into (plain text, entities); raise EntityParseError like tdlib.

    Unknown ``&name;`` and a lone ``&`` stay literal (as in Telegram); a lone ``<`` is an
    error. Offsets and lengths of entities are in UTF-16 code units.
    """
    n = len(text)

    def at(k: int) -> str:
        return text[k] if k < n else ""

    def byte_offset(k: int) -> int:
        return len(text[:k].encode("utf-8"))

    out: list[str] = []
    u16 = 0
    # Open tags: (tag name, argument, utf16 start, expandable blockquote).
    stack: list[tuple[str, str, int, bool]] = []
    entities: list[dict[str, Any]] = []
    i = 0
    while i < n:
        c = text[i]
        if c == "&":
            decoded = _decode_entity(text, i)
            if decoded is not None:
                char, i = decoded
                out.append(char)
                u16 += _u16(char)
                continue
        if c != "<":
            out.append(c)
            u16 += _u16(c)
            i += 1
            continue

        begin = i
        i += 1
        if at(i) != "/":
            name_start = i
            while at(i) and at(i) not in _SPACES and at(i) != ">":
                i += 1
            if not at(i):
                raise EntityParseError(f"Unclosed start tag at byte offset {byte_offset(begin)}")
            tag = text[name_start:i].lower()
            if tag not in _TAGS:
                raise EntityParseError(
                    f'Unsupported start tag "{tag}" at byte offset {byte_offset(begin)}'
                )
            argument = ""
            expandable = False
            while at(i) != ">":
                while at(i) and at(i) in _SPACES:
                    i += 1
                if at(i) == ">":
                    break
                attr_start = i
                while at(i) and at(i) not in _SPACES and at(i) not in "=>":
                    i += 1
                attr = text[attr_start:i]
                if not attr:
                    raise EntityParseError(
                        f'Empty attribute name in the tag "{tag}" at byte offset '
                        f"{byte_offset(begin)}"
                    )
                while at(i) and at(i) in _SPACES:
                    i += 1
                if at(i) != "=":
                    if tag == "blockquote" and attr == "expandable":
                        expandable = True
                        continue
                    raise EntityParseError(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {byte_offset(begin)}'
                    )
                i += 1
                while at(i) and at(i) in _SPACES:
                    i += 1
                if not at(i):
                    raise EntityParseError(
                        f'Unclosed start tag "{tag}" at byte offset {byte_offset(begin)}'
                    )
                if at(i) not in "'\"":
                    token_start = i
                    while at(i) and ((at(i).isascii() and at(i).isalnum()) or at(i) in ".-"):
                        i += 1
                    value = text[token_start:i].lower()
                    if at(i) and at(i) not in _SPACES and at(i) != ">":
                        at_byte = byte_offset(token_start)
                        raise EntityParseError(
                            f"Unexpected end of name token at byte offset {at_byte}"
                        )
                else:
                    quote = at(i)
                    i += 1
                    chars: list[str] = []
                    while at(i) and at(i) != quote:
                        if at(i) == "&":
                            decoded = _decode_entity(text, i)
                            if decoded is not None:
                                chars.append(decoded[0])
                                i = decoded[1]
                                continue
                        chars.append(at(i))
                        i += 1
                    if at(i) == quote:
                        i += 1
                    value = "".join(chars)
                if not at(i):
                    raise EntityParseError(
                        f"Unclosed start tag at byte offset {byte_offset(begin)}"
                    )
                if tag == "a" and attr == "href":
                    argument = value
                elif tag == "code" and attr == "class" and value.startswith("language-"):
                    argument = value[len("language-") :]
                elif tag == "span" and attr == "class" and value.startswith("tg-"):
                    argument = value[len("tg-") :]
                elif tag == "tg-emoji" and attr == "emoji-id":
                    argument = value
            if tag == "span" and argument != "spoiler":
                raise EntityParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(begin)}'
                )
            stack.append((tag, argument, u16, expandable))
            i += 1  # past ">"
            continue

        # An end tag.
        if not stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {byte_offset(begin)}")
        i += 1  # past "/"
        name_start = i
        while at(i) and at(i) not in _SPACES and at(i) != ">":
            i += 1
        end_name = text[name_start:i]
        while at(i) and at(i) in _SPACES:
            i += 1
        if at(i) != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {byte_offset(begin)}")
        i += 1
        tag, argument, start, expandable = stack.pop()
        if end_name and end_name.lower() != tag:
            raise EntityParseError(
                f"Unmatched end tag at byte offset {byte_offset(begin)}, "
                f'expected "</{tag}>", found "</{end_name}>"'
            )
        length = u16 - start
        if length <= 0:
            continue
        entity: dict[str, Any] = {"type": _TAG_TYPES[tag], "offset": start, "length": length}
        if tag == "a":
            if not argument:
                continue  # tdlib drops links without a usable URL
            entity["url"] = argument
        elif tag == "code" and argument:
            entity["language"] = argument
        elif tag == "tg-emoji":
            entity["custom_emoji_id"] = argument
        elif tag == "blockquote" and expandable:
            entity["type"] = "expandable_blockquote"
        elif tag == "pre" and entities:
            # <pre><code class="language-x">…</code></pre> is one pre entity with a language.
            inner = entities[-1]
            if inner["type"] == "code" and inner["offset"] == start and inner["length"] == length:
                entities.pop()
                if "language" in inner:
                    entity["language"] = inner["language"]
        entities.append(entity)

    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _trim(plain: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Strip surrounding whitespace as Telegram does, keeping entities aligned."""
    left = plain.lstrip(_TRIM)
    shift = _u16(plain[: len(plain) - len(left)])
    result = left.rstrip(_TRIM)
    total = _u16(result)
    fixed: list[dict[str, Any]] = []
    for entity in entities:
        start = max(int(entity.get("offset", 0)) - shift, 0)
        end = min(int(entity.get("offset", 0)) + int(entity.get("length", 0)) - shift, total)
        if end > start:
            fixed.append({**entity, "offset": start, "length": end - start})
    return result, fixed


def html_to_plain(text: str) -> str:
    """Plain text of Telegram HTML (for assertions); raises EntityParseError when invalid."""
    return parse_html(text)[0]


# --------------------------------------------------------------------------------------
# The fake user
# --------------------------------------------------------------------------------------


class FakeUser:
    """A person in a private chat with the bot (chat id == user id)."""

    def __init__(
        self,
        api: FakeBotAPI,
        user_id: int,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
    ) -> None:
        self.api = api
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.callback_answers: list[dict[str, Any]] = []
        # When True the bot gets 403 "bot was blocked by the user" for this chat.
        self.blocked = False
        self._consumed = 0  # bot messages already handed out by replies()

    def to_json(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name is not None:
            user["last_name"] = self.last_name
        if self.username is not None:
            user["username"] = self.username
        if self.language_code is not None:
            user["language_code"] = self.language_code
        return user

    def chat_json(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name is not None:
            chat["last_name"] = self.last_name
        if self.username is not None:
            chat["username"] = self.username
        return chat

    # ---- acting --------------------------------------------------------------------

    async def send(self, text: str) -> int:
        """Send a text message (a leading "/command" gets a bot_command entity)."""
        if not text.strip():
            raise ValueError("Telegram clients cannot send an empty message")
        entities: list[dict[str, Any]] = []
        command = re.match(r"/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?", text)
        if command is not None:
            entities.append({"type": "bot_command", "offset": 0, "length": command.end()})
        return self.api._user_message(self, kind="text", text=text, entities=entities)

    async def send_media(self, kind: str, *, caption: str | None = None) -> int:
        """Send a non-text message of `kind` with plausible Telegram fields."""
        if kind not in MEDIA_KINDS:
            raise ValueError(f"unknown media kind {kind!r}; expected one of {MEDIA_KINDS}")
        if caption is not None and kind not in _CAPTIONABLE:
            raise ValueError(f"{kind} messages have no caption")
        return self.api._user_message(self, kind=kind, text=caption or "", entities=[])

    async def press(self, label: str) -> int:
        """Press the inline button labelled `label` on the newest bot message showing it."""
        for message in reversed(self.api._messages(self.id)):
            if not message.from_bot or message.deleted:
                continue
            for row in message._inline_keyboard() or []:
                for button in row:
                    if button.get("text") != label:
                        continue
                    if "callback_data" not in button:
                        kind = _button_value(button)
                        raise AssertionError(
                            f"button {label!r} is not a callback button ({kind}); "
                            "pressing it sends nothing to the bot"
                        )
                    return self.api._callback(self, message, str(button["callback_data"]))
        raise AssertionError(
            f"no visible button {label!r} in chat {self.id}.\n"
            f"Visible buttons (newest first): {self.visible_buttons() or 'none'}\n"
            f"Transcript:\n{self.transcript()}"
        )

    async def press_data(
        self, data: str, message_id: int | None = None, *, chat_id: int | None = None
    ) -> int:
        """Send a callback query with arbitrary data (forged or stale presses), on a message
        of their private chat or of `chat_id` (the newest bot message there by default)."""
        chat = self.id if chat_id is None else chat_id
        message: BotMessage | None = None
        if message_id is None:
            bot_messages = [m for m in self.api._messages(chat) if m.from_bot and not m.deleted]
            message = bot_messages[-1] if bot_messages else None
        else:
            message = self.api._find(chat, message_id)
        return self.api._callback(self, message, data, message_id=message_id)

    # ---- acting in a group (staff work tickets there) ---------------------------------

    async def send_in(self, chat_id: int, text: str, *, reply_to: int | None = None) -> int:
        """A text message from this user in a group (or any chat), optionally a reply."""
        entities: list[dict[str, Any]] = []
        command = re.match(r"/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?", text)
        if command is not None:
            entities.append({"type": "bot_command", "offset": 0, "length": command.end()})
        return self.api._user_message(
            self, kind="text", text=text, entities=entities, chat_id=chat_id, reply_to=reply_to
        )

    async def reply(self, message: BotMessage, text: str) -> int:
        """Answer a bot message with Telegram's reply (as a ForceReply prompt asks)."""
        return await self.send_in(message.chat_id, text, reply_to=message.message_id)

    async def press_in(self, chat_id: int, label: str) -> int:
        """Press the button labelled `label` on the newest bot message in `chat_id` showing it."""
        for message in reversed(self.api._messages(chat_id)):
            if message.from_bot and not message.deleted:
                for row in message._inline_keyboard() or []:
                    for button in row:
                        if button.get("text") == label and "callback_data" in button:
                            return self.api._callback(self, message, str(button["callback_data"]))
        raise AssertionError(f"no button {label!r} in chat {chat_id}")

    # ---- observing -----------------------------------------------------------------

    async def replies(self, n: int = 1, timeout: float = 10.0) -> list[BotMessage]:  # noqa: ASYNC109
        """Wait for the next `n` bot messages not yet returned by replies()/ask()/tap().

        Messages the bot sent and later deleted still count (the person saw them); check
        ``.deleted`` on them. Edits do not create new messages.
        """

        def ready() -> list[BotMessage] | None:
            fresh = self._bot_messages()[self._consumed :]
            return fresh[:n] if len(fresh) >= n else None

        got = await self.api._wait_until(ready, timeout)
        if got is None:
            fresh = self._bot_messages()[self._consumed :]
            raise AssertionError(
                f"expected {n} new bot message(s) in chat {self.id} within {timeout}s, "
                f"got {len(fresh)}.\nTranscript:\n{self.transcript()}"
            )
        self._consumed += n
        return got

    async def ask(self, text: str, n: int = 1) -> list[BotMessage]:
        await self.send(text)
        return await self.replies(n)

    async def tap(self, label: str, n: int = 1) -> list[BotMessage]:
        await self.press(label)
        return await self.replies(n)

    def mark_read(self) -> None:
        """Treat every bot message so far as consumed by replies()."""
        self._consumed = len(self._bot_messages())

    def transcript(self) -> str:
        lines = [m.describe() for m in self.api._messages(self.id)]
        return "\n".join(lines) if lines else "(empty chat)"

    def visible_buttons(self) -> list[list[str]]:
        """Inline button labels of every visible bot message, newest message first."""
        return [
            m.labels
            for m in reversed(self.api._messages(self.id))
            if m.from_bot and not m.deleted and m.buttons
        ]

    @property
    def last(self) -> BotMessage:
        for message in reversed(self.api._messages(self.id)):
            if message.from_bot and not message.deleted:
                return message
        raise AssertionError(f"the bot has sent nothing to chat {self.id}")

    def _bot_messages(self) -> list[BotMessage]:
        return [m for m in self.api._messages(self.id) if m.from_bot]

    def __repr__(self) -> str:
        return f"FakeUser(id={self.id}, first_name={self.first_name!r})"


# --------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------


@dataclass
class _Chat:
    info: dict[str, Any]
    user: FakeUser | None = None
    bot_status: str = "administrator"  # in a group: the bot's standing (getChatMember)
    messages: list[BotMessage] = field(default_factory=list)
    next_message_id: int = 1

    def add(self, message: BotMessage) -> BotMessage:
        self.messages.append(message)
        return message

    def take_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass
class _Failure:
    status: int
    description: str
    retry_after: int | None


@dataclass
class _RandomFailures:
    rng: random.Random
    rates: list[tuple[int, float]]  # (HTTP status, probability), drawn in this order
    retry_after: int


_STATUS_TEXT = {
    400: "Bad Request: random failure",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

UPGRADED_TO_SUPERGROUP = "Bad Request: group chat was upgraded to a supergroup chat"


@dataclass
class AnswerHold:
    """The server applied the held call but keeps its answer back until :meth:`release`.

    Lets a test "kill" the bot while Telegram has accepted a request whose answer the bot
    has not seen yet: wait for ``accepted``, cancel the bot, then release.
    """

    method: str
    nth: int
    accepted: asyncio.Event = field(default_factory=asyncio.Event)
    call: Call | None = None
    _released: asyncio.Event = field(default_factory=asyncio.Event)

    def release(self) -> None:
        self._released.set()


Handler = Callable[[dict[str, Any]], Any]


class FakeBotAPI:
    """An in-process Telegram Bot API server that tests drive as users."""

    def __init__(
        self,
        token: str = "123456:TEST-token",
        bot_username: str = "lapor_ppa_test_bot",
        bot_id: int = 123456,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_id = bot_id
        self.bot_first_name = "Lapor PPA (test)"
        self.url = ""
        self.calls: list[Call] = []
        self.commands: dict[str, list[dict[str, Any]]] = {}  # key: scope JSON + "|" + lang
        self.descriptions: dict[str, str] = {}
        # Unexpected exceptions inside the fake itself (answered as 500); tests may assert
        # this stays empty to tell fake-server bugs from bot bugs.
        self.server_errors: list[str] = []

        self._chats: dict[int, _Chat] = {}
        self._pending: list[dict[str, Any]] = []
        self._history: dict[int, dict[str, Any]] = {}
        self._forced: set[int] = set()  # redelivered, survive one confirmation
        self._next_update_id = 1000
        self._allowed_updates: frozenset[str] | None = None
        self._poll_generation = 0
        self._callbacks: dict[str, tuple[FakeUser | None, bool]] = {}
        self._callback_ids = itertools.count(7_000_000_000_001)
        self._upload_ids = itertools.count(1)
        self._failures: dict[str, list[_Failure]] = {}
        self._flooded: dict[int, int] = {}  # chat id -> retry_after: every call to it is a 429
        self._random_failures: dict[str, _RandomFailures] = {}
        self._migrated: dict[int, int] = {}  # old group id -> its supergroup's id
        self._holds: list[AnswerHold] = []
        self._slow: dict[str, float] = {}  # method (lower-case) -> seconds before it is applied
        self._accepted: dict[str, int] = {}  # successful calls per method (lower-case)
        self._changed = asyncio.Event()
        self._closing = False
        self._kicked: set[int] = set()
        self._runner: web.AppRunner | None = None
        self._pusher: Pusher | None = None
        self.webhook_sets = self.webhook_deletes = 0
        self.webhook_timeout = 10.0  # Telegram waits about 60 s for a webhook's answer
        self._methods: dict[str, Handler] = {
            "setWebhook": self._set_webhook,
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getMyCommands": self._get_my_commands,
            "setChatMenuButton": self._true,
            "getChatMenuButton": lambda params: {"type": "commands"},
            "setMyDescription": self._set_description("description"),
            "getMyDescription": self._get_description("description"),
            "setMyShortDescription": self._set_description("short_description"),
            "getMyShortDescription": self._get_description("short_description"),
            "setMyName": self._set_description("name"),
            "getMyName": self._get_description("name"),
            "close": self._true,
            "logOut": self._true,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "banChatMember": self._member_action,
            "getChatMember": self._get_chat_member,
            "unbanChatMember": self._member_action,
        }
        # Telegram method names are case-insensitive.
        self._canonical = {name.lower(): name for name in self._methods}

    # ---- lifecycle -----------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        self._closing = False

    async def stop(self) -> None:
        # Wake long polls first: the runner waits for in-flight handlers on cleanup.
        self._closing = True
        self._notify()
        for hold in self._holds:  # held handlers would keep cleanup waiting
            hold.release()
        if self._pusher is not None:
            await self._pusher.stop()
            self._pusher = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotAPI:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ---- test-facing API ---------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "Warga",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "id",
    ) -> FakeUser:
        """The user with this id (created with its private chat on first use)."""
        chat = self._chats.get(user_id)
        if chat is not None and chat.user is not None:
            return chat.user
        user = FakeUser(self, user_id, first_name, last_name, username, language_code)
        self._chats[user_id] = _Chat(info=user.chat_json(), user=user)
        return user

    def group(
        self,
        chat_id: int,
        title: str = "UPTD PPA",
        *,
        username: str | None = None,
        bot_status: str = "administrator",
    ) -> None:
        """Register a group chat the bot may post to (unknown chats get "chat not found"); a
        `username` makes it public; `bot_status` is the bot's standing there."""
        kind = "supergroup" if chat_id <= -1_000_000_000_000 else "group"
        info: dict[str, Any] = {"id": chat_id, "type": kind, "title": title}
        if username:
            info["username"] = username
        chat = self._chats.setdefault(chat_id, _Chat(info=info))
        chat.bot_status = bot_status

    def set_bot_status(self, chat_id: int, status: str, by: FakeUser) -> int:
        """`by` changed the bot's standing in a group (promoted, demoted, removed): Telegram
        tells the bot with a my_chat_member update. Returns its update_id."""
        chat = self._chats[chat_id]
        old, chat.bot_status = chat.bot_status, status
        if status in ("left", "kicked"):
            self._kicked.add(chat_id)
        else:
            self._kicked.discard(chat_id)
        bot = {"user": self._bot_json(), "status": old}
        return self.enqueue(
            {
                "my_chat_member": {
                    "chat": dict(chat.info),
                    "from": by.to_json(),
                    "date": int(time.time()),
                    "old_chat_member": bot,
                    "new_chat_member": {**bot, "status": status},
                }
            }
        )

    def kick_bot(self, chat_id: int) -> None:
        """Someone removed the bot from this group: every call there now answers 403."""
        self._kicked.add(chat_id)

    def enqueue(self, update: dict[str, Any]) -> int:
        """Queue a raw update for getUpdates; assigns update_id when missing."""
        update = _copy(update)
        if "update_id" not in update:
            update["update_id"] = self._next_update_id
        update_id = int(update["update_id"])
        self._next_update_id = max(self._next_update_id, update_id + 1)
        query = update.get("callback_query")
        if isinstance(query, dict) and "id" in query and str(query["id"]) not in self._callbacks:
            chat = self._chats.get(int(query.get("from", {}).get("id", 0)))
            self._callbacks[str(query["id"])] = (chat.user if chat else None, False)
        self._history[update_id] = update
        self._pending.append(update)
        self._notify()
        return update_id

    def redeliver(self, update_id: int) -> None:
        """Deliver an already-delivered update again with the same update_id."""
        if update_id not in self._history:
            raise KeyError(f"update {update_id} was never enqueued")
        if all(u["update_id"] != update_id for u in self._pending):
            self._pending.append(self._history[update_id])
        self._forced.add(update_id)
        self._notify()

    def fail(
        self,
        method: str,
        *,
        status: int = 500,
        description: str = "Internal Server Error",
        times: int = 1,
        retry_after: int | None = None,
    ) -> None:
        """Make the next `times` calls of `method` fail with this error."""
        if status == 429 and description == "Internal Server Error":
            description = f"Too Many Requests: retry after {retry_after or 0}"
        failure = _Failure(status, description, retry_after)
        key = method.lower()
        self._failures.setdefault(key, []).extend([failure] * times)

    def flood(self, chat_id: int, retry_after: int) -> None:
        """Telegram's per-chat flood control: every call addressed to `chat_id` answers 429
        with `retry_after` until `unflood`."""
        self._flooded[chat_id] = retry_after

    def unflood(self, chat_id: int) -> None:
        self._flooded.pop(chat_id, None)

    def fail_randomly(
        self,
        method: str,
        rates: dict[int, float],
        *,
        retry_after: int = 1,
        seed: int = 0,
    ) -> None:
        """Fail calls of `method` at random, e.g. ``{429: 0.2, 502: 0.05}``; ``{}`` stops.

        Each call draws once from a generator seeded with `seed`; 429 answers carry
        `retry_after`. Failing calls are not applied (Telegram did not accept them).
        """
        key = method.lower()
        if not rates:
            self._random_failures.pop(key, None)
            return
        if sum(rates.values()) > 1:
            raise ValueError("failure probabilities add up to more than 1")
        self._random_failures[key] = _RandomFailures(
            random.Random(seed), sorted(rates.items()), retry_after
        )

    def migrate_group(self, old_id: int, new_id: int, title: str = "UPTD PPA") -> None:
        """Upgrade group `old_id` to supergroup `new_id`.

        From now on every call naming `old_id` is answered as Telegram does: 400 "group chat
        was upgraded to a supergroup chat" with ``parameters.migrate_to_chat_id``.
        """
        self.group(new_id, title)
        self._migrated[old_id] = new_id

    def slow(self, method: str, seconds: float) -> None:
        """Every later call of `method` waits `seconds` before it is applied (0: no wait)."""
        self._slow[method.lower()] = seconds

    def hold_answer(self, method: str, nth: int = 1) -> AnswerHold:
        """Apply the `nth` successful call of `method` from now on, then hold its answer."""
        key = method.lower()
        hold = AnswerHold(key, self._accepted.get(key, 0) + nth)
        self._holds.append(hold)
        return hold

    async def wait_for_call(self, method: str, timeout: float = 10.0) -> Call:  # noqa: ASYNC109
        """Wait for the next `method` call received after this call started."""
        start = len(self.calls)
        wanted = method.lower()

        def found() -> Call | None:
            for call in self.calls[start:]:
                if call.method.lower() == wanted:
                    return call
            return None

        call = await self._wait_until(found, timeout)
        if call is None:
            seen = [c.method for c in self.calls[start:]]
            raise AssertionError(f"no {method} call within {timeout}s; calls meanwhile: {seen}")
        return call

    async def wait_confirmed(self, update_id: int, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until the bot confirmed `update_id` (a later getUpdates offset dropped it)."""

        def confirmed() -> bool | None:
            return True if all(u["update_id"] != update_id for u in self._pending) else None

        if await self._wait_until(confirmed, timeout) is None:
            raise AssertionError(f"update {update_id} not confirmed within {timeout}s")

    def calls_of(self, method: str) -> list[Call]:
        wanted = method.lower()
        return [call for call in self.calls if call.method.lower() == wanted]

    def chat(self, chat_id: int) -> list[BotMessage]:
        """The chat as the person sees it now: both sides, in order, without deleted."""
        return [m for m in self._messages(chat_id) if not m.deleted]

    def history(self, chat_id: int) -> list[BotMessage]:
        """Every message ever in the chat, deleted ones included."""
        return list(self._messages(chat_id))

    def update(self, update_id: int) -> dict[str, Any]:
        """A copy of an update as it was enqueued (e.g. which message a press was on)."""
        return _copy(self._history[update_id])

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        return sorted(self._pending, key=lambda u: u["update_id"])

    # ---- plumbing ------------------------------------------------------------------

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_until(self, probe: Callable[[], T | None], timeout: float) -> T | None:  # noqa: ASYNC109
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            changed = self._changed  # taken before probing so no change is missed
            result = probe()
            if result is not None:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    def _messages(self, chat_id: int) -> list[BotMessage]:
        chat = self._chats.get(chat_id)
        return chat.messages if chat is not None else []

    def _find(self, chat_id: int, message_id: int) -> BotMessage | None:
        for message in self._messages(chat_id):
            if message.message_id == message_id:
                return message
        return None

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            params = await _read_params(request)
        except ApiError as error:
            return web.json_response(error.body(), status=error.code)
        canonical = self._canonical.get(method.lower(), method)
        call = Call(canonical, params, time.monotonic())
        self.calls.append(call)
        self._notify()
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            target = params.get("chat_id")
            flooded = self._flooded.get(target) if isinstance(target, int) else None
            if flooded is not None:
                raise ApiError(429, f"Too Many Requests: retry after {flooded}", flooded)
            failures = self._failures.get(canonical.lower())
            if failures:
                failure = failures.pop(0)
                raise ApiError(failure.status, failure.description, failure.retry_after)
            self._maybe_fail_randomly(canonical.lower())
            if self._slow.get(canonical.lower()):
                await asyncio.sleep(self._slow[canonical.lower()])
            handler = self._methods.get(canonical)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            result = handler(params)
            if isinstance(result, Awaitable):
                result = await result
            status, body = 200, {"ok": True, "result": result}
            await self._hold_if_asked(canonical.lower(), call)
        except ApiError as error:
            status, body = error.code, error.body()
        except Exception as error:  # a bug in the fake, not in the bot
            log.exception("fake Bot API failed on %s", canonical)
            self.server_errors.append(f"{canonical}: {error!r}")
            status = 500
            body = {"ok": False, "error_code": 500, "description": f"Fake server bug: {error!r}"}
        call.status, call.response = status, body
        self._notify()
        return web.json_response(body, status=status)

    def _maybe_fail_randomly(self, key: str) -> None:
        spec = self._random_failures.get(key)
        if spec is None:
            return
        draw = spec.rng.random()
        for status, probability in spec.rates:
            if draw < probability:
                if status == 429:
                    description = f"Too Many Requests: retry after {spec.retry_after}"
                    raise ApiError(429, description, spec.retry_after)
                raise ApiError(status, _STATUS_TEXT.get(status, f"Error {status}"))
            draw -= probability

    async def _hold_if_asked(self, key: str, call: Call) -> None:
        self._accepted[key] = self._accepted.get(key, 0) + 1
        for hold in self._holds:
            if hold.method == key and hold.nth == self._accepted[key]:
                hold.call = call
                hold.accepted.set()
                self._notify()
                await hold._released.wait()  # call.status stays None: the answer is pending

    def _chat_for(self, params: dict[str, Any]) -> _Chat:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise _bad("chat_id is empty")
        if isinstance(chat_id, int) and chat_id in self._migrated:
            raise ApiError(400, UPGRADED_TO_SUPERGROUP, migrate_to_chat_id=self._migrated[chat_id])
        chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise _bad("chat not found")
        if chat.user is not None and chat.user.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id in self._kicked:
            raise ApiError(403, "Forbidden: bot was kicked from the group chat")
        return chat

    def _bot_json(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _message_json(self, message: BotMessage, *, nested: bool = True) -> dict[str, Any]:
        chat = self._chats[message.chat_id]
        if message.from_bot:
            sender = self._bot_json()
        else:
            sender_chat = self._chats.get(message.sender_id)
            sender = sender_chat.user.to_json() if sender_chat and sender_chat.user else {}
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "from": sender,
            "chat": dict(chat.info),
            "date": message.date,
        }
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        if nested and message.reply_to is not None:
            replied = self._find(message.chat_id, message.reply_to)
            if replied is not None and not replied.deleted:
                data["reply_to_message"] = self._message_json(replied, nested=False)
        if message.protected:
            data["has_protected_content"] = True
        if message.kind == "text":
            data["text"] = message.plain
            if message.entities:
                data["entities"] = _copy(message.entities)
        else:
            data[message.kind] = _copy(message.media)
            if message.kind == "animation":
                data["document"] = _copy(message.media)  # Telegram sends both
            if message.plain:
                data["caption"] = message.plain
                if message.entities:
                    data["caption_entities"] = _copy(message.entities)
        keyboard = message._inline_keyboard()
        if keyboard is not None:
            data["reply_markup"] = {"inline_keyboard": _copy(keyboard)}
        return data

    def _user_message(
        self,
        user: FakeUser,
        *,
        kind: str,
        text: str,
        entities: list[dict[str, Any]],
        chat_id: int | None = None,
        reply_to: int | None = None,
    ) -> int:
        chat_id = user.id if chat_id is None else chat_id
        chat = self._chats[chat_id]
        message = chat.add(
            BotMessage(
                message_id=chat.take_id(),
                chat_id=chat_id,
                reply_to=reply_to,
                from_bot=False,
                text=text,
                plain=text,
                entities=entities,
                kind=kind,
                media=_media_payload(kind, user, chat.next_message_id) if kind != "text" else None,
                sender_id=user.id,
                date=int(time.time()),
            )
        )
        return self.enqueue({"message": self._message_json(message)})

    def _callback(
        self,
        user: FakeUser,
        message: BotMessage | None,
        data: str,
        *,
        message_id: int | None = None,
    ) -> int:
        query_id = str(next(self._callback_ids))
        self._callbacks[query_id] = (user, False)
        if message is not None and not message.deleted:
            message_json = self._message_json(message)
        else:  # Telegram's InaccessibleMessage
            message_json = {
                "chat": dict(self._chats[message.chat_id if message else user.id].info),
                "message_id": message_id if message_id is not None else 0,
                "date": 0,
            }
        return self.enqueue(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user.to_json(),
                    "message": message_json,
                    "chat_instance": str(-(user.id * 7919 + self.bot_id) % 10**18),
                    "data": data,
                }
            }
        )

    # ---- formatting and markup validation -------------------------------------------

    @staticmethod
    def _format(
        text: Any, parse_mode: Any, entities: Any
    ) -> tuple[str, list[dict[str, Any]], str | None]:
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        mode = parse_mode if isinstance(parse_mode, str) and parse_mode else None
        if mode is not None and mode.lower() not in ("html", "markdown", "markdownv2"):
            raise _bad(f"unsupported parse_mode {mode!r}")
        if mode is not None and mode.lower() == "html":
            try:
                plain, parsed = parse_html(text)
            except EntityParseError as error:
                raise _bad(f"can't parse entities: {error}") from None
        else:
            # Markdown modes are not interpreted: the text is kept verbatim.
            plain = text
            parsed = [dict(e) for e in entities] if isinstance(entities, list) else []
        plain, parsed = _trim(plain, parsed)
        return plain, parsed, mode

    @staticmethod
    def _markup(markup: Any) -> dict[str, Any] | None:
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
            if sum(len(row) for row in rows) > MAX_INLINE_BUTTONS:
                raise _bad("reply markup is too long")
            for row in rows:
                for button in row:
                    _check_inline_button(button)
        elif "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad('field "keyboard" of the ReplyKeyboardMarkup must be an Array')
        elif not ({"remove_keyboard", "force_reply"} & markup.keys()):
            raise _bad("can't parse reply keyboard markup JSON object")
        return _copy(markup)

    # ---- methods -------------------------------------------------------------------

    @staticmethod
    def _true(params: dict[str, Any]) -> bool:
        return True

    def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self._bot_json(),
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _confirm(self, offset: Any) -> None:
        if not isinstance(offset, int) or offset == 0:
            return
        ordered = sorted(self._pending, key=lambda u: u["update_id"])
        if offset < 0:
            self._pending = ordered[offset:]
            return
        self._pending = [
            u for u in ordered if u["update_id"] >= offset or u["update_id"] in self._forced
        ]

    def _wanted(self, update: dict[str, Any]) -> bool:
        kinds = set(update) - {"update_id"}
        if self._allowed_updates is None:
            return not kinds <= _DEFAULT_EXCLUDED_UPDATES
        return bool(kinds & self._allowed_updates)

    def _take(self, limit: int) -> list[dict[str, Any]]:
        # Telegram never creates updates of types the bot did not ask for; drop them.
        self._pending = [u for u in self._pending if self._wanted(u)]
        batch = sorted(self._pending, key=lambda u: u["update_id"])[:limit]
        for update in batch:
            self._forced.discard(update["update_id"])
        return _copy(batch)

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        limit = params.get("limit", 100)
        limit = min(max(limit, 1), 100) if isinstance(limit, int) else 100
        timeout = params.get("timeout", 0)
        timeout = max(float(timeout), 0.0) if isinstance(timeout, int | float) else 0.0
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) or None
        if self._pusher is not None:
            raise ApiError(409, WEBHOOK_ACTIVE)
        self._confirm(params.get("offset"))
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()  # an older long poll, if any, is now terminated

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            changed = self._changed
            if generation != self._poll_generation:
                raise ApiError(409, CONFLICT)
            batch = self._take(limit)
            remaining = deadline - loop.time()
            if batch or self._closing or remaining <= 0:
                return batch
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), remaining)

    async def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = params.get("url")
        if not isinstance(url, str) or not url:
            return await self._delete_webhook(params)
        if not url.startswith(("http://", "https://")):
            raise ApiError(400, "Bad Request: bad webhook: an HTTPS URL must be provided")
        secret = params.get("secret_token")
        if secret is not None and not (isinstance(secret, str) and SECRET.fullmatch(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        connections = params.get("max_connections", 40)
        if not isinstance(connections, int) or not 1 <= connections <= 100:
            raise ApiError(400, "Bad Request: bad webhook: max_connections must be 1-100")
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) or None
        if params.get("drop_pending_updates"):
            self._pending = []
        hook = Webhook(url, secret, connections, self._allowed_updates)
        if self._pusher is not None:
            await self._pusher.stop()
        self._poll_generation += 1  # a long poll in progress ends
        self._notify()
        self._pusher = Pusher(
            hook,
            lambda: self._take(100),
            self._confirm_one,
            lambda: self._changed,
            timeout=self.webhook_timeout,
        )
        self._pusher.start()
        self.webhook_sets += 1
        return True

    def _confirm_one(self, update_id: int) -> None:
        self._pending = [u for u in self._pending if u["update_id"] != update_id]
        self._notify()

    async def _delete_webhook(self, params: dict[str, Any]) -> bool:
        if self._pusher is not None:
            await self._pusher.stop()
            self._pusher = None
            self.webhook_deletes += 1
        if params.get("drop_pending_updates"):
            self._pending = []
            self._forced.clear()
        return True

    def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self._pusher is not None:
            hook = self._pusher.hook
            info |= {"url": hook.url, "max_connections": hook.max_connections}
            if hook.allowed_updates:
                info["allowed_updates"] = sorted(hook.allowed_updates)
            failed = [p for p in self._pusher.posts if p.status != 200]
            if failed:
                info["last_error_message"] = f"Wrong response from the webhook: {failed[-1].status}"
        return info

    @property
    def webhook_posts(self) -> list[Post]:
        """Every POST to the webhook so far (none without one)."""
        return list(self._pusher.posts) if self._pusher is not None else []

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> str:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True) + "|" + str(params.get("language_code") or "")

    def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        for command in commands:
            name = command.get("command", "") if isinstance(command, dict) else ""
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(params)] = _copy(commands)
        return True

    def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return _copy(self.commands.get(self._commands_key(params), []))

    def _set_description(self, field_name: str) -> Handler:
        limit = {"description": 512, "short_description": 120, "name": 64}[field_name]

        def handler(params: dict[str, Any]) -> bool:
            value = str(params.get(field_name) or "")
            if len(value) > limit:  # as Telegram refuses it
                raise _bad(f"{field_name.upper()}_TOO_LONG")
            key = f"{field_name}|{params.get('language_code') or ''}"
            self.descriptions[key] = value
            return True

        return handler

    def _get_description(self, field_name: str) -> Handler:
        def handler(params: dict[str, Any]) -> dict[str, str]:
            key = f"{field_name}|{params.get('language_code') or ''}"
            return {field_name: self.descriptions.get(key, "")}

        return handler

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        raw = params.get("text")
        plain, entities, mode = self._format(raw, params.get("parse_mode"), params.get("entities"))
        if not plain:
            raise _bad("message text is empty")
        if len(plain) > MAX_TEXT_LENGTH:
            raise _bad("message is too long")
        protected = bool(params.get("protect_content"))
        return self._post(params, str(raw), plain, entities, mode, protected=protected)

    def _send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        """A photo by file_id, or uploaded (multipart) as Telegram takes it."""
        return self._send_file(
            params,
            "photo",
            lambda file_id: [
                {"file_id": file_id, "file_unique_id": file_id[-12:], "width": 1280, "height": 960}
            ],
        )

    def _send_document(self, params: dict[str, Any]) -> dict[str, Any]:
        """A document by file_id, or uploaded (multipart) as Telegram takes it."""
        return self._send_file(
            params,
            "document",
            lambda file_id: {"file_id": file_id, "file_unique_id": file_id[-12:]},
        )

    def _uploaded(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        """An uploaded file stands in for a file_id: it gets one, and its bytes are kept."""
        file = params[kind]
        limit = 10 * 1024 * 1024 if kind == "photo" else 50 * 1024 * 1024
        if not file["size"]:
            raise _bad(f"file must be non-empty ({kind})")
        if file["size"] > limit:
            raise ApiError(413, "Request Entity Too Large")
        file_id = f"upload-{next(self._upload_ids)}-{file['filename']}"
        return {**params, kind: file_id, "_upload": file}

    def _send_file(
        self, params: dict[str, Any], kind: str, media: Callable[[str], Any]
    ) -> dict[str, Any]:
        if isinstance(params.get(kind), dict) and "content" in params[kind]:
            params = self._uploaded(params, kind)
        upload = params.get("_upload") or {}
        file_id = params.get(kind)
        if not isinstance(file_id, str) or not file_id:
            raise _bad(f"there is no {kind} in the request")
        raw = params.get("caption") or ""
        plain, entities, mode = ("", [], None)
        if raw:
            plain, entities, mode = self._format(
                raw, params.get("parse_mode"), params.get("caption_entities")
            )
        return self._post(
            params,
            str(raw),
            plain,
            entities,
            mode,
            kind=kind,
            media=media(file_id),
            protected=bool(params.get("protect_content")),
            upload=upload.get("content"),
            file_name=str(upload.get("filename") or ""),
        )

    def _post(
        self,
        params: dict[str, Any],
        raw: str,
        plain: str,
        entities: list[dict[str, Any]],
        mode: str | None,
        **extra: Any,
    ) -> dict[str, Any]:
        """A bot message lands in its chat, with its keyboard and reply target."""
        chat = self._chat_for(params)
        markup = self._markup(params.get("reply_markup"))
        message = BotMessage(
            message_id=chat.take_id(),
            chat_id=int(chat.info["id"]),
            from_bot=True,
            text=raw,
            plain=plain,
            entities=entities,
            parse_mode=mode,
            reply_to=self._reply_target(chat, params),
            sender_id=self.bot_id,
            date=int(time.time()),
            **extra,
        )
        message._set_markup(markup)
        chat.add(message)
        return self._message_json(message)

    def _reply_target(self, chat: _Chat, params: dict[str, Any]) -> int | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            target, allow = reply.get("message_id"), bool(reply.get("allow_sending_without_reply"))
        else:
            target = params.get("reply_to_message_id")
            allow = bool(params.get("allow_sending_without_reply"))
        if not isinstance(target, int):
            return None
        found = self._find(int(chat.info["id"]), target)
        if found is None or found.deleted:
            if allow:
                return None
            raise _bad("message to be replied not found")
        return target

    def _editable(self, params: dict[str, Any]) -> tuple[_Chat, BotMessage]:
        if params.get("inline_message_id"):
            raise _bad("inline messages are not supported by the fake server")
        chat = self._chat_for(params)
        message_id = params.get("message_id")
        message = (
            self._find(int(chat.info["id"]), message_id) if isinstance(message_id, int) else None
        )
        if message is None or message.deleted:
            raise _bad("message to edit not found")
        if not message.from_bot:
            raise _bad("message can't be edited")
        return chat, message

    def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        _, message = self._editable(params)
        raw = params.get("text")
        plain, entities, mode = self._format(raw, params.get("parse_mode"), params.get("entities"))
        if not plain:
            raise _bad("message text is empty")
        if len(plain) > MAX_TEXT_LENGTH:
            raise _bad("MESSAGE_TOO_LONG")
        if message.kind != "text":
            raise _bad("there is no text in the message to edit")
        markup = self._markup(params.get("reply_markup"))
        # Editing without reply_markup removes the inline keyboard, as on Telegram.
        new_keyboard = markup.get("inline_keyboard") if markup else None
        if (
            plain == message.plain
            and entities == message.entities
            and new_keyboard == message._inline_keyboard()
        ):
            raise ApiError(400, NOT_MODIFIED)
        message.edits.append(message.text)
        message.text, message.plain, message.entities = str(raw), plain, entities
        message.parse_mode = mode
        message._set_markup({"inline_keyboard": new_keyboard} if new_keyboard is not None else None)
        message.edit_date = int(time.time())
        return self._message_json(message)

    def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any]:
        _, message = self._editable(params)
        markup = self._markup(params.get("reply_markup"))
        new_keyboard = markup.get("inline_keyboard") if markup else None
        if new_keyboard == message._inline_keyboard():
            raise ApiError(400, NOT_MODIFIED)
        message._set_markup({"inline_keyboard": new_keyboard} if new_keyboard is not None else None)
        message.edit_date = int(time.time())
        return self._message_json(message)

    def _delete_message(self, params: dict[str, Any]) -> bool:
        chat = self._chat_for(params)
        message_id = params.get("message_id")
        message = (
            self._find(int(chat.info["id"]), message_id) if isinstance(message_id, int) else None
        )
        if message is None or message.deleted:
            raise _bad("message to delete not found")
        message.deleted = True
        return True

    def _delete_messages(self, params: dict[str, Any]) -> bool:
        chat = self._chat_for(params)
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise _bad("message_ids must be a non-empty array of at most 100 identifiers")
        too_old = time.time() - DELETE_WINDOW_SECONDS
        for message_id in ids:
            message = self._find(int(chat.info["id"]), int(message_id))
            # Like Telegram: missing ids and messages past the 48-hour window are skipped.
            if message is not None and message.date >= too_old:
                message.deleted = True
        return True

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        entry = self._callbacks.get(query_id)
        if entry is None or entry[1]:
            raise ApiError(400, QUERY_TOO_OLD)
        text = params.get("text")
        if isinstance(text, str) and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad("MESSAGE_TOO_LONG")
        user, _ = entry
        self._callbacks[query_id] = (user, True)
        if user is not None:
            user.callback_answers.append(
                {
                    "callback_query_id": query_id,
                    "text": text,
                    "show_alert": bool(params.get("show_alert", False)),
                    "url": params.get("url"),
                    "cache_time": params.get("cache_time"),
                }
            )
        return True

    def _member_action(self, params: dict[str, Any]) -> bool:
        """banChatMember / unbanChatMember in a group: recorded in `calls`, always allowed."""
        self._chat_for(params)
        if not str(params.get("user_id", "")).lstrip("-").isdigit():
            raise _bad("invalid user_id specified")
        return True

    def _get_chat_member(self, params: dict[str, Any]) -> dict[str, Any]:
        """Only the bot's own standing is known; anyone else is an ordinary member."""
        chat = self._chat_for(params)
        user_id = params.get("user_id")
        if user_id == self.bot_id:
            return {"user": self._bot_json(), "status": chat.bot_status}
        return {"user": {"id": user_id, "is_bot": False, "first_name": "?"}, "status": "member"}

    def _send_chat_action(self, params: dict[str, Any]) -> bool:
        self._chat_for(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise _bad("can't parse inline keyboard button: Text is not specified")
    if not button["text"]:
        raise _bad("text must be non-empty")  # Telegram rejects empty labels too
    actions = set(button) - {"text"}
    if not actions:
        raise _bad(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if (
            not isinstance(data, str)
            or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
        ):
            raise _bad("BUTTON_DATA_INVALID")
    if "url" in button and not re.match(r"(?i)(https?|tg)://\S+$", str(button["url"])):
        raise _bad("BUTTON_URL_INVALID")


def _media_payload(kind: str, user: FakeUser, seed: int) -> Any:
    token = base64.urlsafe_b64encode(f"{kind}:{user.id}:{seed}".encode()).decode().rstrip("=")

    def file(suffix: str = "", **fields: Any) -> dict[str, Any]:
        return {
            "file_id": f"AgACAgUAAxkBAAI{token}{suffix}",
            "file_unique_id": f"AQAD{token[:12]}{suffix}",
            **fields,
        }

    if kind == "sticker":
        return file(
            type="regular",
            width=512,
            height=512,
            is_animated=False,
            is_video=False,
            emoji="\U0001f600",
            set_name="FakeStickers",
            file_size=24_000,
        )
    if kind == "photo":
        return [
            file("s", width=90, height=68, file_size=1_200),
            file("m", width=320, height=240, file_size=14_000),
            file("x", width=1280, height=960, file_size=120_000),
        ]
    if kind == "voice":
        return file(duration=4, mime_type="audio/ogg", file_size=9_000)
    if kind == "video":
        return file(width=1280, height=720, duration=6, mime_type="video/mp4", file_size=900_000)
    if kind == "document":
        return file(file_name="bukti.pdf", mime_type="application/pdf", file_size=52_000)
    if kind == "animation":
        return file(
            width=480,
            height=270,
            duration=3,
            file_name="animation.mp4",
            mime_type="video/mp4",
            file_size=200_000,
        )
    if kind == "video_note":
        return file(length=240, duration=5, file_size=300_000)
    if kind == "location":
        return {"latitude": -7.4478, "longitude": 112.7183}  # Sidoarjo
    if kind == "contact":
        contact: dict[str, Any] = {
            "phone_number": "+6281234567890",
            "first_name": user.first_name,
            "user_id": user.id,
        }
        if user.last_name is not None:
            contact["last_name"] = user.last_name
        return contact
    raise ValueError(kind)


# --------------------------------------------------------------------------------------
# Request decoding
# --------------------------------------------------------------------------------------


async def _read_params(request: web.Request) -> dict[str, Any]:
    """Collect params from the query string and a JSON, urlencoded or multipart body."""
    params: dict[str, Any] = dict(request.query)
    if request.method == "POST" and request.body_exists:
        content_type = request.content_type
        if content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise _bad("can't parse JSON request body") from None
            if isinstance(body, dict):
                params.update(body)
        elif content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    # Read and close now: leaked temp files would trip ResourceWarning.
                    content = value.file.read()
                    value.file.close()
                    params[key] = {
                        "filename": value.filename,
                        "content_type": value.content_type,
                        "size": len(content),
                        "content": content,
                    }
                else:
                    params[key] = value if isinstance(value, str) else bytes(value).decode()
    return {key: _decode_value(key, value) for key, value in params.items()}


def _decode_value(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if key in _JSON_KEYS:
        try:
            return json.loads(value)
        except ValueError:
            return value  # left as a string; the method answers 400 like Telegram
    if key in _INT_KEYS and _INT_RE.fullmatch(value):
        return int(value)
    if key in _FLOAT_KEYS:
        try:
            return float(value)
        except ValueError:
            return value
    if key in _BOOL_KEYS:
        return value.lower() in ("true", "1")
    return value


# --------------------------------------------------------------------------------------
# pytest fixture
# --------------------------------------------------------------------------------------


@pytest_asyncio.fixture
async def fake_api() -> AsyncIterator[FakeBotAPI]:
    """A started FakeBotAPI, stopped after the test."""
    api = FakeBotAPI()
    await api.start()
    try:
        yield api
    finally:
        await api.stop()
