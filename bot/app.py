"""Process start-up: build the pieces from settings and run the chosen runtime."""

from __future__ import annotations

import asyncio
import gc
import logging

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError, TelegramUnauthorizedError

from bot.delivery import DeliveryWorker
from bot.settings import Settings
from bot.sla import EscalationWorker
from handlers.i18n import Catalogs
from handlers.render import Renderer
from handlers.reporter.service import ReporterService
from handlers.shell import run_shell
from handlers.staff_service import Announcer, StaffService, delivery_failed
from handlers.telegram.client import BotApi
from handlers.telegram_aiogram import create_dispatcher, set_commands
from storage.crypto import Keys
from storage.db import Database
from storage.migrate import SCHEMA_HEAD, current
from storage.places import PlaceIndex

log = logging.getLogger(__name__)


class NotReady(Exception):
    """A start-up problem to tell the operator in one line."""


class App:
    def __init__(self, settings: Settings, secret: str, db: Database | None = None) -> None:
        self.settings = settings
        self.keys = Keys.derive(secret)
        self.db = db or Database(settings.database_url, self.keys)
        self.catalogs = Catalogs(settings.default_locale)
        self.renderer = Renderer(self.catalogs)
        self.places = PlaceIndex.load()
        self.announcer = Announcer(self.keys, self.renderer, self.places)
        self.worker: DeliveryWorker | None = None
        self.service = ReporterService(
            self.db,
            self.keys,
            self.places,
            default_locale=settings.default_locale,
            status_per_minute=settings.status_lookups_per_minute,
            announcer=self.announcer,
            wake=self.wake,
        )
        self.staff = StaffService(self.db, self.keys, self.renderer, self.announcer, wake=self.wake)

    def wake(self) -> None:
        """Something was queued in the outbox: send it now rather than at the next poll."""
        if self.worker is not None:
            self.worker.wake()

    async def check_schema(self) -> None:
        try:
            revision = await current(self.db.engine)
        except Exception as e:  # unreachable server, bad credentials, …
            raise NotReady(f"cannot open the database ({type(e).__name__}: {e})") from e
        if revision != SCHEMA_HEAD:
            raise NotReady("the database is not up to date: run `lapor-ppa db upgrade` first")

    async def close(self) -> None:
        await self.db.dispose()


def make_client(settings: Settings) -> BotApi:
    """The Bot API client the outbox worker sends with."""
    assert settings.bot_token is not None
    return BotApi(settings.bot_token.get_secret_value(), settings.telegram_api_url)


def make_bot(settings: Settings) -> Bot:
    assert settings.bot_token is not None
    api = TelegramAPIServer.from_base(settings.telegram_api_url)
    return Bot(settings.bot_token.get_secret_value(), session=AiohttpSession(api=api))


# Most updates take storage/db.py's small one-statement pool. Those that write more stay
# below the engine's 30 connections: a report briefly needs a second one for its case number,
# and the delivery and escalation workers need theirs.
POLLING_CONCURRENCY = 24


class TelegramRuntime:
    """Long polling plus the outbox delivery worker, on one bot. Tests drive it too."""

    def __init__(self, app: App, bot: Bot) -> None:
        self.app, self.bot = app, bot
        self.api = make_client(app.settings)
        self.dp = create_dispatcher(app.service, app.renderer, app.staff)
        self._stop = asyncio.Event()
        self.sla: EscalationWorker | None = None

    async def prepare(self) -> None:
        try:
            me = await self.bot.get_me()
        except TelegramUnauthorizedError as e:
            raise NotReady("BOT_TOKEN was refused by the Bot API (401 Unauthorized)") from e
        except (TelegramAPIError, OSError) as e:
            raise NotReady(
                f"cannot reach the Bot API at {self.app.settings.telegram_api_url} "
                f"({type(e).__name__})"
            ) from e
        self.app.staff.bot_username = me.username or ""
        # Everything built so far lives as long as the process: keep the collector off it
        # (aiogram's per-method pydantic response classes were being rebuilt after each sweep).
        gc.freeze()
        s = self.app.settings
        self.app.worker = DeliveryWorker(
            self.app.db,
            self.app.keys,
            self.api,
            overall_per_second=s.outbox_per_second,
            per_group_per_minute=s.outbox_per_group_per_minute,
            per_private_chat_per_second=s.outbox_per_chat_per_second,
            on_permanent_failure=lambda session, row: delivery_failed(
                session, self.app.announcer, row
            ),
        )
        self.sla = EscalationWorker(
            self.app.db,
            self.app.keys,
            self.app.announcer,
            urgent_seconds=s.sla_urgent_seconds,
            normal_workdays=s.sla_normal_workdays,
            national_workdays=s.escalate_national_workdays,
            wake=self.app.wake,
        )
        await set_commands(self.bot, self.app.renderer)

    async def serve(self, *, handle_signals: bool = True, polling_timeout: int = 10) -> None:
        assert self.app.worker is not None and self.sla is not None, "prepare() first"
        worker = asyncio.create_task(self.app.worker.run(self._stop))
        sla = asyncio.create_task(self.sla.run(self._stop))
        try:
            await self.dp.start_polling(
                self.bot,
                handle_signals=handle_signals,
                polling_timeout=polling_timeout,
                allowed_updates=self.dp.resolve_used_update_types(),
                close_bot_session=False,
                # Under a burst, queue updates rather than start unbounded tasks that only wait
                # for the connection pool (memory stays flat; latency is what it has to be).
                tasks_concurrency_limit=POLLING_CONCURRENCY,
            )
        finally:
            # aiogram does not wait for updates still being handled, and Telegram already
            # considers them delivered: let them finish (bounded) before anything closes.
            in_flight = set(getattr(self.dp, "_handle_update_tasks", ()))
            if in_flight:
                await asyncio.wait(in_flight, timeout=10)
            self._stop.set()
            await worker
            await sla

    async def stop(self) -> None:
        self._stop.set()
        await self.dp.stop_polling()

    async def close(self) -> None:
        await self.api.close()
        await self.bot.session.close()


async def run_telegram(app: App) -> None:
    bot = make_bot(app.settings)
    runtime = TelegramRuntime(app, bot)
    try:
        await runtime.prepare()
        log.info("polling %s as @%s", app.settings.telegram_api_url, app.staff.bot_username)
        await runtime.serve()
    finally:
        await runtime.close()


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
