"""Monthly summaries owed to koordinators: on the first working day of a month (in the unit's
time zone, from 08.00), each active koordinator who joined before the month began and has not
opted out is owed last month's summary, once. The row in `monthly_summaries` is written with
the outbox row in one unit of work, and its primary key refuses a second: any number of
workers may ask at once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from flows.outbound import Summary
from flows.workdays import is_workday
from storage import dialect, outbox
from storage.crypto import Keys
from storage.models import MonthlySummary, Staff, Upt

SEND_FROM_HOUR = 8  # nobody's phone buzzes with numbers before the working day


def first_workday(day: date) -> bool:
    return is_workday(day) and not any(is_workday(day.replace(day=d)) for d in range(1, day.day))


def previous_month(day: date) -> str:
    return f"{day.replace(day=1) - timedelta(days=1):%Y-%m}"


async def owe(session: AsyncSession, keys: Keys, now: datetime) -> int:
    """Queue the summaries due now and not yet owed; how many this call queued."""
    queued = 0
    for upt in await session.scalars(select(Upt).where(Upt.active)):
        local = now.astimezone(ZoneInfo(upt.timezone))
        if local.hour < SEND_FROM_HOUR or not first_workday(local.date()):
            continue
        month = previous_month(local.date())
        this_month = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        koordinators = await session.scalars(
            select(Staff).where(
                Staff.upt_id == upt.id,
                Staff.role == "koordinator",
                Staff.status == "active",
                Staff.monthly_summary.is_(True),
                # Last month's summary is for those who were there in it.
                Staff.created_at < this_month.astimezone(UTC),
            )
        )
        for k in koordinators:
            claim = (
                dialect.insert(session, MonthlySummary)
                .values(staff_id=k.id, month=month, created_at=now)
                .on_conflict_do_nothing(index_elements=["staff_id", "month"])
                .returning(MonthlySummary.staff_id)
            )
            if (await session.execute(claim)).first() is None:
                continue  # owed already (by this worker or another)
            await outbox.enqueue(
                session,
                keys,
                chat_id=k.telegram_user_id,
                op=Summary(upt.id, month, k.id),
                purpose="summary",
                upt_id=upt.id,
            )
            queued += 1
    return queued
