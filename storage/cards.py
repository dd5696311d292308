"""Where a ticket's cards are: posted (TicketCard) or still queued in the outbox."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from flows.casework import CLOSED
from storage.models import OutboxMessage, Ticket, TicketCard, TicketOwner
from storage.owners import owner_ids
from storage.staff import is_active_member


async def posted(
    session: AsyncSession, ticket_id: int, upt_ids: Iterable[int] | None = None
) -> list[TicketCard]:
    """Cards of the ticket that went out (of these units only, when given)."""
    stmt = select(TicketCard).where(TicketCard.ticket_id == ticket_id)
    if upt_ids is not None:
        stmt = stmt.where(TicketCard.upt_id.in_(list(upt_ids)))
    return list((await session.scalars(stmt)).all())


async def in_chat(session: AsyncSession, chat_id: int) -> list[TicketCard]:
    """Cards that went out to one chat (a member's private chat, say)."""
    return list(
        (await session.scalars(select(TicketCard).where(TicketCard.chat_id == chat_id))).all()
    )


async def reached_someone(
    session: AsyncSession, ticket_id: int, upt_id: int, failed_row: int
) -> bool:
    """A unit without a group: did any other member get the ticket's card, or may they still?"""
    if await posted(session, ticket_id, [upt_id]):
        return True
    owed = await session.scalar(
        _queued(ticket_id=ticket_id, upt_id=upt_id)
        .where(OutboxMessage.id != failed_row)
        .with_only_columns(OutboxMessage.id)
        .limit(1)
    )
    return owed is not None


def _queued(
    ticket_id: int | None = None, upt_id: int | None = None
) -> Select[tuple[OutboxMessage]]:
    stmt = select(OutboxMessage).where(
        OutboxMessage.purpose == "card", OutboxMessage.status == "pending"
    )
    if ticket_id is not None:
        stmt = stmt.where(OutboxMessage.ticket_id == ticket_id)
    if upt_id is not None:
        stmt = stmt.where(OutboxMessage.upt_id == upt_id)
    return stmt


async def places(session: AsyncSession, ticket_id: int) -> list[tuple[int, int]]:
    """(upt id, chat id) of every card of the ticket, posted or still queued, where its unit
    still holds the ticket and, for a private chat, its reader is still an active member."""
    cards = await posted(session, ticket_id)
    queued = (await session.scalars(_queued(ticket_id=ticket_id))).all()
    found = [(c.upt_id, c.chat_id) for c in cards] + [
        (int(q.upt_id or 0), int(q.chat_id)) for q in queued
    ]
    owners = await owner_ids(session, ticket_id)
    allowed = []
    for upt_id, chat_id in dict.fromkeys(found):
        if upt_id not in owners:
            continue  # re-routed away: that unit has no rights any more
        if chat_id > 0 and not await is_active_member(session, upt_id, chat_id):
            continue  # a private chat of someone revoked (or never approved)
        allowed.append((upt_id, chat_id))
    return allowed


async def waiting_tickets(session: AsyncSession, upt_id: int) -> list[Ticket]:
    """Open tickets the unit holds that were never shown to anyone there, oldest first (they
    waited while nobody was connected)."""
    shown = select(TicketCard.ticket_id).where(TicketCard.upt_id == upt_id)
    queued = _queued(upt_id=upt_id).with_only_columns(OutboxMessage.ticket_id)
    rows = await session.scalars(
        select(Ticket)
        .join(TicketOwner, TicketOwner.ticket_id == Ticket.id)
        .where(
            TicketOwner.upt_id == upt_id,
            Ticket.status.not_in(CLOSED),
            Ticket.id.not_in(shown),
            Ticket.id.not_in(queued),
        )
        .order_by(Ticket.id)
    )
    return list(rows.all())


async def forget(session: AsyncSession, cards: Iterable[TicketCard]) -> None:
    """These cards no longer stand for the ticket (their unit lost it)."""
    for card in cards:
        await session.delete(card)
