"""Dialect-specific corners: INSERT … ON CONFLICT (SQLite and PostgreSQL share it), and
statements compiled once for asyncpg's own connection (PostgreSQL's hot paths)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncSession


def insert(session: AsyncSession, table: Any) -> Any:
    if session.bind.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


@dataclass(frozen=True, slots=True)
class Prebuilt:
    """A statement compiled once for asyncpg: its SQL ($1, $2, …), then per call only the
    arguments in order. No SQLAlchemy execution layer (cache keys, result processing) runs."""

    sql: str
    names: tuple[str, ...]
    fixed: dict[str, Any]  # values the statement itself carries ('question', say)

    def args(self, **params: Any) -> list[Any]:
        return [params[n] if n in params else self.fixed[n] for n in self.names]


def for_asyncpg(stmt: Any) -> Prebuilt:
    compiled = stmt.compile(dialect=asyncpg_dialect())
    # Only values the statement carries itself: a parameter left out must still fail loudly.
    # They go to asyncpg as they are (no SQLAlchemy type processing): plain values only.
    fixed = {k: v for k, v in compiled.params.items() if not compiled.binds[k].required}
    return Prebuilt(str(compiled), tuple(compiled.positiontup or ()), fixed)
