"""What an operator asks at the console: which cases wait, where, since when, with whom.

Never narrative, details or anything about the reporter: case numbers, units, statuses,
urgency, times and staff names only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from flows.casework.chain import CLOSED
from storage.models import AuditEntry, Staff, Ticket, TicketEvent, Upt


@dataclass(frozen=True, slots=True)
class CaseRow:
    case_number: str
    upt_code: str
    upt_name: str
    status: str
    urgent: bool
    created_at: datetime
    holder: str | None
    connected: bool


async def cases(
    session: AsyncSession,
    *,
    upt_code: str | None = None,
    status: str | None = None,
    urgent: bool = False,
    only_unconnected: bool = False,
    open_only: bool = False,
) -> list[CaseRow]:
    """Cases, urgent first and then the oldest first (the order someone should act in)."""
    holder = aliased(Staff)
    query = (
        select(
            Ticket.case_number,
            Upt.code,
            Upt.name,
            Ticket.status,
            Ticket.urgent,
            Ticket.created_at,
            holder.display_name,
            Upt.telegram_chat_id.is_not(None),
        )
        .join(Upt, Upt.id == Ticket.upt_id)
        .outerjoin(holder, holder.id == Ticket.claimed_by_id)
        .order_by(Ticket.urgent.desc(), Ticket.created_at, Ticket.id)
    )
    if upt_code:
        query = query.where(func.upper(Upt.code) == upt_code.upper())
    if status:
        query = query.where(Ticket.status == status)
    if urgent:
        query = query.where(Ticket.urgent)
    if open_only:
        query = query.where(Ticket.status.not_in(CLOSED))
    if only_unconnected:
        # Held where nobody can see them yet: no group, and no active member to message.
        members = (
            select(func.count())
            .where(Staff.upt_id == Upt.id, Staff.status == "active")
            .correlate(Upt)
            .scalar_subquery()
        )
        query = query.where(Ticket.status == "baru", Upt.telegram_chat_id.is_(None), members == 0)
    return [CaseRow(*row) for row in (await session.execute(query)).all()]


@dataclass(frozen=True, slots=True)
class HistoryLine:
    at: datetime
    source: str  # event | audit
    actor: str
    what: str
    detail: str


_ACTOR = re.compile(r"^staff:(\d+)$")


async def history(session: AsyncSession, ticket_id: int) -> list[HistoryLine]:
    """A case's events and audit entries in time order, with people and units named."""
    names = {
        staff_id: f"{name} ({role}, {code})"
        for staff_id, name, role, code in await session.execute(
            select(Staff.id, Staff.display_name, Staff.role, Upt.code).join(
                Upt, Upt.id == Staff.upt_id
            )
        )
    }
    codes = dict((await session.execute(select(Upt.id, Upt.code))).all())

    def actor(raw: str) -> str:
        match = _ACTOR.match(raw)
        if match:
            return names.get(int(match.group(1)), raw)
        return {"system": "system", "sla": "SLA timer", "reporter": "reporter"}.get(raw, raw)

    lines = [
        HistoryLine(
            at,
            "event",
            actor(who),
            kind if not status else f"{kind} → {status}",
            codes.get(upt_id, "") if upt_id else "",
        )
        for at, kind, status, who, upt_id in await session.execute(
            select(
                TicketEvent.created_at,
                TicketEvent.kind,
                TicketEvent.status,
                TicketEvent.actor,
                TicketEvent.upt_id,
            ).where(TicketEvent.ticket_id == ticket_id)
        )
    ]
    lines += [
        HistoryLine(at, "audit", actor(who), action, detail or "")
        for at, who, action, detail in await session.execute(
            select(
                AuditEntry.created_at, AuditEntry.actor, AuditEntry.action, AuditEntry.detail
            ).where(AuditEntry.ticket_id == ticket_id)
        )
    ]
    return sorted(lines, key=lambda line: line.at)
