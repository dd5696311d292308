"""A bare aiogram echo bot: the framework's own ceiling on this machine.

Answers every message and every callback query with one sendMessage carrying one inline
button (so the simulated person has something to press next). Run as its own process:
``python -m bench.echo_bot`` with BOT_TOKEN and TELEGRAM_API_URL set.
"""

from __future__ import annotations

import asyncio
import os

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="Lanjut", callback_data="next")]]
)


async def on_message(message: Message, bot: Bot) -> None:
    await bot.send_message(message.chat.id, message.text or "?", reply_markup=KEYBOARD)


async def on_callback(query: CallbackQuery, bot: Bot) -> None:
    await bot.send_message(query.from_user.id, query.data or "?", reply_markup=KEYBOARD)


async def main() -> None:
    api = TelegramAPIServer.from_base(os.environ["TELEGRAM_API_URL"])
    bot = Bot(os.environ["BOT_TOKEN"], session=AiohttpSession(api=api))
    dp = Dispatcher()
    dp.message.register(on_message)
    dp.callback_query.register(on_callback)
    await dp.start_polling(bot, polling_timeout=10, handle_signals=True)


if __name__ == "__main__":
    asyncio.run(main())
