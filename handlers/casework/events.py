"""What a runtime hands the staff service, and what it gets back to send at once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from flows.core import Reply

EventKind = Literal["start_token", "connect", "button", "reply", "membership", "stats"]


@dataclass(frozen=True, slots=True)
class StaffEvent:
    kind: EventKind
    user_id: int
    user_name: str
    chat_id: int
    chat_type: str  # private | group | supergroup
    text: str = ""  # the token, the button data, or the reply text
    message_id: int | None = None
    reply_to: int | None = None
    update_id: int | None = None
    public: bool = False  # connect: the group has a public @username
    bot_admin: bool | None = None  # connect: whether the bot is an admin there (None: unknown)


@dataclass(frozen=True, slots=True)
class File:
    """A file the bot made (a chart, an export), sent with the reply as its caption."""

    kind: Literal["photo", "document"]
    name: str
    content: bytes
    mime: str


@dataclass(frozen=True, slots=True)
class Direct:
    """A message to the acting person's chat, sent at once (not owed to anyone else); or a
    message there changed to `reply` and its buttons (`edit`), or taken away (`delete`)."""

    chat_id: int
    reply: Reply | None  # None only with `delete`
    reply_to: int | None = None
    photo: str = ""  # a Telegram file_id: sent as a protected photo with the text as caption
    edit: int | None = None
    delete: int | None = None
    file: File | None = None  # sent protected, with the reply as its caption


@dataclass(slots=True)
class StaffResult:
    toast: Reply | None = None
    direct: list[Direct] = field(default_factory=list)


# send(direct) -> the sent message id, or None
SendDirect = Callable[[Direct], Awaitable[int | None]]
