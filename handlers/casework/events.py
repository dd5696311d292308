"""What a runtime hands the staff service, and what it gets back to send at once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from flows.core import Reply

EventKind = Literal["start_token", "connect", "button", "reply"]


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


@dataclass(frozen=True, slots=True)
class Direct:
    """A message to the acting person's chat, sent at once (not owed to anyone else)."""

    chat_id: int
    reply: Reply
    # Never set by the service any more: a ForceReply prompt goes through the outbox, which
    # records its message id as it does a card's. Kept so the runtimes' senders keep working.
    force_reply: bool = False
    reply_to: int | None = None
    prompt_id: int | None = None  # see force_reply
    photo: str = ""  # a Telegram file_id: sent as a protected photo with the text as caption


@dataclass(slots=True)
class StaffResult:
    toast: Reply | None = None
    direct: list[Direct] = field(default_factory=list)


# send(direct) -> the sent message id, or None
SendDirect = Callable[[Direct], Awaitable[int | None]]
