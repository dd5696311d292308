"""The UPT directory: who receives a report from which place, and its upkeep."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Region, Staff, Ticket, Upt
from storage.places import timezone_for

LEVELS = ("kabkota", "provinsi", "nasional")
ZONE_ALIASES = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}
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


@dataclass(frozen=True, slots=True)
class ImportResult:
    added: int
    updated: int
    errors: list[str]


async def import_rows(session: AsyncSession, rows: Iterable[dict[str, str]]) -> ImportResult:
    """Add or update directory entries from CSV rows: code,name,level,region_code[,timezone]."""
    added = updated = 0
    errors: list[str] = []
    known_regions = set(await session.scalars(select(Region.code)))
    for line, row in enumerate(rows, start=2):
        code = (row.get("code") or "").strip()
        name = (row.get("name") or "").strip()
        level = (row.get("level") or "").strip()
        region = (row.get("region_code") or "").strip() or None
        if not code or not name or level not in LEVELS:
            errors.append(f"line {line}: needs code, name and level ({'/'.join(LEVELS)})")
            continue
        if level != "nasional" and region not in known_regions:
            errors.append(f"line {line}: unknown region_code {region!r}")
            continue
        expected_parts = {"kabkota": 2, "provinsi": 1}.get(level)
        if expected_parts and region and len(region.split(".")) != expected_parts:
            errors.append(f"line {line}: region_code {region} is not a {level} code")
            continue
        tz = (row.get("timezone") or "").strip()
        default_tz = timezone_for(region) if region else "Asia/Jakarta"
        tz = ZONE_ALIASES.get(tz.upper(), tz) or default_tz
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            errors.append(f"line {line}: unknown timezone {tz!r} (WIB, WITA, WIT or IANA)")
            continue
        upt = await session.scalar(select(Upt).where(Upt.code == code))
        if upt is None:
            session.add(Upt(code=code, name=name, level=level, region_code=region, timezone=tz))
            added += 1
        else:
            upt.name, upt.level, upt.region_code, upt.timezone = name, level, region, tz
            updated += 1
    await session.flush()
    return ImportResult(added, updated, errors)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


@dataclass(frozen=True, slots=True)
class Pending:
    upt_code: str
    upt_name: str
    tickets: int
    case_numbers: list[str]


async def pending(session: AsyncSession) -> list[Pending]:
    """Tickets held at a UPT nobody is connected to yet: the operator must act."""
    rows = (
        await session.execute(
            select(Upt, func.count(Ticket.id))
            .join(Ticket, Ticket.upt_id == Upt.id)
            .where(Ticket.status == "baru", Upt.telegram_chat_id.is_(None))
            .group_by(Upt.id)
            .order_by(func.count(Ticket.id).desc())
        )
    ).all()
    out = []
    for upt, count in rows:
        numbers = await session.scalars(
            select(Ticket.case_number)
            .where(Ticket.upt_id == upt.id, Ticket.status == "baru")
            .order_by(Ticket.id)
            .limit(20)
        )
        out.append(Pending(upt.code, upt.name, count, list(numbers)))
    return out


async def list_upts(session: AsyncSession) -> list[Upt]:
    return list((await session.scalars(select(Upt).order_by(Upt.level, Upt.code))).all())
