"""Units in the directory as casework asks about them: the national channel, a province's
unit, the unit serving a place, who stands behind a unit, a group connected to one."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Upt
from storage.places import Place


async def national_upt(session: AsyncSession) -> Upt | None:
    """The national channel (SAPA 129), while it is active."""
    return await session.scalar(
        select(Upt).where(Upt.level == "nasional", Upt.active).order_by(Upt.id).limit(1)
    )


async def province_upt(session: AsyncSession, region_code: str | None) -> Upt | None:
    """The active province unit for any region code ("35", "35.15", "35.15.01")."""
    if not region_code:
        return None
    return await session.scalar(
        select(Upt)
        .where(Upt.level == "provinsi", Upt.active, Upt.region_code == region_code.split(".")[0])
        .order_by(Upt.id)
        .limit(1)
    )


async def unit_for_region(session: AsyncSession, region_code: str) -> Upt | None:
    """The active unit whose region is exactly this one."""
    return await session.scalar(
        select(Upt).where(Upt.region_code == region_code, Upt.active).order_by(Upt.id).limit(1)
    )


async def next_level(session: AsyncSession, upt: Upt) -> Upt | None:
    """Who stands behind a unit: the province's UPTD PPA, then the national channel."""
    if upt.level == "kabkota":
        province = await province_upt(session, upt.region_code)
        if province is not None:
            return province
    if upt.level != "nasional":
        return await national_upt(session)
    return None


async def destinations(session: AsyncSession, places: Iterable[Place]) -> list[Upt]:
    """Where a ticket may be forwarded for these places: each place's own unit, else its
    province's; the national channel always last."""
    options: list[Upt] = []
    for place in places:
        codes = [place.code] if place.level == "provinsi" else [place.code, place.code[:2]]
        for code in codes:
            upt = await unit_for_region(session, code)
            if upt is not None:
                break
        if upt is not None and upt not in options:
            options.append(upt)
    national = await national_upt(session)
    if national is not None and national not in options:
        options.append(national)
    return options


async def group_owner(session: AsyncSession, chat_id: int) -> Upt | None:
    """The unit a group serves (one group serves one unit)."""
    return await session.scalar(select(Upt).where(Upt.telegram_chat_id == chat_id).limit(1))


async def connect_group(
    session: AsyncSession, upt_id: int, chat_id: int, bot_admin: bool | None
) -> tuple[Upt, int | None]:
    """The unit now works in this group; returns it and the group it worked in before."""
    upt = await session.get_one(Upt, upt_id)
    old, upt.telegram_chat_id, upt.bot_admin = upt.telegram_chat_id, chat_id, bot_admin
    return upt, old
