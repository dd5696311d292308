"""Golden transcripts: what the bot did after each action, written as a person reads it.

A :class:`Recorder` watches one running bot (``tests.support.start_bot``) on the fake Bot API.
Every action of a :class:`Person` is one step: the action is done, the system is left alone
until it is quiet (no Bot API call for ``QUIET_SECONDS``, no update waiting or being handled,
nothing owed in the outbox), and every Bot API call of the step is written down.

Within a step the lines are grouped by chat, in the order the chats were named. Inside one
chat the bot promises an order only within each of its two senders: the handler answering the
update (direct) and the outbox worker (messages owed to others, card edits). Which of the two
reaches a chat first is a race, so a chat's lines are: toasts, then direct calls, then outbox
calls, each in the order they were made. Messages are named by chat and a chat-local ordinal
(``group#3``) assigned in that order, never by Telegram ids.

Only what genuinely varies between runs is normalised (:class:`Normaliser`): ticket codes,
invite tokens, timestamps, the year in case numbers and the rate limit's countdown.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from flows.codes import parse_code
from storage import outbox
from storage.models import OutboxMessage
from tests.fakebot import BotMessage, Call, EntityParseError, FakeBotAPI, FakeUser, parse_html
from tests.support import RunningBot

REGENERATE = (
    "# Regenerate: GOLDEN_UPDATE=1 .venv/bin/python -m pytest tests/handlers/test_golden.py"
)
QUIET_SECONDS = 0.15
SETTLE_TIMEOUT = 30.0
POLL_SECONDS = 0.02
HEADER_TEXT_MAX = 100

PLUMBING = frozenset(
    {"getUpdates", "getMe", "deleteWebhook", "getWebhookInfo", "getMyCommands", "close", "logOut"}
)
SENDS = frozenset({"sendMessage", "sendPhoto", "copyMessage"})
# Methods only the outbox worker (bot/delivery.py) ever calls.
OUTBOX_ONLY = frozenset(
    {"editMessageText", "editMessageReplyMarkup", "copyMessage", "banChatMember", "unbanChatMember"}
)
_COMMON = {"chat_id", "parse_mode", "reply_markup", "link_preview_options", "protect_content"}
# Parameters each method's rendering covers; anything else is shown as "key=value".
KNOWN: dict[str, set[str]] = {
    "sendMessage": _COMMON
    | {"text", "entities", "reply_parameters", "reply_to_message_id", "disable_notification"}
    | {"allow_sending_without_reply", "disable_web_page_preview"},
    "sendPhoto": _COMMON
    | {"photo", "caption", "caption_entities", "reply_parameters", "disable_notification"},
    "copyMessage": _COMMON
    | {"from_chat_id", "message_id", "caption", "reply_parameters", "disable_notification"},
    "editMessageText": _COMMON | {"message_id", "text", "entities", "disable_web_page_preview"},
    "editMessageReplyMarkup": {"chat_id", "message_id", "reply_markup"},
    "deleteMessage": {"chat_id", "message_id"},
    "deleteMessages": {"chat_id", "message_ids"},
    "answerCallbackQuery": {"callback_query_id", "text", "show_alert"},
    "banChatMember": {"chat_id", "user_id"},
    "unbanChatMember": {"chat_id", "user_id", "only_if_banned"},
    "setMyCommands": {"commands", "scope", "language_code"},
    "setMyDescription": {"description", "language_code"},
    "setMyShortDescription": {"short_description", "language_code"},
}
BOT_WIDE = ("setMyCommands", "setMyDescription", "setMyShortDescription")

CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")
CASE_YEAR = re.compile(r"\b(PPA-\d{4}-)\d{4}(-\d{6})\b")
STAMP = re.compile(r"\b\d{1,2} [A-Za-z]+ \d{4}, \d{2}[.:]\d{2}\b")
COUNTDOWN = re.compile(r"\b(tunggu|wait) \d+ (detik|seconds)\b")


class Normaliser:
    """Replaces what differs between runs, consistently within one transcript.

    A ticket code is a code-shaped token with a valid check symbol that the bot showed before
    any person typed it: the ones people make up (a typo, an unknown code) and phone numbers
    they type stay as they are.
    """

    def __init__(self) -> None:
        self.codes: dict[str, str] = {}
        self.aliases: dict[str, str] = {}
        self._typed: list[str] = []

    def alias(self, real: str, placeholder: str) -> str:
        self.aliases[real] = placeholder
        return placeholder

    def code(self, n: int) -> str:
        """The real code shown as ``<CODE-n>``."""
        wanted = f"<CODE-{n}>"
        for real, placeholder in self.codes.items():
            if placeholder == wanted:
                return real
        raise AssertionError(f"no {wanted} was shown yet")

    def typed(self, text: str) -> str:
        self._typed.append(text)
        return self._apply(text, learn=False)

    def shown(self, text: str) -> str:
        return self._apply(text, learn=True)

    def _apply(self, text: str, *, learn: bool) -> str:
        for real, placeholder in self.aliases.items():
            text = text.replace(real, placeholder)

        def code(match: re.Match[str]) -> str:
            token = match.group(0)
            if token in self.codes:
                return self.codes[token]
            fresh = isinstance(parse_code(token), str) and not any(token in t for t in self._typed)
            if learn and fresh:
                self.codes[token] = f"<CODE-{len(self.codes) + 1}>"
                return self.codes[token]
            return token

        text = CODE.sub(code, text)
        text = CASE_YEAR.sub(r"\1YYYY\2", text)
        text = STAMP.sub("<TIME>", text)
        return COUNTDOWN.sub(r"\1 <N> \2", text)


@dataclass
class _Chat:
    name: str
    about: str
    count: int = 0  # messages numbered so far, both sides


@dataclass
class _Line:
    chat: int | None  # None: the bot's own settings (BOT_WIDE)
    bucket: int  # 0 toast, 1 direct, 2 outbox
    index: int  # in FakeBotAPI.calls
    call: Call


def quote(text: str) -> str:
    """A typed text for a step header, shortened when long."""
    if len(text) > HEADER_TEXT_MAX:
        return json.dumps(text[:70], ensure_ascii=False)[:-1] + f'…" ({len(text)} characters)'
    return json.dumps(text, ensure_ascii=False)


def _plain(text: Any, mode: Any) -> str:
    raw = "" if text is None else str(text)
    if isinstance(mode, str) and mode.lower() == "html":
        try:
            raw = parse_html(raw)[0]
        except EntityParseError as error:
            return f"{raw}  (invalid HTML: {error})"
    return raw.strip(" \t\r\n\v\f")


def _ranges(numbers: list[int]) -> str:
    """1, 2, 3, 5 -> "#1–#3, #5"."""
    spans: list[list[int]] = []
    for n in sorted(numbers):
        if spans and spans[-1][1] == n - 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(f"#{a}" if a == b else f"#{a}–#{b}" for a, b in spans)


class Recorder:
    """One scenario's transcript: names chats and messages, records a step per action."""

    def __init__(self, title: str, api: FakeBotAPI, bot: RunningBot | None) -> None:
        self.title = title
        self.api, self.bot = api, bot
        self.norm = Normaliser()
        self.lines: list[str] = []
        self._chats: dict[int, _Chat] = {}
        self._people: dict[int, str] = {}
        self._refs: dict[tuple[int, int], str] = {}
        # When each message came to be, as a position in FakeBotAPI.calls (a person's message
        # sits between the calls before and after it).
        self._born: dict[tuple[int, int], float] = {}
        self._cursor = 0
        self._outbox_seen = 0
        self._steps = 0

    # ---- names ---------------------------------------------------------------------

    def chat(self, chat_id: int, name: str, about: str) -> None:
        if chat_id not in self._chats:
            self._chats[chat_id] = _Chat(name, about)

    def person(self, user: FakeUser, name: str, about: str) -> Person:
        self._people[user.id] = name
        self.chat(user.id, name.lower(), f"{name}'s private chat with the bot ({about})")
        return Person(self, user, name)

    def name(self, chat_id: int) -> str:
        if chat_id not in self._chats:
            raise AssertionError(f"the bot wrote to chat {chat_id}, which has no name")
        return self._chats[chat_id].name

    def ref(self, chat_id: int, message_id: int) -> str:
        found = self._refs.get((chat_id, message_id))
        if found is None:
            raise AssertionError(f"message {message_id} in {self.name(chat_id)} was never seen")
        return found

    def _number(self, chat_id: int, message_id: int, born: float) -> str:
        self.name(chat_id)  # a chat without a name fails here
        chat = self._chats[chat_id]
        chat.count += 1
        self._born[(chat_id, message_id)] = born
        self._refs[(chat_id, message_id)] = f"{chat.name}#{chat.count}"
        return self._refs[(chat_id, message_id)]

    def user_message(self, chat_id: int) -> str:
        """Number the message a person just sent (the newest in the chat)."""
        message = self.api.history(chat_id)[-1]
        assert not message.from_bot, "the person's message is not the newest in the chat"
        return self._number(chat_id, message.message_id, len(self.api.calls) - 0.5)

    def text(self) -> str:
        head = [f"# Golden transcript: {self.title}", REGENERATE, "# Chats:"]
        width = max((len(c.name) for c in self._chats.values()), default=0)
        head += [f"#   {c.name.ljust(width)}  {c.about}" for c in self._chats.values()]
        return "\n".join([*head, "", *self.lines]).rstrip("\n") + "\n"

    # ---- steps ---------------------------------------------------------------------

    def note(self, text: str) -> None:
        """Something that happens outside any chat before the next step."""
        self.lines += [f"-- {text}", ""]

    async def started(self) -> None:
        """Step 0: what the bot did on start-up, once it polls."""
        if not self.api.calls_of("getUpdates"):
            await self.api.wait_for_call("getUpdates")
        await self.record("The bot starts", number=0)

    async def record(
        self, title: str, *, toast_chat: int | None = None, number: int | None = None
    ) -> None:
        """Wait until the system is quiet, then write the step's calls down."""
        await self._settle()
        first = self._cursor
        snapshot = self.api.calls[first:]
        self._cursor += len(snapshot)
        calls = [(first + n, c) for n, c in enumerate(snapshot) if c.method not in PLUMBING]
        from_outbox = await self._outbox_calls(calls)
        lines: list[_Line] = []
        for index, call in calls:
            if call.method == "answerCallbackQuery":
                lines.append(_Line(toast_chat, 0, index, call))
            elif call.method in BOT_WIDE:
                lines.append(_Line(None, 1, index, call))
            else:
                chat = int(call.params["chat_id"])
                self.name(chat)
                lines.append(_Line(chat, 2 if index in from_outbox else 1, index, call))
        order = {chat: n for n, chat in enumerate(self._chats)}
        lines.sort(key=lambda ln: (-1 if ln.chat is None else order[ln.chat], ln.bucket, ln.index))
        # Number new messages first: a line may point at a message sent later in the step.
        for line in lines:
            result = (line.call.response or {}).get("result")
            if line.call.method in SENDS and line.call.status == 200 and isinstance(result, dict):
                self._number(int(result["chat"]["id"]), int(result["message_id"]), line.index)
        self._steps = self._steps + 1 if number is None else number
        out = [f"## {self._steps}. {title}"]
        current: object = object()
        for line in lines:
            if line.chat != current:
                current = line.chat
                out.append("(bot)" if line.chat is None else f"{self.name(line.chat)}:")
            out += self._render(line.call, line.index)
        if not lines:
            out.append("(no Bot API calls)")
        self.lines += [*out, ""]

    async def _settle(self) -> None:
        """Quiet: no update waiting or being handled, no call in flight, none for
        QUIET_SECONDS, and nothing pending in the outbox."""
        deadline = time.monotonic() + SETTLE_TIMEOUT
        seen: tuple[int, int] | None = None
        calm_since = time.monotonic()
        while True:
            now = time.monotonic()
            calls = [c for c in self.api.calls[self._cursor :] if c.method != "getUpdates"]
            signature = (len(calls), sum(c.status is not None for c in calls))
            if signature != seen:
                seen, calm_since = signature, now
            busy = (
                bool(self.api.pending_updates)
                or signature[0] != signature[1]
                or bool(self._handling())
                or bool(self.bot and self.bot.runtime.reception.holding)
            )
            if not busy and now - calm_since >= QUIET_SECONDS and not await self._owed():
                return
            if now > deadline:
                raise AssertionError(
                    f"the bot never went quiet within {SETTLE_TIMEOUT}s "
                    f"(updates waiting: {len(self.api.pending_updates)}, "
                    f"handling: {len(self._handling())}, owed: {await self._owed()})"
                )
            await asyncio.sleep(POLL_SECONDS)

    def _handling(self) -> set[asyncio.Task[Any]]:
        if self.bot is None:
            return set()
        return set(self.bot.runtime.edge.busy)

    async def _owed(self) -> int:
        if self.bot is None:
            return 0
        async with self.bot.db.unit_of_work() as session:
            return await outbox.pending_count(session)

    async def _outbox_calls(self, calls: list[tuple[int, Call]]) -> set[int]:
        """Indexes of the calls the outbox worker made, told apart through the outbox rows
        written since the last step (sent ones by their message, failed ones by chat)."""
        if self.bot is None:
            return set()
        async with self.bot.db.unit_of_work() as session:
            rows = (
                await session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.id > self._outbox_seen)
                    .order_by(OutboxMessage.id)
                )
            ).all()
            facts = [
                (r.id, int(r.chat_id), r.status, r.result_message_id, r.attempts) for r in rows
            ]
        if facts:
            self._outbox_seen = facts[-1][0]
        sent = {
            (chat, message_id)
            for _, chat, status, message_id, _ in facts
            if status == "sent" and message_id is not None
        }
        failed = [chat for _, chat, status, _, attempts in facts if status == "failed" and attempts]
        found: set[int] = set()
        for index, call in calls:
            if call.method in OUTBOX_ONLY:
                found.add(index)
            elif call.method in SENDS:
                chat = int(call.params["chat_id"])
                result = (call.response or {}).get("result")
                if call.status == 200 and isinstance(result, dict):
                    if (chat, result["message_id"]) in sent:
                        found.add(index)
                elif chat in failed:
                    failed.remove(chat)
                    found.add(index)
        return found

    # ---- rendering -----------------------------------------------------------------

    def _render(self, call: Call, index: int) -> list[str]:
        p, method = call.params, call.method
        ok = call.status == 200
        result = (call.response or {}).get("result")
        out: list[str]
        if method == "answerCallbackQuery":
            text = p.get("text")
            shown = quote(self.norm.shown(str(text))) if text else "(none)"
            alert = "  (alert)" if p.get("show_alert") else ""
            out = [f"  toast: {shown}{alert}{self._flags(method, p)}"]
        elif method == "setMyCommands":
            language = p.get("language_code") or "default language"
            scope = (p.get("scope") or {}).get("type", "default")
            out = [f"  setMyCommands ({language}, scope {scope})"]
            out += [f"    /{c['command']} — {c['description']}" for c in p.get("commands", [])]
        elif method in ("setMyDescription", "setMyShortDescription"):
            language = p.get("language_code") or "default language"
            field = "description" if method == "setMyDescription" else "short_description"
            out = [f"  {method} ({language})"]
            out += [f"    | {line}" for line in str(p.get(field, "")).splitlines()]
        elif method in SENDS:
            chat = int(p["chat_id"])
            target = ""
            if ok and isinstance(result, dict):
                target = " → " + self.ref(chat, int(result["message_id"]))
            out = [f"  {method}{target}{self._flags(method, p)}"]
            if method == "sendPhoto":
                out.append(f"    photo: {self._photo(str(p.get('photo')))}")
            if method == "copyMessage":
                source = int(p["from_chat_id"])
                out.append(f"    copy of {self.ref(source, int(p['message_id']))}")
            body = p.get("text") if method == "sendMessage" else p.get("caption")
            out += self._body(body, p.get("parse_mode"))
            out += self._keyboard(p.get("reply_markup"), edit=False)
        elif method == "editMessageText":
            edited = self.ref(int(p["chat_id"]), int(p["message_id"]))
            out = [f"  editMessageText {edited}{self._flags(method, p)}"]
            out += self._body(p.get("text"), p.get("parse_mode"))
            out += self._keyboard(p.get("reply_markup"), edit=True)
        elif method == "editMessageReplyMarkup":
            edited = self.ref(int(p["chat_id"]), int(p["message_id"]))
            out = [f"  editMessageReplyMarkup {edited}{self._flags(method, p)}"]
            out += self._keyboard(p.get("reply_markup"), edit=True)
        elif method == "deleteMessage":
            out = [f"  deleteMessage {self.ref(int(p['chat_id']), int(p['message_id']))}"]
        elif method == "deleteMessages":
            covered = self._covered(int(p["chat_id"]), p["message_ids"], index)
            out = [f"  deleteMessages {covered}"]
        elif method in ("banChatMember", "unbanChatMember"):
            who = self._people.get(int(p["user_id"]), "someone unnamed")
            out = [f"  {method} {who}{self._flags(method, p)}"]
        else:
            rest = {k: v for k, v in p.items() if k != "chat_id"}
            out = [f"  {method} {json.dumps(rest, ensure_ascii=False, sort_keys=True)}"]
        if not ok:
            description = (call.response or {}).get("description", "")
            out.append(f"    ✗ refused: {call.status} {self.norm.shown(str(description))}")
        return out

    def _flags(self, method: str, p: dict[str, Any]) -> str:
        flags: list[str] = []
        if p.get("parse_mode"):
            flags.append(f"parse_mode={p['parse_mode']}")
        preview = p.get("link_preview_options")
        if (isinstance(preview, dict) and preview.get("is_disabled")) or p.get(
            "disable_web_page_preview"
        ):
            flags.append("no link preview")
        if p.get("protect_content"):
            flags.append("protected")
        if p.get("disable_notification"):
            flags.append("silent")
        markup = p.get("reply_markup")
        if isinstance(markup, dict) and markup.get("force_reply"):
            flags.append("force reply" + (", selective" if markup.get("selective") else ""))
            if markup.get("input_field_placeholder"):
                flags.append(f"placeholder {quote(markup['input_field_placeholder'])}")
        reply = p.get("reply_parameters")
        target = (
            reply.get("message_id") if isinstance(reply, dict) else p.get("reply_to_message_id")
        )
        if isinstance(target, int):
            flags.append(f"reply to {self.ref(int(p['chat_id']), target)}")
        if p.get("only_if_banned"):
            flags.append("only if banned")
        for key in sorted(set(p) - KNOWN.get(method, set())):
            flags.append(f"{key}={json.dumps(p[key], ensure_ascii=False, sort_keys=True)}")
        return f"  ({', '.join(flags)})" if flags else ""

    def _body(self, text: Any, mode: Any) -> list[str]:
        plain = self.norm.shown(_plain(text, mode))
        if not plain:
            return []
        return [f"    | {line}".rstrip() for line in plain.split("\n")]

    def _keyboard(self, markup: Any, *, edit: bool) -> list[str]:
        rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
        if not rows:
            return ["    (no buttons)"] if edit else []
        out = []
        for row in rows:
            cells = []
            for button in row:
                label = self.norm.shown(str(button.get("text", "")))
                if "url" in button:
                    cells.append(f"[{label} → {button['url']}]")
                elif "callback_data" in button:
                    cells.append(f"[{label}]")
                else:
                    kinds = ", ".join(sorted(set(button) - {"text"}))
                    cells.append(f"[{label} ({kinds})]")
            out.append("    " + " ".join(cells))
        return out

    def _photo(self, file_id: str) -> str:
        for chat_id in self._chats:
            for message in self.api.history(chat_id):
                sizes = message.media if message.kind == "photo" and not message.from_bot else []
                if any(size.get("file_id") == file_id for size in sizes or []):
                    sender = self._people.get(message.sender_id, "someone")
                    return f"the photo {sender} sent as {self.ref(chat_id, message.message_id)}"
        return "a file the test never sent"

    def _covered(self, chat_id: int, ids: Iterable[Any], index: int) -> str:
        """The messages a deleteMessages call named that existed when it was made."""
        wanted = [int(i) for i in ids]
        chat = self._chats[chat_id]
        numbers = [
            int(ref.split("#")[1])
            for (c, message_id), ref in self._refs.items()
            if c == chat_id and message_id in wanted and self._born[(c, message_id)] < index
        ]
        return f"{chat.name} {_ranges(numbers) or 'nothing seen'} ({len(wanted)} ids asked)"


class Person:
    """Someone acting in Telegram; each action is one recorded step."""

    def __init__(self, rec: Recorder, user: FakeUser, name: str) -> None:
        self.rec, self.user, self.name = rec, user, name

    @property
    def id(self) -> int:
        return self.user.id

    def _where(self, chat: int | None) -> str:
        return "" if chat is None or chat == self.id else f" in {self.rec.name(chat)}"

    async def send(self, text: str, *, chat: int | None = None) -> None:
        chat_id = self.id if chat is None else chat
        if chat is None:
            await self.user.send(text)
        else:
            await self.user.send_in(chat, text)
        own = self.rec.user_message(chat_id)
        shown = quote(self.rec.norm.typed(text))
        await self.rec.record(f"{self.name} sends {shown}{self._where(chat)} [{own}]")

    async def send_media(self, kind: str, *, caption: str | None = None) -> None:
        await self.user.send_media(kind, caption=caption)
        own = self.rec.user_message(self.id)
        with_caption = f" with caption {quote(self.rec.norm.typed(caption))}" if caption else ""
        article = "an" if kind[0] in "aeiou" else "a"
        await self.rec.record(f"{self.name} sends {article} {kind}{with_caption} [{own}]")

    async def press(self, label: str, *, chat: int | None = None) -> None:
        if chat is None:
            update_id = await self.user.press(label)
        else:
            update_id = await self.user.press_in(chat, label)
        await self._pressed(update_id, f"presses {quote(label)}")

    async def press_data(self, data: str, *, chat: int | None = None) -> None:
        """A button that is not shown (forged, or a used picker's), on the newest message."""
        update_id = await self.user.press_data(data, chat_id=chat)
        await self._pressed(update_id, f"presses a forged button {quote(data)}")

    async def _pressed(self, update_id: int, what: str) -> None:
        message = self.rec.api.update(update_id)["callback_query"]["message"]
        chat = int(message["chat"]["id"])
        on = self.rec.ref(chat, int(message["message_id"]))
        await self.rec.record(f"{self.name} {what} on {on}", toast_chat=chat)

    async def reply(self, text: str, *, chat: int | None = None, to: str = "") -> None:
        """Answer, with Telegram's reply, the newest prompt in the chat that asks for one
        (ForceReply); with `to`, the newest bot message containing that text instead."""
        chat_id = self.id if chat is None else chat
        history = self.rec.api.history(chat_id)
        if to:
            targets = [m for m in history if m.from_bot and not m.deleted and to in m.plain]
        else:
            targets = [m for m in history if _asks_reply(m)]
        if not targets:
            raise AssertionError(f"nothing to reply to in {self.rec.name(chat_id)}")
        target = targets[-1]
        await self.user.reply(target, text)
        own = self.rec.user_message(chat_id)
        shown = quote(self.rec.norm.typed(text))
        on = self.rec.ref(chat_id, target.message_id)
        await self.rec.record(f"{self.name} replies to {on} with {shown} [{own}]")


def _asks_reply(message: BotMessage) -> bool:
    return (
        message.from_bot
        and not message.deleted
        and bool((message.reply_markup or {}).get("force_reply"))
    )
