"""Which SECRET_KEY a database belongs to: a wrong or lost key is refused, never used.

With the wrong key every stored report is unreadable and every real ticket code answers "not
found", and nobody would be told. So the database keeps a check value (an HMAC of a fixed
label under a key derived from SECRET_KEY, never the key) from the first time it is opened
with a key, and every later opening compares it. A database that holds data from before this
check proves the key by decrypting one stored value first.
"""

from __future__ import annotations

import hmac

from sqlalchemy import inspect, select, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from storage.crypto import InvalidToken, Keys
from storage.db import sqlite_path
from storage.models import InstanceFact

KEY_CHECK = "key_check"
MISMATCH = (
    "SECRET_KEY does not match this database: restore the key you used, "
    "or point DATABASE_URL at a new database"
)
# One encrypted value of each kind a database holds from its first report on.
_SAMPLES = (
    "SELECT narrative FROM tickets ORDER BY id LIMIT 1",
    "SELECT state FROM drafts LIMIT 1",
    "SELECT payload FROM outbox ORDER BY id LIMIT 1",
)


class KeyMismatch(Exception):
    def __init__(self) -> None:
        super().__init__(MISMATCH)


async def verify_key(session: AsyncSession, keys: Keys) -> None:
    """Refuse a key this database was not written with; remember the key on first use."""
    stored = await session.get(InstanceFact, KEY_CHECK)
    if stored is not None:
        if not hmac.compare_digest(stored.value, keys.check):
            raise KeyMismatch
        return
    for sample in _SAMPLES:
        value = await session.scalar(text(sample))
        if value is None:
            continue
        try:
            keys.decrypt(bytes(value))
        except InvalidToken:
            raise KeyMismatch from None
        break
    session.add(InstanceFact(name=KEY_CHECK, value=keys.check))
    await session.flush()


async def holds_data(url: str) -> bool:
    """Whether the database already holds anything a key protects (or remembers a key).
    Never creates a SQLite file to find out."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return False
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            tables = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
            if "instance_facts" in tables and await connection.scalar(
                select(InstanceFact.name).where(InstanceFact.name == KEY_CHECK)
            ):
                return True
            for table in ("tickets", "drafts", "outbox"):
                if table in tables and await connection.scalar(
                    text(f"SELECT 1 FROM {table} LIMIT 1")  # noqa: S608 (fixed names)
                ):
                    return True
            return False
    finally:
        await engine.dispose()
