"""The anonymous thread on a ticket: staff questions, reporter answers, internal notes."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ReporterLink, TicketEvent, TicketMessage, utcnow


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
