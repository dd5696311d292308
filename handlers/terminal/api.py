"""The Bot API inside the process, for the terminal shell.

The shell runs the very path a Telegram update takes (the edge, lanes, services, outbox and
delivery worker); only this client differs: what the bot sends is kept per chat and handed
to the shell to show, and nothing goes over a network. It answers like Telegram does, so the
rest of the bot cannot tell.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from handlers.telegram.answers import Answer, Kind
from handlers.telegram.client import BotApi, Upload

BOT_ID = 1_000_000_001
BOT_USERNAME = "lapor_ppa_terminal_bot"


@dataclass(slots=True)
class Button:
    label: str
    data: str = ""  # callback data; empty for a link
    url: str = ""


@dataclass(slots=True)
class Message:
    chat_id: int
    message_id: int
    text: str  # as sent (HTML)
    buttons: list[list[Button]] = field(default_factory=list)
    force_reply: bool = False
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class Shown:
    """Something a person would notice in a chat."""

    kind: str  # sent | edited | deleted | toast
    chat_id: int
    message: Message | None = None
    text: str = ""  # a toast's text


def _buttons(markup: Any) -> list[list[Button]]:
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    return [
        [
            Button(
                str(b.get("text", "")), str(b.get("callback_data") or ""), str(b.get("url") or "")
            )
            for b in row
        ]
        for row in rows or []
    ]


class TerminalApi(BotApi):
    """A `BotApi` whose calls are answered here. `show` hears of every visible change."""

    def __init__(self, show: Callable[[Shown], None]) -> None:
        super().__init__("0:terminal", "http://terminal.invalid")
        self.show = show
        self.messages: dict[tuple[int, int], Message] = {}
        self._ids = itertools.count(1)
        self._methods: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getMe": lambda _p: {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Lapor PPA",
                "username": BOT_USERNAME,
            },
            "sendMessage": self._send,
            "sendPhoto": self._send,
            "sendDocument": self._send,
            "editMessageText": self._edit,
            "editMessageReplyMarkup": self._edit,
            "deleteMessage": self._delete,
            "deleteMessages": self._delete,
            "answerCallbackQuery": self._toast,
            "getChatMember": lambda _p: {"status": "administrator", "can_restrict_members": True},
        }

    async def call(
        self,
        method: str,
        payload: dict[str, Any] | None = None,
        *,
        seconds: float | None = None,
        upload: Upload | None = None,
    ) -> Answer:
        payload = dict(payload or {})
        if upload is not None:  # a file the bot made: the shell names it
            payload[upload.field] = upload.filename
            payload["caption"] = f"[{upload.filename}] {payload.get('caption') or ''}".rstrip()
        handler = self._methods.get(method)
        result = handler(payload) if handler else True  # ban, unban, menus: nothing to show
        if result is None:
            return Answer(
                Kind.REFUSED, None, 400, "Bad Request: message not found", "TelegramBadRequest"
            )
        return Answer(Kind.OK, result)

    async def close(self) -> None:
        """Nothing to close: no session was ever opened."""

    def message_id(self) -> int:
        """An id for a message the person typed (ids are shared by all chats here)."""
        return next(self._ids)

    def _send(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = int(p["chat_id"])
        markup = p.get("reply_markup")
        message = Message(
            chat,
            next(self._ids),
            str(p.get("text") or p.get("caption") or ""),
            _buttons(markup),
            isinstance(markup, dict) and bool(markup.get("force_reply")),
        )
        if p.get("photo") or p.get("document"):
            message.text = "📎 " + message.text
        self.messages[(chat, message.message_id)] = message
        self.show(Shown("sent", chat, message))
        return {"message_id": message.message_id, "chat": {"id": chat}, "date": int(time.time())}

    def _edit(self, p: dict[str, Any]) -> dict[str, Any] | None:
        message = self.messages.get((int(p["chat_id"]), int(p["message_id"])))
        if message is None or message.deleted:
            return None
        if "text" in p:
            message.text = str(p["text"])
        message.buttons = _buttons(p.get("reply_markup"))
        self.show(Shown("edited", message.chat_id, message))
        return {"message_id": message.message_id, "chat": {"id": message.chat_id}}

    def _delete(self, p: dict[str, Any]) -> bool | None:
        chat = int(p["chat_id"])
        ids = p.get("message_ids") or [p.get("message_id")]
        for message_id in ids:
            message = self.messages.get((chat, int(message_id)))
            if message is not None and not message.deleted:
                message.deleted = True
                self.show(Shown("deleted", chat, message))
            elif message is None:
                # A message the person typed (a pasted code): the shell shows its removal.
                self.show(Shown("deleted", chat, Message(chat, int(message_id), "")))
        return True

    def _toast(self, p: dict[str, Any]) -> bool:
        if p.get("text"):
            self.show(Shown("toast", 0, text=str(p["text"])))
        return True
