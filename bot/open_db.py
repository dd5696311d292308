"""Opening the database for a command, and saying in one line why it could not be opened."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from bot.settings import Settings
from storage.crypto import Keys
from storage.db import Database, sqlite_path
from storage.keycheck import KeyMismatch, verify_key
from storage.migrate import SCHEMA_HEAD, current

UPGRADE_FIRST = "run `lapor-ppa db upgrade` first"


class CommandError(Exception):
    """A failure to tell the operator in one line (exit status 1)."""


def where(url: str) -> str:
    """The database as a person would name it, without a password."""
    parsed = make_url(url)
    path = sqlite_path(url)
    if path is not None:
        return str(path)
    return f"{parsed.database} at {parsed.host or 'localhost'}:{parsed.port or 5432}"


def explain(error: BaseException, url: str) -> str:
    """One line for a database that could not be used: what is wrong and what to do."""
    cause: BaseException = error
    if isinstance(error, DBAPIError) and error.orig is not None:
        cause = error.orig
    text = str(getattr(cause, "args", [""])[0] if getattr(cause, "args", None) else cause)
    name = make_url(url).database
    if "does not exist" in text and "database" in text:
        return (
            f'the database "{name}" does not exist on {make_url(url).host or "localhost"}: '
            f"create it (createdb {name}) or fix DATABASE_URL"
        )
    if "password authentication failed" in text or "role" in text and "does not exist" in text:
        return f"the database {where(url)} refused the login: check the user in DATABASE_URL"
    if isinstance(cause, ConnectionRefusedError | socket.gaierror | TimeoutError) or (
        isinstance(cause, OSError) and not isinstance(cause, PermissionError)
    ):
        return f"cannot reach the database {where(url)} ({type(cause).__name__}): is it running?"
    if "unable to open database file" in text:
        return f"cannot open the SQLite file {where(url)}: does its folder exist?"
    if "no such table" in text or "UndefinedTable" in type(cause).__name__:
        return f"the database {where(url)} has no schema yet: {UPGRADE_FIRST}"
    return f"cannot use the database {where(url)} ({type(cause).__name__})"


def keys_for(settings: Settings) -> Keys:
    if settings.secret_key is None:
        raise CommandError("SECRET_KEY is not set (at least 32 characters; make run generates one)")
    return Keys.derive(settings.secret_key.get_secret_value())


async def check_ready(db: Database, keys: Keys | None) -> None:
    """The schema is at head and, with a key, the key is this database's own."""
    revision = await current(db.engine)
    if revision is None:
        raise CommandError(f"the database {where(db.url)} has no schema yet: {UPGRADE_FIRST}")
    if revision != SCHEMA_HEAD:
        raise CommandError(f"the database {where(db.url)} is not up to date: {UPGRADE_FIRST}")
    if keys is not None:
        async with db.unit_of_work() as session:
            await verify_key(session, keys)


@asynccontextmanager
async def opened(settings: Settings, *, keyed: bool) -> AsyncIterator[Database]:
    """The database for one command, checked; any failure becomes a CommandError.
    Unkeyed commands (the directory, the audit trail) touch no encrypted column."""
    path = sqlite_path(settings.database_url)
    if path is not None and not path.exists():
        raise CommandError(f"there is no database at {path}: {UPGRADE_FIRST}")
    keys = keys_for(settings) if keyed else None
    db = Database(settings.database_url, keys or Keys.derive("x" * 32))
    try:
        try:
            await check_ready(db, keys)
        except KeyMismatch as e:
            raise CommandError(str(e)) from None
        except (SQLAlchemyError, OSError) as e:
            raise CommandError(explain(e, settings.database_url)) from None
        yield db
    except (SQLAlchemyError, ConnectionError) as e:
        if isinstance(e, BrokenPipeError):
            raise
        raise CommandError(explain(e, settings.database_url)) from None
    finally:
        await db.dispose()
