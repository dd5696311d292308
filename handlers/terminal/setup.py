"""What the terminal shell is built from: the same services, store and delivery worker as
the bot on Telegram (bot/app.py makes them), put together around the in-process Bot API."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import func, select

from handlers.casework.service import StaffService
from handlers.render import Renderer
from handlers.reporter.service import ReporterService
from handlers.telegram.client import BotApi
from handlers.telegram.edge import TelegramEdge
from storage import directory, staff
from storage.crypto import Keys
from storage.db import Database
from storage.models import ReporterLink, Ticket


class Worker(Protocol):
    async def run_once(self) -> int: ...


@dataclass
class TerminalParts:
    db: Database
    keys: Keys
    renderer: Renderer
    reporters: ReporterService
    staff: StaffService
    messages_per_minute: int
    make_worker: Callable[[BotApi], Worker]  # the outbox delivery worker, sending through it
    worker: Worker | None = None

    def attach(self, api: BotApi, username: str, bot_id: int) -> None:
        self.staff.bot_username, self.staff.bot_id = username, bot_id
        self.worker = self.make_worker(api)

    def edge(self, api: BotApi) -> TelegramEdge:
        return TelegramEdge(
            api,
            self.renderer,
            self.reporters,
            self.staff,
            messages_per_minute=self.messages_per_minute,
        )

    async def deliver(self) -> int:
        """Send everything the outbox owes now; how many were sent."""
        assert self.worker is not None, "attach() first"
        sent = 0
        while done := await self.worker.run_once():
            sent += done
        return sent


@dataclass(frozen=True, slots=True)
class StaffState:
    unit: str | None  # the unit's code as the directory spells it; None when unknown
    member: bool  # the terminal's koordinator already belongs to a unit
    real_cases: int  # tickets the terminal's reporter did not make


async def staff_state(parts: TerminalParts, code: str, reporter: int, member: int) -> StaffState:
    async with parts.db.unit_of_work() as session:
        unit = await directory.find(session, code)
        if unit is None:
            return StaffState(None, False, 0)
        mine = select(ReporterLink.ticket_id).where(
            ReporterLink.reporter_ref == parts.keys.reporter_ref(reporter)
        )
        real = await session.scalar(select(func.count()).where(Ticket.id.not_in(mine)))
        account = await staff.active_membership(session, member)
        return StaffState(unit.code, account is not None, int(real or 0))
