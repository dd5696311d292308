"""Tickets: submission (routing, case number, history) and the reporter's status look-up."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from sqlalchemy import bindparam, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.case_numbers import case_prefix, next_case_number
from storage.db import Database
from storage.dialect import for_asyncpg
from storage.directory import route
from storage.models import (
    ReporterLink,
    Ticket,
    TicketEvent,
    TicketMessage,
    TicketOwner,
    Upt,
    utcnow,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Submission:
    draft_key: str
    reporter_role: str
    category: str
    urgent: bool
    region_code: str | None
    district_code: str | None
    occurred: str
    narrative: str
    details: dict[str, Any]
    locale: str
    reporter_chat_id: int | None = None  # only when the reporter asked for updates


@dataclass(frozen=True, slots=True)
class Submitted:
    # The rows themselves: the session keeps loaded objects only while someone holds them,
    # and announcing the ticket would otherwise read both back.
    ticket: Ticket
    upt: Upt
    connected: bool

    @property
    def ticket_id(self) -> int:
        return self.ticket.id

    @property
    def case_number(self) -> str:
        return self.ticket.case_number

    @property
    def upt_name(self) -> str:
        return self.upt.name


@dataclass(frozen=True, slots=True)
class StatusView:
    ticket_id: int
    followup_stopped: bool
    case_number: str
    status: str
    upt_name: str
    timezone: str
    changed_at: datetime
    victim: bool  # the reporter said they are the child: spoken to as "kamu"


async def submit(
    session: AsyncSession,
    sub: Submission,
    *,
    code_hash: str,
    reporter_ref: str,
    db: Database | None = None,
) -> Submitted:
    region = sub.district_code or sub.region_code
    target = await route(session, region)
    now = utcnow()
    year = now.astimezone(ZoneInfo(target.upt.timezone)).year
    ticket = Ticket(
        case_number=await next_case_number(session, case_prefix(sub.region_code), year, db),
        code_hash=code_hash,
        draft_key=sub.draft_key,
        reporter_role=sub.reporter_role,
        category=sub.category,
        urgent=sub.urgent,
        region_code=sub.region_code,
        district_code=sub.district_code,
        occurred=sub.occurred,
        narrative=sub.narrative,
        details=sub.details,
        status="baru",
        upt_id=target.upt.id,
        locale=sub.locale,
        created_at=now,
        status_changed_at=now,
        reporter_chat_id=str(sub.reporter_chat_id) if sub.reporter_chat_id is not None else None,
    )
    session.add(ticket)
    await session.flush()
    session.add_all(
        [
            TicketEvent(ticket_id=ticket.id, kind="created", status="baru", created_at=now),
            TicketEvent(ticket_id=ticket.id, kind="routed", upt_id=target.upt.id, created_at=now),
            ReporterLink(reporter_ref=reporter_ref, ticket_id=ticket.id, created_at=now),
            TicketOwner(ticket_id=ticket.id, upt_id=target.upt.id, kind="primary", created_at=now),
        ]
    )
    if not target.connected:
        # Case numbers are safe to log; codes, words and ids never are.
        log.warning(
            "ticket %s held at %s: nobody connected yet (see `lapor-ppa upt pending`)",
            ticket.case_number,
            target.upt.code,
        )
    return Submitted(ticket, target.upt, target.connected)


async def offer_code(session: AsyncSession, ticket_id: int, code_hash: str) -> str:
    """A fresh code for a ticket whose code may not have reached the reporter; the one they
    may hold keeps working until the fresh one is known to have arrived. Returns the case."""
    ticket = await session.get_one(Ticket, ticket_id)
    ticket.code_hash_next = code_hash
    return ticket.case_number


async def confirm_code(session: AsyncSession, ticket_id: int, code_hash: str | None = None) -> None:
    """The reporter has a code of this ticket (`code_hash`, or the re-issued one when not
    given): it is the ticket's code from now on, and the other stops working."""
    ticket = await session.get_one(Ticket, ticket_id)
    chosen = code_hash or ticket.code_hash_next
    if chosen is not None:
        ticket.code_hash, ticket.code_hash_next = chosen, None


async def holds_code(session: AsyncSession, ticket_id: int, code_hash: str) -> bool:
    ticket = await session.get_one(Ticket, ticket_id)
    return code_hash in (ticket.code_hash, ticket.code_hash_next)


def _code_is(code: Any) -> Any:
    """A ticket's code, or its re-issued one while that is not known to have arrived."""
    return or_(Ticket.code_hash == code, Ticket.code_hash_next == code)


_STATUS = select(
    Ticket.id,
    Ticket.followup_stopped,
    Ticket.case_number,
    Ticket.status,
    Ticket.status_changed_at,
    Upt.name,
    Upt.timezone,
    Ticket.reporter_role,
).join(Upt, Upt.id == Ticket.upt_id)


def _view(row: Any) -> StatusView:
    ticket_id, stopped, case_number, status, changed_at, upt_name, tz, role = tuple(row)[:8]
    victim = role == "korban"
    return StatusView(ticket_id, stopped, case_number, status, upt_name, tz, changed_at, victim)


async def status_by_code(session: AsyncSession, code_hash: str) -> StatusView | None:
    row = (await session.execute(_STATUS.where(_code_is(code_hash)))).first()
    return None if row is None else _view(row)


# PostgreSQL's hot path: the same look-up plus "is a question waiting to be shown?" in one
# read on asyncpg's connection. A waiting question is marked shown when it is shown, which
# is a write: such a look-up takes the unit of work instead.
_UNSHOWN = exists().where(
    TicketMessage.ticket_id == Ticket.id,
    TicketMessage.kind == "question",
    TicketMessage.shown_at.is_(None),
)
STATUS_NOW_QUERY = _STATUS.add_columns(_UNSHOWN.label("unshown")).where(_code_is(bindparam("code")))
STATUS_NOW = for_asyncpg(STATUS_NOW_QUERY)


async def status_now(conn: asyncpg.Connection, code_hash: str) -> tuple[StatusView | None, bool]:
    """(the ticket's status, whether a question waits for the reporter), outside any
    transaction."""
    row = await conn.fetchrow(STATUS_NOW.sql, *STATUS_NOW.args(code=code_hash))
    if row is None:
        return None, False
    return _view(row), bool(row[8])
