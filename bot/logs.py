"""Logging as the operator asked for it: readable lines, or one JSON object per line
(LOG_FORMAT=json) for a log collector. Nothing logged carries what someone wrote, a code, a
name or a Telegram id: the code logs kinds, outcomes, counts and case numbers only, and the
JSON lines carry only the fields listed here."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

# Structured fields the code may attach (logging's `extra`); anything else is left out.
FIELDS = ("update_kind", "outcome", "step", "ms")


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info and record.exc_info[0] is not None:
            line["error"] = record.exc_info[0].__name__  # the type only: tracebacks quote data
        return json.dumps(line, ensure_ascii=False)


def configure(level: str, log_format: str = "text", file: Path | None = None) -> None:
    handler: logging.Handler = logging.FileHandler(file) if file else logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonLines())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    if not root.handlers:  # as logging.basicConfig: whoever set handlers up first keeps them
        root.addHandler(handler)
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    # aiogram logs every update id at INFO; ids are not for logs.
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    # PTB and httpx log each request at INFO, with the token in the URL.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Alembic announces each of its plugins at INFO on every upgrade: noise for an operator.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    # At DEBUG the SQLite driver logs each call with its arguments (hashed reporter refs, chat
    # keys, ciphertext): never, whatever the level. SQLAlchemy already hides parameters.
    for driver in ("aiosqlite", "asyncpg"):
        logging.getLogger(driver).setLevel(max(logging.INFO, root.level))
