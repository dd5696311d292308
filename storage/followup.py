"""The anonymous thread on a ticket: staff questions, reporter answers, internal notes."""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import inbox
from storage.models import OutboxMessage, ReporterLink, Ticket, TicketEvent, TicketMessage, utcnow
from storage.outbox import REPORTER_PURPOSES, forget_recipient

# Outbox purposes whose recipient is the reporter.


async def reporter_owns(session: AsyncSession, reporter_ref: str, ticket_id: int) -> bool:
    return bool(
        await session.scalar(
            select(func.count())
            .select_from(ReporterLink)
            .where(ReporterLink.reporter_ref == reporter_ref, ReporterLink.ticket_id == ticket_id)
        )
    )


def add_message(
    session: AsyncSession, ticket_id: int, kind: str, body: str, staff_id: int | None = None
) -> TicketMessage:
    message = TicketMessage(ticket_id=ticket_id, kind=kind, body=body, staff_id=staff_id)
    session.add(message)
    session.add(
        TicketEvent(
            ticket_id=ticket_id, kind=kind, actor=f"staff:{staff_id}" if staff_id else "reporter"
        )
    )
    return message


async def unlink_reporter(
    session: AsyncSession, reporter_ref: str, chat_key: str | None = None
) -> list[int]:
    """Erase a reporter's link to their tickets: the link rows, the stored chat id, and every
    outbox row ever bound to them (queued ones are cancelled; sent or failed ones lose their
    recipient too), found by ticket and by `chat_key`, and what they sent that waits in the
    inbox. The cases stay with the UPT; returns
    their ticket ids."""
    links = (
        await session.scalars(select(ReporterLink).where(ReporterLink.reporter_ref == reporter_ref))
    ).all()
    ticket_ids = [link.ticket_id for link in links]
    for link in links:
        await session.delete(link)
    for ticket in (await session.scalars(select(Ticket).where(Ticket.id.in_(ticket_ids)))).all():
        ticket.reporter_chat_id = None
        ticket.followup_stopped = True
        session.add(TicketEvent(ticket_id=ticket.id, kind="reporter_erased", actor="reporter"))
    theirs = and_(
        OutboxMessage.ticket_id.in_(ticket_ids), OutboxMessage.purpose.in_(REPORTER_PURPOSES)
    )
    if chat_key:
        theirs = or_(theirs, OutboxMessage.chat_key == chat_key)
    for row in await session.scalars(select(OutboxMessage).where(theirs)):
        if row.status == "pending":
            row.status = "cancelled"
        forget_recipient(row)
    await inbox.erase_person(session, reporter_ref)  # nothing they sent waits to be handled
    return ticket_ids


async def take_unshown_questions(session: AsyncSession, ticket_id: int) -> list[str]:
    """Questions the reporter has not seen yet (updates off): shown once, at /status."""
    rows = (
        await session.scalars(
            select(TicketMessage)
            .where(
                TicketMessage.ticket_id == ticket_id,
                TicketMessage.kind == "question",
                TicketMessage.shown_at.is_(None),
            )
            .order_by(TicketMessage.id)
        )
    ).all()
    now = utcnow()
    for row in rows:
        row.shown_at = now
    return [row.body for row in rows]


async def mark_questions_answered(session: AsyncSession, ticket_id: int) -> None:
    """The reporter answered: the questions waiting for them are not asked again."""
    await take_unshown_questions(session, ticket_id)
