"""Process start-up: build the pieces from settings and run the chosen runtime."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal

from bot import stats
from bot.cluster import Membership, Refused, coordinates, refusal
from bot.delivery import DeliveryWorker
from bot.memory import keep_large_buffers_mapped
from bot.monthly import MonthlySummaries
from bot.settings import Settings
from bot.sla import EscalationWorker
from bot.webhook import ensure_secret, listen_address, path_of, secret_of, set_webhook
from handlers.casework.announce import Announcer, delivery_failed
from handlers.casework.service import StaffService
from handlers.i18n import Catalogs
from handlers.render import Renderer
from handlers.reporter.service import ReporterService
from handlers.reports.monthly import summary_calls
from handlers.status_server import StatusServer
from handlers.telegram.aiogram_runtime import AiogramRuntime
from handlers.telegram.answers import Kind
from handlers.telegram.client import BotApi
from handlers.telegram.edge import TelegramEdge
from handlers.telegram.messages import set_profile
from handlers.telegram.ordering import PersonOrder
from handlers.telegram.outbound import Call
from handlers.telegram.reception import Polling, Received
from handlers.telegram.runtime import Runtime
from handlers.telegram.webhook import WebhookServer
from handlers.terminal.setup import TerminalParts
from handlers.terminal.shell import TerminalShell, stdin_reader
from storage import outbox
from storage.crypto import Keys
from storage.db import Database, sqlite_path
from storage.keycheck import KeyMismatch, verify_key
from storage.migrate import SCHEMA_HEAD, current
from storage.outbox import Due
from storage.places import PlaceIndex
from storage.shared import Shared, SharedLimiter

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
        # Several webhook workers share locks, limits and pacing through Redis (bot/cluster.py).
        self.shared = Shared(settings.redis_url) if coordinates(settings) else None
        self.service = ReporterService(
            self.db,
            self.keys,
            self.places,
            default_locale=settings.default_locale,
            status_per_minute=settings.status_lookups_per_minute,
            reports_per_day=settings.reports_per_day,
            announcer=self.announcer,
            wake=self.wake,
            status_limit=self.shared_limit("status", settings.status_lookups_per_minute),
        )
        self.staff = StaffService(self.db, self.keys, self.renderer, self.announcer, wake=self.wake)

    def shared_limit(self, name: str, per_minute: int) -> SharedLimiter | None:
        return None if self.shared is None else SharedLimiter(self.shared, name, per_minute, 60.0)

    async def make_later(self, due: Due) -> list[Call]:
        """The calls for an outbox row made when it is sent (a monthly summary)."""
        return await summary_calls(self.db, self.keys, self.renderer, due)

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

    async def readiness(self) -> str | None:
        """None when this process can do its work; otherwise why not, in a few words."""
        try:
            revision = await current(self.db.engine)
        except Exception as e:  # noqa: BLE001 - any failure means not ready
            return f"the database does not answer ({type(e).__name__})"
        if revision != SCHEMA_HEAD:
            return "the database schema is not current"
        if self.shared is not None and not await self.shared.ping():
            return "Redis does not answer"
        return None

    async def close(self) -> None:
        if self.shared is not None:
            await self.shared.close()
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


def make_runtime(settings: Settings) -> Runtime:
    """The framework updates pass through on their way to the edge (BOT_RUNTIME)."""
    assert settings.bot_token is not None
    token = settings.bot_token.get_secret_value()
    if settings.bot_runtime == "ptb":
        # Imported only when chosen: PTB (and httpx) would cost every other process memory.
        from handlers.telegram.ptb_runtime import PtbRuntime

        return PtbRuntime(token, settings.telegram_api_url)
    return AiogramRuntime(token, settings.telegram_api_url)


class TelegramBot:
    """The bot on Telegram: reception records and hands updates to the runtime, which passes
    them to the edge; the client sends, and the outbox delivery and escalation workers run
    beside them. Tests drive it too."""

    def __init__(
        self, app: App, api: BotApi, runtime: Runtime, *, polling_timeout: int = 10
    ) -> None:
        self.app, self.api, self.runtime = app, api, runtime
        self.membership = Membership(app.db, app.settings)
        shared = app.shared
        self.received = Received(app.db, app.keys, app.service.store, shared=shared is not None)
        self.edge = TelegramEdge(
            api,
            app.renderer,
            app.service,
            app.staff,
            messages_per_minute=app.settings.messages_per_minute,
            concurrency=POLLING_CONCURRENCY,
            on_handled=self.received.handled,
            replayed=self.received.replayed,
            order=None if shared is None else PersonOrder(shared, app.keys, app.db),
            limit=app.shared_limit("messages", app.settings.messages_per_minute),
        )
        s = app.settings
        self.reception: Polling | WebhookServer
        if s.webhook_url:
            self.reception = WebhookServer(
                self.received,
                runtime,
                path=path_of(s.webhook_url),
                secret=secret_of(s),
                listen=listen_address(s.webhook_listen),
                ready=app.readiness,
                with_status=s.metrics_listen is None,
            )
        else:
            self.reception = Polling(api, self.received, runtime, polling_timeout=polling_timeout)
        # /healthz, /readyz and /metrics on an internal port of their own, when asked for.
        self.status = (
            StatusServer(listen_address(s.metrics_listen), app.readiness)
            if s.metrics_listen
            else None
        )
        self._stop = asyncio.Event()
        self._stopping: asyncio.Task[None] | None = None
        self.sla: EscalationWorker | None = None
        self.monthly: MonthlySummaries | None = None

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
        try:
            await self.membership.join()  # before anything changes what another process runs
        except Refused as refused:
            raise NotReady(str(refused)) from None
        if not self.membership.shared:
            async with self.app.db.unit_of_work() as session:
                await outbox.release_all(session)  # its claims are this process's last life's
        await self.reception.prepare()
        if self.status is not None:
            await self.status.start()
        await self.runtime.start(self.edge.handle)
        if isinstance(self.reception, WebhookServer):
            await self.reception.start()  # listening before Telegram is told where to post
        if isinstance(self.reception, WebhookServer) and not self.membership.shared:
            # One process tells Telegram itself (several workers leave that to
            # `lapor-ppa webhook set`, once per deployment).
            answer = await set_webhook(self.api, self.app.settings)
            if not answer.ok:
                raise NotReady(f"Telegram refused the webhook ({answer.error or answer.name})")
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
            shared=self.app.shared,
            later=self.app.make_later,
        )
        self.monthly = MonthlySummaries(self.app.db, self.app.keys, wake=self.app.wake)
        self.sla = EscalationWorker(
            self.app.db,
            self.app.keys,
            self.app.announcer,
            urgent_seconds=s.sla_urgent_seconds,
            normal_workdays=s.sla_normal_workdays,
            national_workdays=s.escalate_national_workdays,
            interval_seconds=s.sla_check_seconds,
            wake=self.app.wake,
        )
        await set_profile(self.api, self.app.renderer)

    async def serve(self, *, handle_signals: bool = True) -> None:
        assert self.app.worker is not None and self.sla is not None, "prepare() first"
        assert self.monthly is not None
        worker = asyncio.create_task(self.app.worker.run(self._stop))
        sla = asyncio.create_task(self.sla.run(self._stop))
        monthly = asyncio.create_task(self.monthly.run(self._stop))
        numbers = asyncio.create_task(stats.run(self.app.db, self._stop))
        lease = asyncio.create_task(self.membership.keep(self._stop))
        signals = (signal.SIGINT, signal.SIGTERM) if handle_signals else ()
        loop = asyncio.get_running_loop()
        for sig in signals:
            loop.add_signal_handler(sig, self._on_signal, sig)
        try:
            # Returns once stopped; then the updates in hand are handled (bounded).
            await self.reception.serve()
            await self.edge.drain(DRAIN_SECONDS)
            await self.received.close()
        finally:
            for sig in signals:
                loop.remove_signal_handler(sig)
            self._stop.set()
            await worker
            await sla
            await monthly
            await numbers
            await lease
            await self.membership.leave()

    def _on_signal(self, sig: signal.Signals) -> None:
        log.warning("received %s; stopping", sig.name)
        if self._stopping is None:
            self._stopping = asyncio.create_task(self.stop())

    async def stop(self) -> None:
        """Stop receiving; `serve` returns once the updates in hand are handled, and only then
        stops the workers (what those updates queued may still go out)."""
        await self.reception.stop()

    async def close(self) -> None:
        await self.membership.leave()
        if self.status is not None:
            await self.status.close()
        await self.reception.close()
        await self.runtime.close()
        await self.api.close()


async def run_telegram(app: App) -> None:
    bot = TelegramBot(app, make_client(app.settings), make_runtime(app.settings))
    try:
        await bot.prepare()
        how = f"webhook {app.settings.webhook_url}" if app.settings.webhook_url else "polling"
        log.info("%s via %s as @%s", how, app.settings.telegram_api_url, app.staff.bot_username)
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
            later=app.make_later,
        ),
    )


async def run(
    settings: Settings, *, shell: bool | None = None, staff_unit: str | None = None
) -> None:
    keep_large_buffers_mapped()
    use_shell = settings.bot_token is None if shell is None else shell
    if settings.secret_key is None:
        raise NotReady("SECRET_KEY is not set (at least 32 characters; make run generates one)")
    if not use_shell and (refused := refusal(settings)) is not None:
        raise NotReady(refused)
    if settings.webhook_url and not use_shell:
        settings = ensure_secret(settings)
    path = sqlite_path(settings.database_url)
    if path is not None and not path.exists():  # said before opening it makes the file
        raise NotReady(f"there is no database at {path}: run `lapor-ppa db upgrade` first")
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
