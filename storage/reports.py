"""The cases a unit may count and export, with everything a month's figures and a SIMFONI
recorder need: never who reported, and the story only when asked for (it is decrypted then).

Who sees what: a kab/kota unit the tickets it holds now (routed, escalated to it, re-routed to
it); a provincial unit those too, and every ticket whose place is in its province; the
national channel (or the operator without --upt) every ticket.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from flows.casework.chain import CLOSED
from storage.models import (
    AuditEntry,
    CaseRecord,
    CaseService,
    EvidenceMark,
    Region,
    Ticket,
    TicketEvent,
    TicketOwner,
    Upt,
)
from storage.records import as_dict

NATIONAL_ZONE = "Asia/Jakarta"


@dataclass(slots=True)
class Case:
    id: int
    case_number: str
    created_at: datetime  # aware, UTC
    occurred: str
    region_code: str | None
    district_code: str | None
    category: str
    urgent: bool
    reporter_role: str
    status: str
    upt_code: str
    reachable: bool
    record: dict[str, Any]
    statuses: list[tuple[str, datetime]] = field(default_factory=list)  # in order
    claimed_at: datetime | None = None
    narrative: str | None = None

    @property
    def kabkota(self) -> str:
        """The kab/kota's code ("35.15"); "" when only the province (or nothing) is known."""
        parts = (self.region_code or "").split(".")
        return ".".join(parts[:2]) if len(parts) >= 2 else ""


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose cases: a unit (its code, name, level, time zone), or everyone's."""

    upt_id: int | None
    code: str
    name: str
    level: str  # kabkota | provinsi | nasional
    region_code: str | None
    timezone: str

    @staticmethod
    def of(upt: Upt | None) -> Scope:
        if upt is None:
            return Scope(None, "", "", "nasional", None, NATIONAL_ZONE)
        return Scope(upt.id, upt.code, upt.name, upt.level, upt.region_code, upt.timezone)


def month_bounds(month: str, zone: str) -> tuple[datetime, datetime]:
    """ "2026-11" in the unit's time zone, as UTC instants [start, end)."""
    year, mon = (int(part) for part in month.split("-"))
    tz = ZoneInfo(zone)
    start = datetime(year, mon, 1, tzinfo=tz)
    end = datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def in_scope(scope: Scope) -> ColumnElement[bool]:
    if scope.upt_id is None or scope.level == "nasional":
        return true()
    held = Ticket.id.in_(select(TicketOwner.ticket_id).where(TicketOwner.upt_id == scope.upt_id))
    if scope.level == "provinsi" and scope.region_code:
        province = scope.region_code
        return or_(held, Ticket.region_code == province, Ticket.region_code.like(f"{province}.%"))
    return held


def aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)  # SQLite keeps no zone


async def cases(
    session: AsyncSession,
    scope: Scope,
    start: datetime,
    end: datetime,
    *,
    narrative: bool = False,
    extra: ColumnElement[bool] | None = None,
) -> list[Case]:
    """The scope's tickets submitted in [start, end), oldest first, with their records,
    status history and first claim."""
    columns = [
        Ticket.id,
        Ticket.case_number,
        Ticket.created_at,
        Ticket.occurred,
        Ticket.region_code,
        Ticket.district_code,
        Ticket.category,
        Ticket.urgent,
        Ticket.reporter_role,
        Ticket.status,
        Upt.code,
        Ticket.reporter_chat_id.is_not(None),
    ]
    where = [in_scope(scope), Ticket.created_at >= start, Ticket.created_at < end]
    if extra is not None:
        where.append(extra)
    query = (
        select(*columns, *([Ticket.narrative] if narrative else []))
        .join(Upt, Upt.id == Ticket.upt_id)
        .where(*where)
        .order_by(Ticket.created_at, Ticket.id)
    )
    found: list[Case] = []
    for row in (await session.execute(query)).all():
        tid, number, created, occurred, region, district, category, urgent, role = row[:9]
        status, upt_code, reachable = row[9:12]
        found.append(
            Case(
                id=tid,
                case_number=number,
                created_at=aware(created),
                occurred=occurred,
                region_code=region,
                district_code=district,
                category=category,
                urgent=bool(urgent),
                reporter_role=role,
                status=status,
                upt_code=upt_code,
                reachable=bool(reachable),
                record={},
                narrative=row[12] if narrative else None,
            )
        )
    await _fill(session, found, select(Ticket.id).where(*where))
    return found


async def _fill(session: AsyncSession, found: list[Case], ids: Any) -> None:
    """Records, services, status changes and first claims of the chosen tickets: one query
    each, the choice repeated as a subquery (however many tickets a month has)."""
    if not found:
        return
    by_id = {c.id: c for c in found}
    records = await session.scalars(select(CaseRecord).where(CaseRecord.ticket_id.in_(ids)))
    rows = {r.ticket_id: r for r in records}
    services: dict[int, dict[str, str]] = defaultdict(dict)
    for tid, code, day in await session.execute(
        select(CaseService.ticket_id, CaseService.service, CaseService.given_on).where(
            CaseService.ticket_id.in_(ids)
        )
    ):
        services[tid][code] = day.isoformat() if isinstance(day, date) else str(day)
    for tid, case in by_id.items():
        case.record = as_dict(rows.get(tid), services.get(tid, {}))
    events = await session.execute(
        select(TicketEvent.ticket_id, TicketEvent.status, TicketEvent.created_at)
        .where(TicketEvent.ticket_id.in_(ids), TicketEvent.kind == "status")
        .order_by(TicketEvent.created_at, TicketEvent.id)
    )
    for tid, status, at in events:
        by_id[tid].statuses.append((str(status), aware(at)))
    claims = await session.execute(
        select(AuditEntry.ticket_id, func.min(AuditEntry.created_at))
        .where(AuditEntry.ticket_id.in_(ids), AuditEntry.action == "claim")
        .group_by(AuditEntry.ticket_id)
    )
    for tid, at in claims:
        by_id[tid].claimed_at = aware(at)


async def region_names(session: AsyncSession, codes: set[str]) -> dict[str, str]:
    """Names of the given region codes and of their provinces and kab/kota."""
    wanted: set[str] = set()
    for code in codes:
        parts = code.split(".")
        wanted.update(".".join(parts[: n + 1]) for n in range(len(parts)))
    if not wanted:
        return {}
    found = await session.execute(select(Region.code, Region.name).where(Region.code.in_(wanted)))
    return {code: name for code, name in found}


async def past_sla(session: AsyncSession, scope: Scope) -> int:
    """Open tickets nobody took before their first deadline (the SLA worker escalated them)."""
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Ticket)
            .where(
                in_scope(scope),
                Ticket.status.not_in(CLOSED),
                Ticket.claimed_by_id.is_(None),
                Ticket.escalation_level >= 1,
            )
        )
        or 0
    )


async def services_given(
    session: AsyncSession, scope: Scope, first: date, after: date
) -> dict[str, int]:
    """Services given on days in [first, after), whenever their tickets came in."""
    found = await session.execute(
        select(CaseService.service, func.count())
        .join(Ticket, Ticket.id == CaseService.ticket_id)
        .where(in_scope(scope), CaseService.given_on >= first, CaseService.given_on < after)
        .group_by(CaseService.service)
    )
    return {str(code): int(n) for code, n in found}


@dataclass(frozen=True, slots=True)
class Reported:
    """An identifier several of the month's tickets named."""

    mark: str
    kind: str
    platform: str | None
    tickets: int
    held: int | None  # one of them the viewer's unit holds (it may see the identifier)


async def most_reported(
    session: AsyncSession, scope: Scope, start: datetime, end: datetime, viewer: int | None
) -> tuple[list[Reported], dict[str, int]]:
    """The month's identifiers named by two or more tickets (at most five, most first), and
    how many tickets named something per platform (`where_named`)."""
    month = [in_scope(scope), Ticket.created_at >= start, Ticket.created_at < end]
    tickets = func.count(func.distinct(EvidenceMark.ticket_id))
    top = await session.execute(
        select(EvidenceMark.mark, EvidenceMark.kind, EvidenceMark.platform, tickets)
        .join(Ticket, Ticket.id == EvidenceMark.ticket_id)
        .where(*month)
        .group_by(EvidenceMark.mark, EvidenceMark.kind, EvidenceMark.platform)
        .having(tickets >= 2)
        .order_by(tickets.desc(), EvidenceMark.mark)
        .limit(5)
    )
    found = []
    for mark, kind, platform, n in top:
        held = None
        if viewer is not None:
            held = await session.scalar(
                select(EvidenceMark.ticket_id)
                .join(Ticket, Ticket.id == EvidenceMark.ticket_id)
                .join(TicketOwner, TicketOwner.ticket_id == Ticket.id)
                .where(EvidenceMark.mark == mark, TicketOwner.upt_id == viewer, *month)
                .limit(1)
            )
        found.append(Reported(mark, kind, platform, int(n), held))
    per_platform = await session.execute(
        select(EvidenceMark.platform, EvidenceMark.kind, tickets)
        .join(Ticket, Ticket.id == EvidenceMark.ticket_id)
        .where(*month)
        .group_by(EvidenceMark.platform, EvidenceMark.kind)
    )
    counted: dict[str, int] = {}
    for platform, kind, n in per_platform:
        where = where_named(platform, kind)
        counted[where] = counted.get(where, 0) + int(n)
    return found, counted


def where_named(platform: str | None, kind: str) -> str:
    """A platform a link points to, else what kind of identifier it is ("kind:username")."""
    return platform if platform else f"kind:{kind}"
