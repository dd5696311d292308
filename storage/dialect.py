"""Dialect-specific corners: INSERT … ON CONFLICT (SQLite and PostgreSQL share it), and
statements compiled once for asyncpg's own connection (PostgreSQL's hot paths)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.ext.asyncio import AsyncSession


def insert(session: AsyncSession, table: Any) -> Any:
    if session.bind.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def for_asyncpg(stmt: Any) -> tuple[str, tuple[str, ...]]:
    """The statement as asyncpg's SQL ($1, $2, …) and the names of its parameters, in order:
    built once, it runs with no SQLAlchemy execution layer (cache keys, result processing)."""
    compiled = stmt.compile(dialect=asyncpg_dialect())
    return str(compiled), tuple(compiled.positiontup or ())
