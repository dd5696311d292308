"""Process start-up: build the pieces from settings and run the chosen runtime."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal

from bot.delivery import DeliveryWorker
from bot.memory import keep_large_buffers_mapped
from bot.settings import Settings
from bot.sla import EscalationWorker
from handlers.casework.announce import Announcer, delivery_failed
from handlers.casework.service import StaffService
from handlers.i18n import Catalogs
from handlers.render import Renderer
from handlers.reporter.service import ReporterService
from handlers.telegram.aiogram_runtime import AiogramPolling
from handlers.telegram.answers import Kind
from handlers.telegram.client import BotApi
from handlers.telegram.edge import TelegramEdge
from handlers.telegram.messages import set_profile
from handlers.telegram.runtime import Runtime
from handlers.terminal.setup import TerminalParts
from handlers.terminal.shell import TerminalShell, stdin_reader
from storage.crypto import Keys
from storage.db import Database
from storage.keycheck import KeyMismatch, verify_key
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
        self.announcer = Announcer(self.keys, self.places)
        self.worker: DeliveryWorker | None = None
        self.service = ReporterService(
            self.db,
            self.keys,
            self.places,
            default_locale=settings.default_locale,
            status_per_minute=settings.status_lookups_per_minute,
            reports_per_day=settings.reports_per_day,
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
        try:
            async with self.db.unit_of_work() as session:
                await verify_key(session, self.keys)
        except KeyMismatch as e:
            raise NotReady(str(e)) from None

    async def close(self) -> None:
        await self.db.dispose()


def make_client(settings: Settings) -> BotApi:
    """The one outbound Bot API client (everything the bot sends goes through it)."""
    assert settings.bot_token is not None
    return BotApi(settings.bot_token.get_secret_value(), settings.telegram_api_url)


# Most updates take storage/db.py's small one-statement pool. Those that write more stay
# below the engine's 30 connections: a report briefly needs a second one for its case number,
# and the delivery and escalation workers need theirs.
POLLING_CONCURRENCY = 24
DRAIN_SECONDS = 10.0  # at shutdown, for updates already handed to the edge


def make_runtime(settings: Settings, *, polling_timeout: int = 10) -> Runtime:
    """How updates arrive: aiogram's long polling, at most POLLING_CONCURRENCY handled at once."""
    assert settings.bot_token is not None
    return AiogramPolling(
        settings.bot_token.get_secret_value(),
        settings.telegram_api_url,
        concurrency=POLLING_CONCURRENCY,
        polling_timeout=polling_timeout,
    )


class TelegramBot:
    """The bot on Telegram: a runtime receives updates for the edge, the client sends, and the
    outbox delivery and escalation workers run beside them. Tests drive it too."""

    def __init__(self, app: App, api: BotApi, runtime: Runtime) -> None:
        self.app, self.api, self.runtime = app, api, runtime
        self.edge = TelegramEdge(
            api,
            app.renderer,
            app.service,
            app.staff,
            messages_per_minute=app.settings.messages_per_minute,
            concurrency=POLLING_CONCURRENCY,
        )
        self._stop = asyncio.Event()
        self._stopping: asyncio.Task[None] | None = None
        self.sla: EscalationWorker | None = None

    async def prepare(self) -> None:
        me = await self.api.get_me()
        if me.kind is Kind.UNAUTHORIZED:
            raise NotReady("BOT_TOKEN was refused by the Bot API (401 Unauthorized)")
        if not me.ok or not isinstance(me.result, dict):
            raise NotReady(
                f"cannot reach the Bot API at {self.app.settings.telegram_api_url} ({me.name})"
            )
        self.app.staff.bot_username = str(me.result.get("username") or "")
        bot_id = me.result.get("id")
        self.app.staff.bot_id = bot_id if isinstance(bot_id, int) else 0
        await self.runtime.prepare()
        # Everything built so far lives as long as the process: keep the collector off it
        # (aiogram's per-method pydantic response classes were being rebuilt after each sweep).
        gc.freeze()
        s = self.app.settings
        self.app.worker = DeliveryWorker(
            self.app.db,
            self.app.keys,
            self.api,
            self.app.renderer,
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
        await set_profile(self.api, self.app.renderer)

    async def serve(self, *, handle_signals: bool = True) -> None:
        assert self.app.worker is not None and self.sla is not None, "prepare() first"
        worker = asyncio.create_task(self.app.worker.run(self._stop))
        sla = asyncio.create_task(self.sla.run(self._stop))
        signals = (signal.SIGINT, signal.SIGTERM) if handle_signals else ()
        loop = asyncio.get_running_loop()
        for sig in signals:
            loop.add_signal_handler(sig, self._on_signal, sig)
        try:
            # Returns once stopped and the updates in hand are handled (bounded).
            await self.runtime.serve(self.edge.handle)
            await self.edge.drain(DRAIN_SECONDS)
        finally:
            for sig in signals:
                loop.remove_signal_handler(sig)
            self._stop.set()
            await worker
            await sla

    def _on_signal(self, sig: signal.Signals) -> None:
        log.warning("received %s; stopping", sig.name)
        if self._stopping is None:
            self._stopping = asyncio.create_task(self.stop())

    async def stop(self) -> None:
        """Stop receiving; `serve` returns once the updates in hand are handled, and only then
        stops the workers (what those updates queued may still go out)."""
        await self.runtime.stop()

    async def close(self) -> None:
        await self.runtime.close()
        await self.api.close()


async def run_telegram(app: App) -> None:
    bot = TelegramBot(app, make_client(app.settings), make_runtime(app.settings))
    try:
        await bot.prepare()
        log.info("polling %s as @%s", app.settings.telegram_api_url, app.staff.bot_username)
        await bot.serve()
    finally:
        await bot.close()


def terminal_parts(app: App) -> TerminalParts:
    """The shell's pieces: the bot's own, with a delivery worker unpaced (no network)."""
    return TerminalParts(
        app.db,
        app.keys,
        app.renderer,
        app.service,
        app.staff,
        messages_per_minute=app.settings.messages_per_minute,
        make_worker=lambda api: DeliveryWorker(
            app.db,
            app.keys,
            api,
            app.renderer,
            overall_per_second=1000.0,
            per_group_per_minute=100_000,
            per_private_chat_per_second=1000.0,
            on_permanent_failure=lambda session, row: delivery_failed(session, app.announcer, row),
        ),
    )


async def run(
    settings: Settings, *, shell: bool | None = None, staff_unit: str | None = None
) -> None:
    keep_large_buffers_mapped()
    use_shell = settings.bot_token is None if shell is None else shell
    if settings.secret_key is None:
        raise NotReady("SECRET_KEY is not set (at least 32 characters; make run generates one)")
    app = App(settings, settings.secret_key.get_secret_value())
    try:
        await app.check_schema()
        if use_shell:
            terminal = TerminalShell(
                terminal_parts(app), read_line=stdin_reader(), locale=settings.default_locale
            )
            await terminal.run(staff_unit)
        else:
            await run_telegram(app)
    finally:
        await app.close()
