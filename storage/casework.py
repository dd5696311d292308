"""A ticket as staff work it: what a decision needs to know, and the changes they make.

Every change that two people could make at once is a compare-and-set UPDATE: only the first
update that still finds the ticket as it read it wins.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from flows.casework import CLOSED
from storage.models import Staff, Ticket, TicketEvent, Upt, utcnow
from storage.owners import hand_over, owns


@dataclass(frozen=True, slots=True)
class CaseView:
    ticket: Ticket
    owned: bool  # the asking member's unit holds it
    holder_name: str  # who took it ("" when nobody has)
    timezone: str  # of the unit it is routed to


async def case_view(session: AsyncSession, ticket_id: int, upt_id: int | None) -> CaseView | None:
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None:
        return None
    owned = upt_id is not None and await owns(session, upt_id, ticket.id)
    holder = await session.get(Staff, ticket.claimed_by_id) if ticket.claimed_by_id else None
    upt = await session.get_one(Upt, ticket.upt_id)
    return CaseView(ticket, owned, holder.display_name if holder else "", upt.timezone)


async def claim(session: AsyncSession, ticket: Ticket, staff_id: int) -> str | None:
    """None when this member took it; else the name of whoever was first."""
    won = await session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.claimed_by_id.is_(None))
        .values(claimed_by_id=staff_id)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        await session.refresh(ticket)
        holder = await session.get_one(Staff, ticket.claimed_by_id)
        return holder.display_name
    ticket.claimed_by_id = staff_id
    return None


def record_status(
    session: AsyncSession,
    ticket: Ticket,
    status: str,
    actor: str,
    reason: str | None = None,
    shareable: bool = False,
) -> None:
    now = utcnow()
    ticket.status, ticket.status_changed_at = status, now
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            kind="status",
            status=status,
            actor=actor,
            note=reason,
            shareable=shareable,
            created_at=now,
        )
    )


async def move_status(
    session: AsyncSession,
    ticket: Ticket,
    status: str,
    staff_id: int,
    reason: str | None,
    shareable: bool,
) -> bool:
    """False when someone else changed the status first."""
    moved = await session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.status == ticket.status)
        .values(status=status)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return False
    if ticket.claimed_by_id is None:
        ticket.claimed_by_id = staff_id  # whoever moves it on holds it
    record_status(session, ticket, status, f"staff:{staff_id}", reason, shareable)
    return True


async def move_to_unit(
    session: AsyncSession, ticket: Ticket, target_id: int, keep: set[int], actor: str, reason: str
) -> None:
    """The receiving unit takes the ticket afresh: new, held by nobody, its SLA clock
    starting now; of the former holders only `keep` stays."""
    await hand_over(session, ticket.id, target_id, keep)
    now = utcnow()
    ticket.escalation_level = 0
    ticket.sla_from_at = now
    ticket.upt_id, ticket.claimed_by_id = target_id, None
    ticket.status, ticket.status_changed_at = "baru", now
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            kind="rerouted",
            status="baru",
            upt_id=target_id,
            actor=actor,
            note=reason,
            created_at=now,
        )
    )


async def held_open(session: AsyncSession, staff_id: int) -> list[Ticket]:
    """Open tickets this member holds, oldest first."""
    rows = await session.scalars(
        select(Ticket)
        .where(Ticket.claimed_by_id == staff_id, Ticket.status.not_in(CLOSED))
        .order_by(Ticket.id)
    )
    return list(rows.all())


def release(session: AsyncSession, ticket: Ticket, actor: str, note: str) -> None:
    """Nobody holds the ticket any more: anyone of its units may take it."""
    ticket.claimed_by_id = None
    session.add(
        TicketEvent(
            ticket_id=ticket.id, kind="released", upt_id=ticket.upt_id, actor=actor, note=note
        )
    )
