"""Process start-up: build the pieces from settings and run the chosen runtime."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError, TelegramUnauthorizedError

from bot.settings import Settings
from handlers.i18n import Catalogs
from handlers.render import Renderer
from handlers.service import ReporterService
from handlers.shell import run_shell
from handlers.telegram_aiogram import create_dispatcher, set_commands
from storage.crypto import Keys
from storage.db import Database
from storage.migrate import current, head
from storage.places import PlaceIndex

log = logging.getLogger(__name__)


class NotReady(Exception):
    """A start-up problem to tell the operator in one line."""


class App:
    def __init__(self, settings: Settings, secret: str) -> None:
        self.settings = settings
        self.keys = Keys.derive(secret)
        self.db = Database(settings.database_url, self.keys)
        self.catalogs = Catalogs(settings.default_locale)
        self.renderer = Renderer(self.catalogs)
        self.service = ReporterService(
            self.db,
            self.keys,
            PlaceIndex.load(),
            default_locale=settings.default_locale,
            status_per_minute=settings.status_lookups_per_minute,
        )

    async def check_schema(self) -> None:
        try:
            revision = await current(self.db.engine)
        except Exception as e:  # unreachable server, bad credentials, …
            raise NotReady(f"cannot open the database ({type(e).__name__}: {e})") from e
        if revision != head():
            raise NotReady("the database is not up to date: run `lapor-ppa db upgrade` first")

    async def close(self) -> None:
        await self.db.dispose()


def make_bot(settings: Settings) -> Bot:
    assert settings.bot_token is not None
    api = TelegramAPIServer.from_base(settings.telegram_api_url)
    return Bot(settings.bot_token.get_secret_value(), session=AiohttpSession(api=api))


async def run_telegram(app: App, *, handle_signals: bool = True) -> None:
    bot = make_bot(app.settings)
    dp = create_dispatcher(app.service, app.renderer)
    try:
        try:
            me = await bot.get_me()
        except TelegramUnauthorizedError as e:
            raise NotReady("BOT_TOKEN was refused by the Bot API (401 Unauthorized)") from e
        except (TelegramAPIError, OSError) as e:
            raise NotReady(
                f"cannot reach the Bot API at {app.settings.telegram_api_url} ({type(e).__name__})"
            ) from e
        log.info("running as @%s", me.username)
        await set_commands(bot, app.renderer)
        log.info("polling %s", app.settings.telegram_api_url)
        await dp.start_polling(
            bot,
            handle_signals=handle_signals,
            allowed_updates=dp.resolve_used_update_types(),
        )
    finally:
        await bot.session.close()


async def run(settings: Settings, *, shell: bool | None = None) -> None:
    use_shell = settings.bot_token is None if shell is None else shell
    if settings.secret_key is None:
        raise NotReady("SECRET_KEY is not set (at least 32 characters; make run generates one)")
    app = App(settings, settings.secret_key.get_secret_value())
    try:
        await app.check_schema()
        if use_shell:
            await run_shell(app.service, app.renderer, locale=settings.default_locale)
        else:
            await run_telegram(app)
    finally:
        await app.close()
