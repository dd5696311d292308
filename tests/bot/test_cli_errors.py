"""Every CLI failure is one readable line and a non-zero status (issue 13, items 1-2)."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from storage import tickets
from storage.crypto import Keys
from storage.db import Database
from storage.migrate import upgrade
from tests.bot.test_process import CLI, cli, env_for
from tests.support import PG_DSN, TEST_SECRET, submission

OTHER_SECRET = "another-key-of-at-least-32-characters-xyz"
MISMATCH = (
    "lapor-ppa: SECRET_KEY does not match this database: restore the key you used, "
    "or point DATABASE_URL at a new database"
)


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


async def _with_ticket(url: str) -> None:
    keys = Keys.derive(TEST_SECRET)
    db = Database(url, keys)
    try:
        await upgrade(db.engine)
        async with db.unit_of_work() as s:
            await tickets.submit(s, submission(), code_hash=keys.code_hash("A"), reporter_ref="r")
    finally:
        await db.dispose()


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A PostgreSQL database of its own (name, URL); dropped afterwards."""
    import asyncio

    name = f"lapor_cli_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(PG_DSN)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    try:
        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    except OSError as e:
        pytest.skip(f"PostgreSQL not reachable: {e}")
    try:
        yield PG_DSN.rsplit("/", 1)[0] + "/" + name
    finally:
        asyncio.run(admin(f'DROP DATABASE "{name}" WITH (FORCE)'))


def test_no_database_file_says_upgrade_first_and_creates_nothing(tmp_path: Path) -> None:
    result = cli(tmp_path, "upt", "list")
    assert result.returncode == 1
    assert one_line(result) == (
        f"lapor-ppa: there is no database at {tmp_path / 'bot.db'}: "
        "run `lapor-ppa db upgrade` first"
    )
    assert not (tmp_path / "bot.db").exists()


def test_a_new_sqlite_database_and_env_are_private(tmp_path: Path) -> None:
    assert cli(tmp_path, "env", "init").returncode == 0
    assert cli(tmp_path, "db", "upgrade").returncode == 0
    assert (tmp_path / "bot.db").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / ".env").stat().st_mode & 0o777 == 0o600


def test_postgresql_failures_name_the_database(tmp_path: Path, pg_database: str) -> None:
    name = pg_database.rsplit("/", 1)[1]
    unmigrated = cli(tmp_path, "staff", "list", DATABASE_URL=pg_database, SECRET_KEY=TEST_SECRET)
    assert unmigrated.returncode == 1
    assert one_line(unmigrated) == (
        f"lapor-ppa: the database {name} at 127.0.0.1:5432 has no schema yet: "
        "run `lapor-ppa db upgrade` first"
    )
    missing = cli(tmp_path, "upt", "list", DATABASE_URL=pg_database + "_nope")
    assert one_line(missing) == (
        f'lapor-ppa: the database "{name}_nope" does not exist on 127.0.0.1: '
        f"create it (createdb {name}_nope) or fix DATABASE_URL"
    )
    assert missing.returncode == 1
    closed = cli(tmp_path, "upt", "pending", DATABASE_URL="postgresql://postgres@127.0.0.1:1/x")
    assert closed.returncode == 1
    assert one_line(closed).startswith("lapor-ppa: cannot reach the database x at 127.0.0.1:1 (")
    nameless = cli(tmp_path, "db", "upgrade", DATABASE_URL="postgresql://postgres@127.0.0.1:5432")
    assert nameless.returncode == 1
    assert one_line(nameless) == (
        "lapor-ppa: configuration error: DATABASE_URL: name the database: "
        "postgresql://user@host:5432/NAME"
    )


def test_a_missing_import_file_is_one_line(tmp_path: Path) -> None:
    assert cli(tmp_path, "db", "upgrade").returncode == 0
    result = cli(tmp_path, "upt", "import", "nowhere.csv")
    assert (result.returncode, one_line(result)) == (1, "lapor-ppa: no file nowhere.csv")


def test_a_closed_pipe_exits_quietly(tmp_path: Path) -> None:
    assert cli(tmp_path, "db", "upgrade").returncode == 0
    with subprocess.Popen(
        [CLI, "upt", "list"],
        cwd=tmp_path,
        env=env_for(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()  # as `| head` does once it has its lines
        assert proc.wait(timeout=60) == 0
        assert proc.stderr.read() == ""


async def test_the_bot_refuses_another_key_on_a_database_with_a_ticket(tmp_path: Path) -> None:
    await _with_ticket(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    assert cli(tmp_path, "db", "upgrade", SECRET_KEY=TEST_SECRET).returncode == 0  # remembered
    result = cli(tmp_path, "run", BOT_TOKEN="123:abc", SECRET_KEY=OTHER_SECRET)
    assert (result.returncode, one_line(result)) == (2, MISMATCH)
    staff = cli(tmp_path, "staff", "list", SECRET_KEY=OTHER_SECRET)
    assert (staff.returncode, one_line(staff)) == (1, MISMATCH)
    assert cli(tmp_path, "staff", "list", SECRET_KEY=TEST_SECRET).returncode == 0


async def test_a_lost_env_never_gets_a_new_key_on_a_database_with_data(
    tmp_path: Path, pg_database: str
) -> None:
    # Written before the key check existed: the ticket itself proves the key.
    await _with_ticket(pg_database.replace("postgresql://", "postgresql+asyncpg://", 1))
    shell = cli(tmp_path, "shell", DATABASE_URL=pg_database)
    assert shell.returncode == 1
    assert one_line(shell) == (
        f"lapor-ppa: the database {pg_database.rsplit('/', 1)[1]} at 127.0.0.1:5432 already "
        "holds data: put the SECRET_KEY it was written with into .env (a new key could not "
        "read it)"
    )
    assert not (tmp_path / ".env").exists()
    other = cli(
        tmp_path, "run", BOT_TOKEN="123:abc", SECRET_KEY=OTHER_SECRET, DATABASE_URL=pg_database
    )
    assert (other.returncode, one_line(other)) == (2, MISMATCH)


def test_odd_values_at_the_console_are_one_line(tmp_path: Path) -> None:
    assert cli(tmp_path, "db", "upgrade").returncode == 0
    huge = cli(tmp_path, "staff", "approve", "99999999999999999999", SECRET_KEY=TEST_SECRET)
    assert (huge.returncode, one_line(huge)) == (
        1,
        "lapor-ppa: no staff member 99999999999999999999 (see `lapor-ppa staff list`)",
    )
    fresh = tmp_path / "fresh"  # no database yet, so a key may be made
    fresh.mkdir()
    nowhere = cli(fresh, "env", "init", "--file", "no/such/folder/.env")
    assert (nowhere.returncode, one_line(nowhere)) == (
        1,
        "lapor-ppa: cannot write no/such/folder/.env: No such file or directory",
    )
    (tmp_path / ".env").write_bytes(b"SECRET_KEY=\xff\xfeabc\n")
    garbled = cli(tmp_path, "tickets")
    assert (garbled.returncode, one_line(garbled)) == (
        1,
        "lapor-ppa: configuration error: .env is not UTF-8 text",
    )


def test_the_shell_without_a_database_says_so_and_creates_nothing(tmp_path: Path) -> None:
    result = cli(tmp_path, "shell", SECRET_KEY=TEST_SECRET)
    assert (result.returncode, one_line(result)) == (
        2,
        f"lapor-ppa: there is no database at {tmp_path / 'bot.db'}: "
        "run `lapor-ppa db upgrade` first",
    )
    assert not (tmp_path / "bot.db").exists()
