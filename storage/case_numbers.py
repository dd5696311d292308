"""Case numbers: PPA-<kab/kota>-<year>-<sequence>, one sequence per kab/kota (or province, or
"0000" when the place is unknown) and year, taken inside the report's own transaction.

On PostgreSQL each scope has a SEQUENCE of its own: `nextval` takes no row lock and is not
rolled back, so reports from one kab/kota never queue behind each other's transactions and
the report still commits once (a rolled-back report leaves a gap, nothing worse). A scope's
sequence is created the first time it is needed, starting after whatever `case_counters`
already handed out. SQLite has one writer at a time anyway: there the counter row is bumped
in the report's transaction.
"""

from __future__ import annotations

import contextlib

import asyncpg
from sqlalchemy import bindparam, literal_column, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import CaseCounter

_COUNTERS = CaseCounter.__table__
_BUMP = (
    sqlite.insert(_COUNTERS)
    .values(scope=bindparam("scope"), last=literal_column("1"))
    .on_conflict_do_update(
        index_elements=["scope"], set_={"last": _COUNTERS.c.last + literal_column("1")}
    )
    .returning(_COUNTERS.c.last)
)
_LAST = select(_COUNTERS.c.last).where(_COUNTERS.c.scope == bindparam("scope"))


def case_prefix(region_code: str | None) -> str:
    """ "3515" for a kab/kota, province + "00" for a province, "0000" when unknown."""
    if not region_code:
        return "0000"
    parts = region_code.split(".")
    return parts[0] + parts[1] if len(parts) >= 2 else parts[0] + "00"


async def next_case_number(
    session: AsyncSession, prefix: str, year: int, db: Database | None = None
) -> str:
    scope = f"{prefix}-{year}"
    if session.bind.dialect.name == "postgresql":
        name = await _sequence(session, prefix, year, db)
        seq = await session.scalar(text(f"SELECT nextval('{name}')"))
    else:
        seq = (await session.execute(_BUMP, {"scope": scope})).scalar_one()
    return f"PPA-{prefix}-{year}-{seq:06d}"


async def _sequence(session: AsyncSession, prefix: str, year: int, db: Database | None) -> str:
    if not (prefix.isdigit() and len(prefix) == 4 and 1900 < year < 10_000):
        raise ValueError(f"not a case-number scope: {prefix}-{year}")
    name = f"case_seq_{prefix}_{year}"  # digits only: safe to place in SQL
    if db is not None and name in db.known_sequences:
        return name
    if await session.scalar(text("SELECT to_regclass(:name)"), {"name": name}) is None:
        last = await session.scalar(_LAST, {"scope": f"{prefix}-{year}"}) or 0
        create = f"CREATE SEQUENCE IF NOT EXISTS {name} START WITH {int(last) + 1}"
        if db is None:
            await session.execute(text(create))  # commits with the caller's transaction
        else:
            # Committed at once, outside the report: once per scope and year.
            async with db.single_statements() as conn:
                # Another process may have created it a moment earlier.
                with contextlib.suppress(asyncpg.UniqueViolationError, asyncpg.DuplicateTableError):
                    await conn.execute(create)
    if db is not None:
        db.known_sequences.add(name)
    return name
