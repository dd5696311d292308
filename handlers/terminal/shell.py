"""The terminal shell: the bot as on Telegram, with the terminal for a phone.

A typed line becomes the update Telegram would send (a message, a reply to the bot's prompt,
or a button press) and goes through the same edge, services, outbox and delivery worker as on
Telegram; what the bot sends is printed, buttons as numbers. One person plays the reporter
and, with `--staff CODE` or `/staf CODE`, a koordinator of that unit: `/pelapor` and `/staf`
switch between the two chats, and what arrived in the other one is shown on switching.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from flows.core import N_, Reply
from handlers.render import plain
from handlers.telegram.edge import TelegramEdge
from handlers.terminal.api import BOT_ID, BOT_USERNAME, Message, Shown, TerminalApi
from handlers.terminal.setup import TerminalParts, staff_state
from storage.staff import looks_like_invite

ReadLine = Callable[[], Awaitable[str | None]]

REPORTER_ID = 10_001  # the terminal's reporter and koordinator, hashed like any Telegram id
STAFF_ID = 10_002
TO_STAFF = ("/staf", "/staff")
TO_REPORTER = ("/pelapor", "/reporter")


def stdin_reader() -> ReadLine:
    """Lines from stdin, read on a daemon thread: Ctrl-C ends the shell at once instead of
    waiting for a blocked read to return."""
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str | None] = asyncio.Queue()

    def pump() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(lines.put_nowait, line.rstrip("\n"))
        loop.call_soon_threadsafe(lines.put_nowait, None)

    threading.Thread(target=pump, name="stdin", daemon=True).start()
    return lines.get


@dataclass(slots=True)
class Chat:
    """One person's private chat with the bot, as their screen shows it."""

    user: dict[str, Any]
    prompt: str  # catalog id of the line prompt
    keys: list[tuple[str, Message]] = field(default_factory=list)  # numbered buttons
    fresh: bool = True  # the next buttons shown start the numbering again
    waiting: list[Shown] = field(default_factory=list)  # arrived while the other chat was open
    reply_to: Message | None = None  # an open prompt that wants a reply


class TerminalShell:
    def __init__(
        self,
        parts: TerminalParts,
        *,
        read_line: ReadLine,
        out: TextIO = sys.stdout,
        locale: str = "id",
    ) -> None:
        self.parts, self.read_line, self.out, self.locale = parts, read_line, out, locale
        self.api = TerminalApi(self._shown)
        parts.attach(self.api, BOT_USERNAME, BOT_ID)
        self.edge: TelegramEdge = parts.edge(self.api)
        self.chats = {
            REPORTER_ID: Chat(
                {"id": REPORTER_ID, "is_bot": False, "first_name": "Pelapor"}
                | {"language_code": locale},
                N_("shell.prompt_reporter"),
            ),
            STAFF_ID: Chat(
                {
                    "id": STAFF_ID,
                    "is_bot": False,
                    "first_name": "Koordinator",
                    "language_code": "id",
                },
                N_("shell.prompt_staff"),
            ),
        }
        self.here = REPORTER_ID
        self.unit: str | None = None
        self.member = False  # the terminal's koordinator account exists
        # Update ids are remembered to drop Telegram's redeliveries: each run takes new ones.
        self._updates = itertools.count(time.time_ns() // 1000)

    # --- what the bot sends ----------------------------------------------------------------

    def _say(self, msgid: str, **params: object) -> None:
        reply = Reply(msgid, {k: str(v) for k, v in params.items()})
        self.out.write(plain(self.parts.renderer.text(reply, self.locale)) + "\n")

    def _shown(self, shown: Shown) -> None:
        chat = self.chats.get(shown.chat_id or self.here)
        if chat is None:
            return  # a group or another member: nobody at this terminal reads it
        if shown.chat_id and shown.chat_id != self.here:
            chat.waiting.append(shown)
            return
        self._print(chat, shown)

    def _print(self, chat: Chat, shown: Shown) -> None:
        if shown.kind == "toast":
            self.out.write(f"  ({shown.text})\n")
            return
        message = shown.message
        assert message is not None
        if shown.kind == "deleted":
            if not message.text:  # what the person typed: a pasted code
                self._say(N_("shell.deleted"))
            return
        edited = "✏️ " if shown.kind == "edited" else ""
        self.out.write("\n" + edited + plain(message.text) + "\n")
        if message.force_reply:
            chat.reply_to = message
        for row in message.buttons:
            for button in row:
                if button.url:  # a link: shown, not pressable here
                    self.out.write(f"  ({button.label}: {button.url})\n")
                    continue
                if chat.fresh:
                    chat.keys, chat.fresh = [], False
                chat.keys.append((button.data, message))
                self.out.write(f"  [{len(chat.keys)}] {button.label}\n")

    # --- what the person types ---------------------------------------------------------------

    def _update(self, chat: Chat, line: str) -> dict[str, Any] | None:
        """The update Telegram would send for this line; None when the shell answered it."""
        text = line.strip()
        pressed = self._button(chat, text)
        if pressed is not None:
            data, message = pressed
            return {
                "update_id": next(self._updates),
                "callback_query": {
                    "id": str(next(self._updates)),
                    "from": chat.user,
                    "chat_instance": str(chat.user["id"]),
                    "data": data,
                    "message": self._as_sent(message),
                },
            }
        if text.isdigit() and chat.keys:
            self._say(N_("shell.pick_number"), n=len(chat.keys))
            return None
        if self.here == STAFF_ID and looks_like_invite(text):
            text = f"/start {text}"  # a pasted invite token, as its t.me link would send it
        message: dict[str, Any] = {
            "message_id": self.api.message_id(),
            "date": int(time.time()),
            "chat": {"id": self.here, "type": "private"},
            "from": chat.user,
            "text": text,
        }
        if chat.reply_to is not None and not text.startswith("/"):
            message["reply_to_message"] = self._as_sent(chat.reply_to)
            chat.reply_to = None
        return {"update_id": next(self._updates), "message": message}

    def _button(self, chat: Chat, text: str) -> tuple[str, Message] | None:
        """A choice by its number, or by its label typed out."""
        if text.isdigit():
            n = int(text)
            return chat.keys[n - 1] if 1 <= n <= len(chat.keys) else None
        wanted = text.casefold()
        for data, message in chat.keys:
            for row in message.buttons:
                if any(b.data == data and b.label.casefold() == wanted for b in row):
                    return data, message
        return None

    def _as_sent(self, message: Message) -> dict[str, Any]:
        return {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": {"id": message.chat_id, "type": "private"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Lapor PPA"},
            "text": plain(message.text),
        }

    async def _settle(self) -> None:
        """Until the update is handled and what it queued is delivered, as a person would
        wait for the bot's answer."""
        for _ in range(50):
            await self.edge.drain(30.0)
            if not await self.parts.deliver() and not self.edge.busy:
                return

    # --- switching between the two chats ----------------------------------------------------

    async def _switch(self, line: str) -> None:
        command, _, code = line.strip().partition(" ")
        if command in TO_REPORTER:
            self._open(REPORTER_ID)
            return
        unit = code.strip() or self.unit
        if unit is None:
            self._say(N_("shell.staff_needs_unit"))
            return
        if not await self.start_staff(unit):
            return
        self._open(STAFF_ID)
        if not self.member:
            self._say(N_("shell.staff_needs_invite"), unit=self.unit)

    async def start_staff(self, code: str) -> bool:
        """Play a koordinator of this unit: confirmed on a database with real cases."""
        state = await staff_state(self.parts, code, REPORTER_ID, STAFF_ID)
        if state.unit is None:
            self._say(N_("shell.staff_unknown_unit"), code=code)
            return False
        if self.unit is None and state.real_cases:
            self._say(N_("shell.staff_real_cases"), n=state.real_cases, unit=state.unit)
            self.out.write("> ")
            self.out.flush()
            answer = await self.read_line()
            if (answer or "").strip().lower() not in ("y", "ya", "yes"):
                self._say(N_("shell.staff_not_started"))
                return False
        self.unit, self.member = state.unit, state.member
        return True

    def _open(self, user_id: int) -> None:
        self.here = user_id
        chat = self.chats[user_id]
        self._say(
            N_("shell.now_staff") if user_id == STAFF_ID else N_("shell.now_reporter"),
            unit=self.unit or "",
        )
        waiting, chat.waiting = chat.waiting, []
        chat.fresh = True
        for shown in waiting:
            self._print(chat, shown)

    # --- the loop ------------------------------------------------------------------------------

    async def run(self, staff_unit: str | None = None) -> None:
        self._say(N_("shell.intro"))
        if staff_unit is not None and not await self.start_staff(staff_unit):
            return
        await self._send(self.chats[REPORTER_ID], "/start")
        while True:
            chat = self.chats[self.here]
            self.out.write(self.parts.renderer.catalogs.get(self.locale, chat.prompt) + "> ")
            self.out.flush()
            line = await self.read_line()
            if line is None:
                self.out.write("\n")
                return
            if not line.strip():
                continue
            if line.strip().split(" ")[0] in (*TO_STAFF, *TO_REPORTER):
                await self._switch(line)
                continue
            await self._send(chat, line)

    async def _send(self, chat: Chat, line: str) -> None:
        chat.fresh = True
        update = self._update(chat, line)
        if update is None:
            return
        await self.edge.handle(update)
        await self._settle()
        self._tell_waiting()

    def _tell_waiting(self) -> None:
        for user_id, chat in self.chats.items():
            if user_id != self.here and chat.waiting:
                who = (
                    N_("shell.waiting_staff")
                    if user_id == STAFF_ID
                    else N_("shell.waiting_reporter")
                )
                self._say(who, n=len(chat.waiting))
