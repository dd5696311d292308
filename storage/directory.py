"""The UPT directory: who receives a report from which place, and its upkeep."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Staff, Upt

LEVELS = ("kabkota", "provinsi", "nasional")
_SPECIFICITY = {"kabkota": 0, "provinsi": 1, "nasional": 2}
STARTER_DIRECTORY = Path(__file__).parent / "data" / "upt-directory.csv"


@dataclass(frozen=True, slots=True)
class Route:
    upt: Upt
    connected: bool  # False: held at the most specific level until someone is connected


def can_receive(upt: Upt, active_staff: int = 0) -> bool:
    """A connected group, or at least one active staff member to message privately."""
    return upt.active and (upt.telegram_chat_id is not None or active_staff > 0)


def _scope(region_code: str | None) -> tuple[str | None, str | None]:
    """(kab/kota code, province code) for any region code."""
    if not region_code:
        return None, None
    parts = region_code.split(".")
    return (".".join(parts[:2]) if len(parts) >= 2 else None), parts[0]


async def route(session: AsyncSession, region_code: str | None) -> Route:
    """The first level that can receive: kab/kota, then province, then national."""
    kabkota, province = _scope(region_code)
    wanted = [c for c in (kabkota, province) if c]
    # Each candidate with its number of active staff, in one read (every report runs this).
    active_staff = (
        select(func.count())
        .where(Staff.upt_id == Upt.id, Staff.status == "active")
        .correlate(Upt)
        .scalar_subquery()
    )
    rows = (
        await session.execute(
            select(Upt, active_staff).where(
                Upt.active,
                or_(Upt.level == "nasional", Upt.region_code.in_(wanted)),
            )
        )
    ).all()
    candidates = sorted(rows, key=lambda row: (_SPECIFICITY[row[0].level], row[0].id))
    if not candidates:
        raise LookupError("the UPT directory has no national entry; run `lapor-ppa db upgrade`")
    for upt, staff in candidates:
        if can_receive(upt, staff):
            return Route(upt, connected=True)
    return Route(candidates[0][0], connected=False)


async def list_upts(session: AsyncSession) -> list[Upt]:
    return list((await session.scalars(select(Upt).order_by(Upt.level, Upt.code))).all())


async def find(session: AsyncSession, code: str) -> Upt | None:
    """A unit by its code, in any case (`uptd-ppa-3578` is `UPTD-PPA-3578`)."""
    return await session.scalar(select(Upt).where(func.upper(Upt.code) == code.strip().upper()))


async def set_active(session: AsyncSession, upt: Upt, active: bool) -> Upt | None:
    """Switch a unit on or off. Switching on is refused (the other unit returned) while
    another active unit receives for the same region and level."""
    if active and not upt.active:
        other = await session.scalar(
            select(Upt).where(
                Upt.active,
                Upt.id != upt.id,
                Upt.level == upt.level,
                Upt.region_code.is_(None)
                if upt.region_code is None
                else Upt.region_code == upt.region_code,
            )
        )
        if other is not None:
            return other
    upt.active = active
    await session.flush()
    return None
