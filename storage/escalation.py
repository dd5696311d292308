"""SLA escalation: an unclaimed ticket gains the province UPT, then the national channel.

`Ticket.escalation_level`: 0 none; 1 the province UPT co-owns the ticket and the ticket's own
UPT is reminded; 2 the national channel co-owns it too. Deadlines run from `created_at`: step 1
after `urgent_seconds` (urgent) or `normal_workdays`, step 2 after `national_workdays`, working
days counted in the routed UPT's time zone (flows/workdays.py).

Each step happens exactly once however many bot processes run: `escalate` moves the level with
a compare-and-set UPDATE, and only the caller whose UPDATE hit the row adds owners and events.
On PostgreSQL the ticket row is first taken `FOR UPDATE SKIP LOCKED`, so a second process moves
on at once instead of queueing behind the first. Repositories never commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from flows.workdays import add_workdays
from storage.models import Ticket, Upt
from storage.owners import add_owner, escalated, owner_ids
from storage.units import national_upt, province_upt

log = logging.getLogger(__name__)

PROVINCE, NATIONAL = 1, 2


@dataclass(frozen=True, slots=True)
class DueStep:
    ticket_id: int
    case_number: str
    level: int  # now
    to_level: int  # every deadline up to this one has passed


@dataclass(frozen=True, slots=True)
class Escalation:
    """What one successful `escalate` did; the caller posts the cards."""

    ticket: Ticket
    upt: Upt  # the routed UPT
    level: int  # the new level
    reannounce: bool  # step 1 was taken: remind the routed UPT
    added: list[Upt] = field(default_factory=list)  # new co-owners, who have no card yet


def deadlines(
    created_at: datetime,
    urgent: bool,
    tz: str,
    *,
    urgent_seconds: int,
    normal_workdays: int,
    national_workdays: int,
) -> tuple[datetime, datetime]:
    """(province step, national step) for a ticket received at `created_at`."""
    created = _aware(created_at)
    first = add_workdays(created, normal_workdays, tz)
    if urgent:
        first = min(first, created + timedelta(seconds=urgent_seconds))
    return first, add_workdays(created, national_workdays, tz)


async def due_escalations(
    session: AsyncSession,
    now: datetime,
    *,
    urgent_seconds: int,
    normal_workdays: int,
    national_workdays: int,
) -> list[DueStep]:
    """Unclaimed new tickets with a step due, oldest first.

    A plain read: it never blocks and locks nothing; `escalate` decides under lock or CAS.
    """
    # n working days never pass in under n x 24 h, so SQL can leave out what is surely not due;
    # the calendar itself is applied below.
    first_gap = timedelta(days=min(normal_workdays, national_workdays))
    # The clock runs from receipt, or from the last re-route (a new unit starts afresh).
    started = func.coalesce(Ticket.sla_from_at, Ticket.created_at)
    rows = (
        await session.execute(
            select(
                Ticket.id,
                Ticket.case_number,
                Ticket.escalation_level,
                Ticket.urgent,
                started,
                Upt.timezone,
            )
            .join(Upt, Upt.id == Ticket.upt_id)
            .where(
                Ticket.status == "baru",
                Ticket.claimed_by_id.is_(None),
                Ticket.escalation_level < NATIONAL,
                Upt.level != "nasional",  # already at the top: nothing to escalate to
                or_(
                    and_(
                        Ticket.escalation_level == 0,
                        or_(
                            started <= now - first_gap,
                            and_(
                                Ticket.urgent,
                                started <= now - timedelta(seconds=urgent_seconds),
                            ),
                        ),
                    ),
                    started <= now - timedelta(days=national_workdays),
                ),
            )
            .order_by(started, Ticket.id)
        )
    ).all()
    due = []
    for ticket_id, case_number, level, urgent, created_at, tz in rows:
        first, second = deadlines(
            created_at,
            urgent,
            tz,
            urgent_seconds=urgent_seconds,
            normal_workdays=normal_workdays,
            national_workdays=national_workdays,
        )
        to_level = NATIONAL if second <= now else PROVINCE if first <= now else 0
        if to_level > level:
            due.append(DueStep(ticket_id, case_number, level, to_level))
    return due


async def escalate(
    session: AsyncSession, ticket_id: int, to_level: int, now: datetime
) -> Escalation | None:
    """Take the ticket up to `to_level`; None when another process did, or it was claimed.

    Levels missed while no worker ran are taken together (one event per step). A ticket with
    no province UPT (no region, or none in the directory) goes from 0 straight to national.
    """
    probe = select(Ticket.escalation_level, Ticket.upt_id, Ticket.region_code).where(
        Ticket.id == ticket_id, Ticket.status == "baru", Ticket.claimed_by_id.is_(None)
    )
    if session.bind.dialect.name == "postgresql":
        # NO KEY UPDATE: only the level changes, so a row that merely references the ticket
        # (a card just recorded, an audit line) does not make this pass skip it.
        probe = probe.with_for_update(skip_locked=True, key_share=True)
    row = (await session.execute(probe)).first()
    if row is None:
        return None  # claimed, closed, or another process holds it right now
    old, upt_id, region_code = row
    if old >= to_level:
        return None
    own = await session.get_one(Upt, upt_id)
    if own.level == "nasional":
        return None
    province = await province_upt(session, region_code)
    national = await national_upt(session)
    new = NATIONAL if province is None else to_level
    steps: list[tuple[int, Upt | None]] = []
    if old < PROVINCE <= new and province is not None:
        steps.append((PROVINCE, province))
    if old < NATIONAL <= new:
        steps.append((NATIONAL, national))

    # The compare-and-set: on SQLite (no row locks) it is the only guard, on PostgreSQL it also
    # catches a claim or re-route committed since the probe. Only the winner goes on.
    hit = await session.execute(
        update(Ticket)
        .where(
            Ticket.id == ticket_id,
            Ticket.escalation_level == old,
            Ticket.upt_id == upt_id,
            Ticket.claimed_by_id.is_(None),
            Ticket.status == "baru",
        )
        .values(escalation_level=new)
        .execution_options(synchronize_session=False)
    )
    if hit.rowcount != 1:  # type: ignore[attr-defined]
        return None
    ticket = await session.get_one(Ticket, ticket_id, populate_existing=True)

    owners = await owner_ids(session, ticket_id)
    reannounce = old < PROVINCE <= new
    added: list[Upt] = []
    for level, target in steps:
        if target is None:
            log.warning("ticket %s: no national channel to escalate to", ticket.case_number)
            continue
        note = f"level {level}"
        if target.id not in owners:
            owners.add(target.id)
            added.append(target)
            add_owner(session, ticket_id, target.id, "escalated", actor="sla", note=note, now=now)
        elif level == PROVINCE:
            # Already a holder, yet the step is taken: its event still belongs in the history.
            # (An urgent ticket's national co-owner came at submission: no second event.)
            escalated(session, ticket_id, target.id, actor="sla", note=note, now=now)
    return Escalation(ticket, own, new, reannounce, added)


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)
