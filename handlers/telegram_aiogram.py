"""aiogram 3 runtime: Telegram updates in, the service's replies out. Nothing else lives here."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiogram import Bot, Dispatcher, F, Router
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)

from flows.core import N_, Input
from handlers.render import Renderer
from handlers.service import Incoming, ReporterService, Response, SendFn

log = logging.getLogger(__name__)

# The command menu, with the catalog ids of each description.
COMMANDS = {
    "start": N_("cmd.start"),
    "lapor": N_("cmd.lapor"),
    "status": N_("cmd.status"),
    "bantuan": N_("cmd.bantuan"),
    "batal": N_("cmd.batal"),
}
CODE_SEND_ATTEMPTS = 4  # a lost ticket code cannot be recovered, so try harder for it
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def to_input(message: Message) -> Input:
    text = message.text
    if text is None:
        return Input.of_media(str(message.content_type))
    if text.startswith("/") and len(text) > 1:
        head, _, arg = text[1:].partition(" ")
        command = head.split("@", 1)[0].lower()
        return Input.of_command(command, arg.strip())
    return Input.of_text(text)


def _markup(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=label, callback_data=key) for label, key in row]
            for row in rows
        ]
    )


async def _send_one(
    bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None, attempts: int
) -> bool:
    for attempt in range(1, attempts + 1):
        try:
            await bot.send_message(
                chat_id,
                text,
                parse_mode="HTML",
                reply_markup=markup,
                link_preview_options=NO_PREVIEW,
            )
            return True
        except TelegramRetryAfter as e:
            delay: float = e.retry_after
        except (TelegramNetworkError, TelegramServerError):
            delay = 0.5 * attempt
        except TelegramAPIError as e:
            log.warning("sendMessage refused: %s", type(e).__name__)
            return False
        if attempt < attempts:
            await asyncio.sleep(min(delay, 30))
    log.warning("sendMessage failed after %d attempts", attempts)
    return False


def sender(bot: Bot, renderer: Renderer, chat_id: int, message_id: int | None) -> SendFn:
    async def send(response: Response) -> bool:
        # The code leaves the chat before the answer arrives, so it never sits there twice.
        if response.delete_input and message_id is not None:
            try:
                await bot.delete_message(chat_id, message_id)
            except TelegramAPIError as e:  # too old, already gone: nothing to protect then
                log.info("could not delete a message holding a code: %s", type(e).__name__)
        delivered = True
        attempts = CODE_SEND_ATTEMPTS if response.carries_code else 2
        for reply in response.replies:
            out = renderer.render(reply, response.locale)
            rows = [[(b.label, b.key) for b in row] for row in out.buttons]
            delivered &= await _send_one(bot, chat_id, out.text, _markup(rows), attempts)
        return delivered

    return send


def reporter_router(service: ReporterService, renderer: Renderer) -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")

    @router.message()
    async def on_message(message: Message, bot: Bot, event_update: Update) -> None:
        if message.from_user is None:
            return
        incoming = Incoming(
            user_id=message.from_user.id,
            input=to_input(message),
            update_id=event_update.update_id,
            message_id=message.message_id,
            language_code=message.from_user.language_code,
        )
        await service.handle(incoming, sender(bot, renderer, message.chat.id, message.message_id))

    @router.callback_query()
    async def on_button(query: CallbackQuery, bot: Bot, event_update: Update) -> None:
        chat = query.message.chat if query.message else None
        if chat is None or chat.type != "private":
            await query.answer()
            return
        incoming = Incoming(
            user_id=query.from_user.id,
            input=Input.of_choice(query.data or ""),
            update_id=event_update.update_id,
            language_code=query.from_user.language_code,
        )
        await service.handle(incoming, sender(bot, renderer, chat.id, None))
        with contextlib.suppress(TelegramAPIError):  # the spinner stops by itself anyway
            await query.answer()

    return router


def create_dispatcher(service: ReporterService, renderer: Renderer) -> Dispatcher:
    dp = Dispatcher()
    dp.include_router(reporter_router(service, renderer))
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
