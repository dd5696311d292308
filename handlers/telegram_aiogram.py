"""aiogram 3 runtime: Telegram updates in, the service's replies out. Nothing else lives here."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiogram import Bot, Dispatcher, Router, methods
from aiogram.client.session.base import Response as ApiResponse
from aiogram.enums import ContentType
from aiogram.exceptions import (
    TelegramAPIError,
)
from aiogram.types import (
    BotCommand,
    CallbackQuery,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
    User,
)

from flows.core import N_, Input
from handlers.casework.events import Direct, SendDirect, StaffEvent
from handlers.casework.service import StaffService
from handlers.render import Button, Renderer, keyboard
from handlers.reporter.service import Incoming, ReporterService, Response, SendFn
from handlers.shell import plain as plain_text
from handlers.telegram_raw import RawApi

log = logging.getLogger(__name__)

# The command menu, with the catalog ids of each description.
COMMANDS = {
    "start": N_("cmd.start"),
    "lapor": N_("cmd.lapor"),
    "status": N_("cmd.status"),
    "bantuan": N_("cmd.bantuan"),
    "batal": N_("cmd.batal"),
    "bahasa": N_("cmd.bahasa"),
    "hapus": N_("cmd.hapus"),
}
# pydantic holds parametrised generics weakly and aiogram builds Response[T] for every answer,
# so each time the cyclic GC frees one the next answer rebuilds its schema (about 6 % of the
# bot's CPU under load in bench/). Holding them keeps one schema per method.
PINNED_RESPONSES = [
    ApiResponse[m.__returning__]  # type: ignore[name-defined]
    for m in (
        methods.AnswerCallbackQuery,
        methods.BanChatMember,
        methods.DeleteMessage,
        methods.EditMessageReplyMarkup,
        methods.EditMessageText,
        methods.GetUpdates,
        methods.SendMessage,
        methods.SendPhoto,
        methods.SetMyCommands,
        methods.UnbanChatMember,
    )
]
CODE_SEND_ATTEMPTS = 4  # a lost ticket code cannot be recovered, so try harder for it
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def to_input(message: Message) -> Input:
    text = message.text
    if text is None:
        # Only the file_id of a photo is kept (never the bytes); other media is refused.
        ref = message.photo[-1].file_id if message.photo else ""
        kind = message.content_type
        kind = kind.value if isinstance(kind, ContentType) else str(kind)
        mime = (message.document.mime_type or "") if message.document else ""
        if mime.startswith("video/") or mime == "image/gif":
            kind = "video"  # a video sent as a file is still a video: refused and deleted
        return Input.of_media(kind, ref, message.caption or "")
    if text.startswith("/") and len(text) > 1:
        head, _, arg = text[1:].partition(" ")
        command = head.split("@", 1)[0].lower()
        return Input.of_command(command, arg.strip())
    return Input.of_text(text)


def _markup(rows: list[list[Button]]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=b.label, url=b.url)
                if b.url
                else InlineKeyboardButton(text=b.label, callback_data=b.key)
                for b in row
            ]
            for row in rows
        ]
    )


async def _wipe(raw: RawApi, chat_id: int, ids: list[int]) -> None:
    """Newest first, 100 at a time (deleteMessages' limit); a refused batch (one message past
    the 48-hour window, say) is retried one message at a time so the rest still go."""
    ids = sorted(ids, reverse=True)
    for start in range(0, len(ids), 100):
        batch = ids[start : start + 100]
        if (await raw.call("deleteMessages", {"chat_id": chat_id, "message_ids": batch})).ok:
            continue
        for message_id in batch:
            await raw.call("deleteMessage", {"chat_id": chat_id, "message_id": message_id})


def sender(raw: RawApi, renderer: Renderer, chat_id: int, message_id: int | None) -> SendFn:
    async def send(response: Response) -> bool:
        # The code leaves the chat before the answer arrives, so it never sits there twice.
        if response.delete_input and message_id is not None:
            gone = await raw.call("deleteMessage", {"chat_id": chat_id, "message_id": message_id})
            if not gone.ok:  # too old, already gone: nothing to protect then
                log.info("could not delete a message holding a code (%s)", gone.error[:60])
        if response.wipe is not None:
            await _wipe(raw, chat_id, list(response.wipe))
        delivered = True
        attempts = CODE_SEND_ATTEMPTS if response.carries_code else 2
        for reply in response.replies:
            out = renderer.render(reply, response.locale)
            payload: dict[str, object] = {
                "chat_id": chat_id,
                "text": out.text,
                "parse_mode": "HTML",
                "link_preview_options": {"is_disabled": True},
            }
            if out.buttons:
                payload["reply_markup"] = keyboard(out.buttons)
            delivered &= await raw.send(payload, attempts)
        return delivered

    return send


def _name(user: User) -> str:
    # Staff are not anonymous; reporters' names are never read at all.
    return " ".join(p for p in (user.first_name, user.last_name) if p)[:120]


def staff_sender(bot: Bot, renderer: Renderer) -> SendDirect:
    async def send(direct: Direct) -> int | None:
        out = renderer.render(direct.reply, "id")
        markup: InlineKeyboardMarkup | ForceReply | None = _markup(out.buttons)
        if direct.force_reply:
            markup = ForceReply(force_reply=True, selective=True)
        try:
            if direct.photo:
                # A reporter's screenshot, by file_id only: never downloaded, never forwardable.
                photo = await bot.send_photo(
                    direct.chat_id,
                    direct.photo,
                    caption=out.text,
                    parse_mode="HTML",
                    protect_content=True,
                )
                return photo.message_id
            sent = await bot.send_message(
                direct.chat_id,
                out.text,
                parse_mode="HTML",
                reply_markup=markup,
                link_preview_options=NO_PREVIEW,
                reply_parameters=ReplyParameters(
                    message_id=direct.reply_to, allow_sending_without_reply=True
                )
                if direct.reply_to
                else None,
            )
        except TelegramAPIError as e:
            log.warning("a direct staff message failed: %s", type(e).__name__)
            return None
        return sent.message_id

    return send


def reporter_router(
    service: ReporterService, staff_service: StaffService | None, renderer: Renderer
) -> Router:
    router = Router(name=__name__)

    @router.message()
    async def on_message(message: Message, bot: Bot, event_update: Update) -> None:
        # Branching here, not in magic filters: aiogram runs sync filters in a thread, which
        # lets one person's quick messages overtake each other before the per-person lock.
        if message.chat.type == "private":
            await on_private(message, bot, event_update)
        elif message.chat.type in ("group", "supergroup"):
            await on_group(message, bot, event_update)

    async def on_private(message: Message, bot: Bot, event_update: Update) -> None:
        user = message.from_user
        if user is None:
            return
        text = message.text or ""
        if staff_service is not None:
            event: StaffEvent | None = None
            if text.startswith("/start ") and text.split(maxsplit=1)[1].strip():
                event = StaffEvent(
                    "start_token",
                    user.id,
                    _name(user),
                    message.chat.id,
                    "private",
                    text.split(maxsplit=1)[1].strip()[:64],
                    message.message_id,
                    update_id=event_update.update_id,
                )
            elif message.reply_to_message is not None and message.text:
                event = StaffEvent(
                    "reply",
                    user.id,
                    _name(user),
                    message.chat.id,
                    "private",
                    text,
                    message.message_id,
                    message.reply_to_message.message_id,
                    event_update.update_id,
                )
            if event is not None and (
                await staff_service.handle(event, staff_sender(bot, renderer)) is not None
            ):
                return
        incoming = Incoming(
            user_id=user.id,
            input=to_input(message),
            update_id=event_update.update_id,
            message_id=message.message_id,
            language_code=user.language_code,
            chat_id=message.chat.id,
        )
        await service.handle(
            incoming, sender(RawApi(bot), renderer, message.chat.id, message.message_id)
        )

    async def on_group(message: Message, bot: Bot, event_update: Update) -> None:
        user = message.from_user
        if staff_service is None or user is None or not message.text:
            return  # group chatter is not for the bot
        command = message.text.split(maxsplit=1)[0].lower()
        if command in ("/hubungkan", f"/hubungkan@{staff_service.bot_username.lower()}"):
            kind: str = "connect"
        elif message.reply_to_message is not None:
            kind = "reply"
        else:
            return
        event = StaffEvent(
            kind,
            user.id,
            _name(user),
            message.chat.id,
            message.chat.type,  # type: ignore[arg-type]
            message.text,
            message.message_id,
            message.reply_to_message.message_id if message.reply_to_message else None,
            event_update.update_id,
        )
        await staff_service.handle(event, staff_sender(bot, renderer))

    @router.callback_query()
    async def on_button(query: CallbackQuery, bot: Bot, event_update: Update) -> None:
        chat = query.message.chat if query.message else None
        data = query.data or ""
        if chat is not None and staff_service is not None and data.startswith("s:"):
            event = StaffEvent(
                "button",
                query.from_user.id,
                _name(query.from_user),
                chat.id,
                chat.type,
                data,
                query.message.message_id if query.message else None,
                update_id=event_update.update_id,
            )
            result = await staff_service.handle(event, staff_sender(bot, renderer))
            toast = renderer.text(result.toast, "id") if result and result.toast else None
            with contextlib.suppress(TelegramAPIError):
                await query.answer(plain_text(toast) if toast else None)
            return
        if chat is None or chat.type != "private":
            with contextlib.suppress(TelegramAPIError):
                await query.answer()
            return
        incoming = Incoming(
            user_id=query.from_user.id,
            input=Input.of_choice(data),
            update_id=event_update.update_id,
            # The pressed message's id: where "Hapus percakapan" reaches up to.
            message_id=query.message.message_id if query.message else None,
            language_code=query.from_user.language_code,
            chat_id=chat.id,
        )
        raw = RawApi(bot)
        # Stop the button's spinner at once, while the answer is worked out.
        ack = asyncio.create_task(raw.call("answerCallbackQuery", {"callback_query_id": query.id}))
        await service.handle(incoming, sender(raw, renderer, chat.id, None))
        await ack

    return router


def create_dispatcher(
    service: ReporterService, renderer: Renderer, staff_service: StaffService | None = None
) -> Dispatcher:
    # Conversations live in the database (flows/ + storage/), never in aiogram's FSM: without
    # it, no per-update FSM context is built and looked up.
    dp = Dispatcher(disable_fsm=True)
    dp.include_router(reporter_router(service, staff_service, renderer))
    return dp


async def set_commands(bot: Bot, renderer: Renderer) -> None:
    """Cosmetic: the command menu. A failure is logged, never fatal."""
    for locale in ("id", "en"):
        commands = [
            BotCommand(command=c, description=renderer.catalogs.get(locale, msgid))
            for c, msgid in COMMANDS.items()
        ]
        try:
            await bot.set_my_commands(commands, language_code=None if locale == "id" else locale)
        except (TelegramAPIError, OSError) as e:
            log.warning("setMyCommands failed (%s); continuing", type(e).__name__)
