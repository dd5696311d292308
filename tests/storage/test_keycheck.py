"""A database remembers which SECRET_KEY it was written with (issue 13, item 1)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete

from storage import tickets
from storage.crypto import Keys
from storage.db import Database
from storage.keycheck import KeyMismatch, holds_data, verify_key
from storage.models import InstanceFact
from tests.support import submission

OTHER = Keys.derive("another-key-of-at-least-32-characters-xyz")


async def _ticket(db: Database, keys: Keys) -> None:
    async with db.unit_of_work() as s:
        await tickets.submit(s, submission(), code_hash=keys.code_hash("A"), reporter_ref="r")


async def test_the_first_key_is_remembered_and_another_refused(
    database: Database, keys: Keys
) -> None:
    async with database.unit_of_work() as s:
        await verify_key(s, keys)
    async with database.unit_of_work() as s:
        await verify_key(s, keys)  # the same key again: fine
        stored = await s.get(InstanceFact, "key_check")
    assert stored is not None and stored.value == keys.check
    assert "SECRET" not in stored.value and len(stored.value) == 64  # a check value, not a key
    with pytest.raises(KeyMismatch, match="SECRET_KEY does not match this database"):
        async with database.unit_of_work() as s:
            await verify_key(s, OTHER)


async def test_data_from_before_the_check_proves_the_key(database: Database, keys: Keys) -> None:
    await _ticket(database, keys)
    async with database.unit_of_work() as s:
        await s.execute(delete(InstanceFact))  # as a database upgraded from 0007 is
    with pytest.raises(KeyMismatch):
        async with database.unit_of_work() as s:
            await verify_key(s, OTHER)
    async with database.unit_of_work() as s:
        assert await s.get(InstanceFact, "key_check") is None  # the wrong key left no mark
        await verify_key(s, keys)
    async with database.unit_of_work() as s:
        assert (await s.get(InstanceFact, "key_check")) is not None


async def test_holds_data_sees_tickets_and_a_remembered_key(
    sqlite_db: Database, keys: Keys
) -> None:
    # PostgreSQL: tests/bot/test_cli_errors.py, on a database of its own.
    url = sqlite_db.engine.url.render_as_string(hide_password=False)
    assert await holds_data(url) is False
    async with sqlite_db.unit_of_work() as s:
        await verify_key(s, keys)
    assert await holds_data(url) is True
    async with sqlite_db.unit_of_work() as s:
        await s.execute(delete(InstanceFact))
    await _ticket(sqlite_db, keys)
    assert await holds_data(url) is True


async def test_holds_data_never_creates_a_sqlite_file(tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    assert await holds_data(f"sqlite+aiosqlite:///{missing}") is False
    assert not missing.exists()


async def test_a_new_sqlite_file_is_private(tmp_path: Path, keys: Keys) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'new.db'}", keys)
    async with db.unit_of_work() as s:
        await s.run_sync(lambda _s: None)
    await db.dispose()
    assert (tmp_path / "new.db").stat().st_mode & 0o777 == 0o600
