"""How the console shows cases and times: tab-separated, one case per line."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from storage.operator_views import CaseRow


def age(since: datetime, now: datetime | None = None) -> str:
    """`45 min`, `5 h 10 min`, `3 d 4 h`: how long a case has waited."""
    now = now or datetime.now(UTC)
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)  # SQLite hands back naive UTC
    minutes = max(0, int((now - since).total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def local(at: datetime, zone: str) -> str:
    """A time in a unit's zone, with its Indonesian name: `2026-12-01 20:15 WIB`."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    here = at.astimezone(ZoneInfo(zone))
    return f"{here:%Y-%m-%d %H:%M} {here.tzname()}"


def case_line(case: CaseRow) -> str:
    return "\t".join(
        (
            case.case_number,
            case.upt_code,
            case.status,
            "URGENT" if case.urgent else "normal",
            age(case.created_at),
            case.holder or "-",
        )
    )


def count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
