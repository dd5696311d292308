"""Case records (what a unit recorded in SIMFONI's terms) as the flow's JSON-safe dict, and
the one change a press or a typed value makes to it.

A change is applied to the row as it is now, under a row lock: two staff recording at the
same moment (one a service, one the victim's age) both keep what they recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from flows.casework import record as vocabulary
from storage import dialect
from storage.models import CaseRecord, CaseService, utcnow

SCALARS = ("sex", "age_band", "age", "education", "disability", "victims")


async def load(session: AsyncSession, ticket_id: int) -> dict[str, Any]:
    row = await session.get(CaseRecord, ticket_id)
    services = await session.execute(
        select(CaseService.service, CaseService.given_on).where(CaseService.ticket_id == ticket_id)
    )
    return as_dict(row, {s: d.isoformat() for s, d in services})


def as_dict(row: CaseRecord | None, services: Mapping[str, str]) -> dict[str, Any]:
    out = vocabulary.empty()
    out["services"] = dict(services)
    if row is not None:
        out["violence"] = None if row.violence is None else list(row.violence)
        out["referrals"] = list(row.referrals or [])
        for field in SCALARS:
            out[field] = getattr(row, field)
    return out


async def change(
    session: AsyncSession, ticket_id: int, what: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(before, after). `what`: {op: set, values} | {op: service, code, date | None} |
    {op: toggle, field, code, base}."""
    if what["op"] == "service":
        before = await load(session, ticket_id)
        await _service(session, ticket_id, what["code"], what["date"])
        await session.flush()
        return before, await load(session, ticket_id)
    row = await _locked_row(session, ticket_id)
    before = await load(session, ticket_id)
    if what["op"] == "set":
        for field, value in what["values"].items():
            if field not in SCALARS:
                raise ValueError(f"not a record field: {field!r}")
            setattr(row, field, value)
    elif what["op"] == "toggle" and what["field"] in ("violence", "referrals"):
        current = getattr(row, what["field"])
        codes = list(what["base"] if current is None else current)
        code = what["code"]
        codes = [c for c in codes if c != code] if code in codes else [*codes, code]
        setattr(row, what["field"], codes)
    else:
        raise ValueError(f"not a record change: {what!r}")
    await session.flush()
    return before, await load(session, ticket_id)


async def _locked_row(session: AsyncSession, ticket_id: int) -> CaseRecord:
    """The ticket's record row, made if missing, locked until the commit (PostgreSQL; SQLite
    writes one at a time anyway)."""
    made = dialect.insert(session, CaseRecord).values(
        ticket_id=ticket_id, referrals=[], updated_at=utcnow()
    )
    await session.execute(made.on_conflict_do_nothing(index_elements=["ticket_id"]))
    stmt = select(CaseRecord).where(CaseRecord.ticket_id == ticket_id).with_for_update()
    row = (await session.scalars(stmt.execution_options(populate_existing=True))).one()
    return row


async def _service(session: AsyncSession, ticket_id: int, code: str, day: str | None) -> None:
    if day is None:
        await session.execute(
            delete(CaseService).where(
                CaseService.ticket_id == ticket_id, CaseService.service == code
            )
        )
        return
    given = date.fromisoformat(day)
    stmt = dialect.insert(session, CaseService).values(
        ticket_id=ticket_id, service=code, given_on=given
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["ticket_id", "service"], set_={"given_on": given}
        )
    )
