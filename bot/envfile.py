"""`.env` for a local install: its own SECRET_KEY, generated once, readable by its owner only."""

from __future__ import annotations

import asyncio
import os
import secrets
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from bot.open_db import CommandError, explain, where
from storage.keycheck import holds_data


def has_key(path: Path) -> bool:
    text = path.read_text() if path.exists() else ""
    return any(
        line.startswith("SECRET_KEY=") and line.strip() != "SECRET_KEY="
        for line in text.splitlines()
    )


def append_setting(path: Path, name: str, value: str) -> None:
    """Add NAME=value to the file, creating it readable by its owner only (it holds keys)."""
    text = path.read_text() if path.exists() else ""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.chmod(path, 0o600)
    with os.fdopen(fd, "a") as f:
        if text and not text.endswith("\n"):
            f.write("\n")
        f.write(f"{name}={value}\n")


def env_init(path: Path, database_url: str) -> None:
    """Give a local install its own SECRET_KEY, once; never overwrite an existing one, and
    never make one for a database that already holds data written with another."""
    try:
        if has_key(path):
            return
    except (OSError, UnicodeError) as e:
        raise CommandError(f"cannot read {path}: {_reason(e)}") from None
    try:
        filled = asyncio.run(holds_data(database_url))
    except (SQLAlchemyError, OSError) as e:
        raise CommandError(f"before making a SECRET_KEY: {explain(e, database_url)}") from None
    if filled:
        raise CommandError(
            f"the database {where(database_url)} already holds data: put the SECRET_KEY it was "
            f"written with into {path} (a new key could not read it)"
        )
    try:
        append_setting(path, "SECRET_KEY", secrets.token_urlsafe(48))
    except OSError as e:
        raise CommandError(f"cannot write {path}: {_reason(e)}") from None
    print(
        f"lapor-ppa: generated a new SECRET_KEY into {path}. Keep it: without it the stored "
        "reports cannot be read."
    )


def _reason(e: Exception) -> str:
    if isinstance(e, UnicodeError):
        return "it is not UTF-8 text"
    return getattr(e, "strerror", None) or type(e).__name__
