"""Which units hold a ticket (the routed one, and those added by escalation or failure)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import TicketEvent, TicketOwner, utcnow


async def owns(session: AsyncSession, upt_id: int, ticket_id: int) -> bool:
    return bool(
        await session.scalar(
            select(func.count())
            .select_from(TicketOwner)
            .where(TicketOwner.ticket_id == ticket_id, TicketOwner.upt_id == upt_id)
        )
    )


async def owner_ids(session: AsyncSession, ticket_id: int) -> set[int]:
    return set(
        await session.scalars(select(TicketOwner.upt_id).where(TicketOwner.ticket_id == ticket_id))
    )


def add_owner(
    session: AsyncSession,
    ticket_id: int,
    upt_id: int,
    kind: str,
    *,
    actor: str = "system",
    note: str | None = None,
    now: datetime | None = None,
) -> None:
    """The unit gains rights on the ticket; an escalated one is also an event in its history."""
    now = now or utcnow()
    session.add(TicketOwner(ticket_id=ticket_id, upt_id=upt_id, kind=kind, created_at=now))
    if kind == "escalated":
        escalated(session, ticket_id, upt_id, actor=actor, note=note, now=now)


def escalated(
    session: AsyncSession,
    ticket_id: int,
    upt_id: int,
    *,
    actor: str = "system",
    note: str | None = None,
    now: datetime | None = None,
) -> None:
    session.add(
        TicketEvent(
            ticket_id=ticket_id,
            kind="escalated",
            upt_id=upt_id,
            actor=actor,
            note=note,
            created_at=now or utcnow(),
        )
    )


async def hand_over(session: AsyncSession, ticket_id: int, target_id: int, keep: set[int]) -> None:
    """Only `keep` still holds the ticket, `target_id` as its primary unit."""
    owners = (
        await session.scalars(select(TicketOwner).where(TicketOwner.ticket_id == ticket_id))
    ).all()
    for owner in owners:
        if owner.upt_id not in keep or owner.upt_id == target_id:
            await session.delete(owner)
    await session.flush()
    session.add(TicketOwner(ticket_id=ticket_id, upt_id=target_id, kind="primary"))
