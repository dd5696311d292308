"""Named leases: a claim with an expiry, held while its holder renews it.

A process that is killed simply stops renewing, so whatever it held is free again once the
lease lapses: nobody has to clean up after it, and a restart is never refused for long.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialect import insert
from storage.models import Lease

LEASES = Lease.__table__


@dataclass(frozen=True, slots=True)
class Held:
    holder: str
    expires_at: datetime


async def take(
    session: AsyncSession, name: str, holder: str, seconds: float, now: datetime
) -> Held | None:
    """Take (or renew) `name` for `seconds`; None when taken, else who holds it and until when.
    One statement: two processes racing for it cannot both win."""
    until = now + timedelta(seconds=seconds)
    stmt = insert(session, LEASES).values(name=name, holder=holder, expires_at=until)
    stmt = stmt.on_conflict_do_update(
        index_elements=[LEASES.c.name],
        set_={"holder": holder, "expires_at": until},
        where=or_(LEASES.c.holder == holder, LEASES.c.expires_at < now),
    )
    await session.execute(stmt)
    row = (
        await session.execute(
            select(LEASES.c.holder, LEASES.c.expires_at).where(LEASES.c.name == name)
        )
    ).one()
    return None if row.holder == holder else Held(row.holder, row.expires_at)


async def release(session: AsyncSession, name: str, holder: str) -> None:
    """Give it up at once (a clean shutdown), if still ours."""
    await session.execute(delete(LEASES).where(LEASES.c.name == name, LEASES.c.holder == holder))


async def holder_of(session: AsyncSession, name: str, now: datetime) -> Held | None:
    row = (
        await session.execute(
            select(LEASES.c.holder, LEASES.c.expires_at).where(
                LEASES.c.name == name, LEASES.c.expires_at >= now
            )
        )
    ).one_or_none()
    return None if row is None else Held(row.holder, row.expires_at)
