"""Linked reports: tickets that name the same account, link, phone number or group.

Several people reporting the same ad is the strongest signal an office gets. Each ticket's
evidence identifiers are kept as keyed hashes (never in clear) when it is submitted; another
ticket with the same hash is a linked report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Subquery, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from flows.casework.chain import CLOSED
from flows.evidence import from_dict, identity
from storage.crypto import Keys
from storage.models import EvidenceMark, Ticket, TicketOwner


@dataclass(frozen=True, slots=True)
class Linked:
    ticket_id: int
    case_number: str
    upt_id: int  # whose it is: only its holders may see more than that it exists
    shared: int  # how many identifiers the two tickets have in common


def marks(keys: Keys, evidence: Iterable[Mapping[str, Any]]) -> dict[str, tuple[str, str | None]]:
    """Each identifier of the evidence once: its hash → (kind, platform)."""
    out: dict[str, tuple[str, str | None]] = {}
    for raw in evidence:
        try:
            item = from_dict(raw)
        except ValueError:
            continue  # an item this version cannot read links nothing
        key = identity(item)
        if key is not None:
            out.setdefault(keys.evidence_mark(key), (item.kind, item.platform))
    return out


def index(session: AsyncSession, keys: Keys, ticket_id: int, details: Mapping[str, Any]) -> int:
    """Record a new ticket's identifiers (joins the caller's unit of work); how many."""
    found = marks(keys, details.get("evidence") or [])
    session.add_all(
        EvidenceMark(ticket_id=ticket_id, mark=mark, kind=kind, platform=platform)
        for mark, (kind, platform) in found.items()
    )
    return len(found)


# The same ad may be reported a thousand times: every query here is bounded, so one more
# report costs the same whatever came before (and flooding one identifier fans out nowhere).
SHOWN = 5  # case numbers a card names
LISTED = 20  # linked tickets listed at most


def _shared(ticket_id: int) -> Subquery:
    """(ticket_id, mark) of every other ticket's identifier that this ticket names too."""
    mine, theirs = aliased(EvidenceMark), aliased(EvidenceMark)
    return (
        select(theirs.ticket_id, theirs.mark)
        .join(mine, and_(mine.mark == theirs.mark, mine.ticket_id == ticket_id))
        .where(theirs.ticket_id != ticket_id)
        .subquery()
    )


async def linked_to(session: AsyncSession, ticket_id: int, limit: int = LISTED) -> list[Linked]:
    """Other tickets sharing an identifier with this one, the most shared first, then newest;
    at most `limit`."""
    other = _shared(ticket_id)
    shared = func.count(func.distinct(other.c.mark))
    rows = await session.execute(
        select(Ticket.id, Ticket.case_number, Ticket.upt_id, shared)
        .join(other, other.c.ticket_id == Ticket.id)
        .group_by(Ticket.id, Ticket.case_number, Ticket.upt_id)
        .order_by(shared.desc(), Ticket.id.desc())
        .limit(limit)
    )
    return [Linked(int(t), str(c), int(u), int(n)) for t, c, u, n in rows.all()]


async def count_linked(session: AsyncSession, ticket_id: int) -> int:
    other = _shared(ticket_id)
    return int(await session.scalar(select(func.count(func.distinct(other.c.ticket_id)))) or 0)


async def open_linked(session: AsyncSession, ticket_id: int, limit: int) -> list[Ticket]:
    """The newest open tickets sharing an identifier with this one, at most `limit`."""
    other = _shared(ticket_id)
    found = await session.scalars(
        select(Ticket)
        .where(Ticket.id.in_(select(other.c.ticket_id)), Ticket.status.not_in(CLOSED))
        .order_by(Ticket.id.desc())
        .limit(limit)
    )
    return list(found)


@dataclass(frozen=True, slots=True)
class SeenBy:
    """Linked reports as one unit may see them: how many in all, and the newest of them the
    unit holds, by case number (the others are only counted)."""

    cases: list[str]
    total: int


async def seen_by(session: AsyncSession, ticket_id: int, upt_id: int) -> SeenBy:
    total = await count_linked(session, ticket_id)
    if not total:
        return SeenBy([], 0)
    other = _shared(ticket_id)
    held = await session.scalars(
        select(Ticket.case_number)
        .join(other, other.c.ticket_id == Ticket.id)
        .join(
            TicketOwner,
            and_(TicketOwner.ticket_id == Ticket.id, TicketOwner.upt_id == upt_id),
        )
        .group_by(Ticket.id, Ticket.case_number)
        .order_by(Ticket.id.desc())
        .limit(SHOWN)
    )
    return SeenBy(list(held), total)
