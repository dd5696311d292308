"""`lapor-ppa` console script: run, shell, db upgrade, upt import/list/pending, env init."""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from bot.settings import Settings

log = logging.getLogger("lapor_ppa")


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in e.errors()
        )
        raise SystemExit(f"lapor-ppa: configuration error: {problems}") from None


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # aiogram logs every update id at INFO; ids are not for logs.
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)


def _database(settings: Settings):  # type: ignore[no-untyped-def]
    from storage.crypto import Keys
    from storage.db import Database

    # Schema and directory work touches no encrypted column, so any key will do here.
    secret = settings.secret_key.get_secret_value() if settings.secret_key else "x" * 32
    return Database(settings.database_url, Keys.derive(secret))


async def _db_upgrade(settings: Settings) -> None:
    from storage.migrate import upgrade

    db = _database(settings)
    try:
        await upgrade(db.engine)
    finally:
        await db.dispose()
    print("database is up to date")


async def _upt(settings: Settings, args: argparse.Namespace) -> int:
    from storage import directory

    db = _database(settings)
    try:
        async with db.unit_of_work() as session:
            if args.upt_command == "import":
                result = await directory.import_rows(session, directory.read_csv(Path(args.file)))
                for error in result.errors:
                    print(error, file=sys.stderr)
                print(
                    f"{result.added} added, {result.updated} updated, {len(result.errors)} errors"
                )
                return 1 if result.errors else 0
            if args.upt_command == "list":
                for upt in await directory.list_upts(session):
                    connected = "connected" if upt.telegram_chat_id else "not connected"
                    print(
                        f"{upt.code}\t{upt.level}\t{upt.region_code or '-'}\t{upt.timezone}\t"
                        f"{connected}\t{upt.name}"
                    )
                return 0
            pending = await directory.pending(session)
            if not pending:
                print("no tickets are waiting for an unconnected UPT")
            for p in pending:
                print(
                    f"{p.upt_code}\t{p.tickets} waiting\t{p.upt_name}\t{' '.join(p.case_numbers)}"
                )
            return 0
    finally:
        await db.dispose()


def _env_init(path: Path) -> None:
    """Give a local install its own SECRET_KEY, once; never overwrite an existing one."""
    text = path.read_text() if path.exists() else ""
    if any(
        line.startswith("SECRET_KEY=") and line.strip() != "SECRET_KEY="
        for line in text.splitlines()
    ):
        return
    key = secrets.token_urlsafe(48)
    with path.open("a") as f:
        if text and not text.endswith("\n"):
            f.write("\n")
        f.write(f"SECRET_KEY={key}\n")
    print(
        f"lapor-ppa: generated a new SECRET_KEY into {path}. Keep it: without it the stored "
        "reports cannot be read."
    )


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lapor-ppa", description="Lapor PPA reporting bot")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the bot (Telegram with BOT_TOKEN, else the shell)")
    run.add_argument("--shell", action="store_true", help="force the terminal shell")
    sub.add_parser("shell", help="the terminal shell on the same database")
    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="create or migrate the schema and seed data")
    upt = sub.add_parser("upt", help="the UPT directory")
    upt_sub = upt.add_subparsers(dest="upt_command", required=True)
    imp = upt_sub.add_parser("import", help="add/update entries from a CSV file")
    imp.add_argument("file", help="CSV with columns code,name,level,region_code[,timezone]")
    upt_sub.add_parser("list", help="list directory entries")
    upt_sub.add_parser("pending", help="tickets waiting at a UPT nobody is connected to")
    env = sub.add_parser("env", help="local environment")
    env_sub = env.add_subparsers(dest="env_command", required=True)
    init = env_sub.add_parser("init", help="generate SECRET_KEY into .env if missing")
    init.add_argument("--file", default=".env")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "env":
        _env_init(Path(args.file))
        return 0
    settings = _settings()
    _configure_logging(settings.log_level)
    shell_mode = args.command == "shell" or (
        args.command == "run" and (args.shell or not settings.bot_token)
    )
    if shell_mode and settings.secret_key is None:
        # Trying the bot locally: give this install its own key, as `make run` does.
        _env_init(Path(".env"))
        settings = _settings()
    if args.command in ("run", "shell"):
        from bot.app import NotReady, run

        shell = True if args.command == "shell" or args.shell else None
        try:
            asyncio.run(run(settings, shell=shell))
        except NotReady as e:
            print(f"lapor-ppa: {e}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            return 0
        return 0
    if args.command == "db":
        try:
            asyncio.run(_db_upgrade(settings))
        except SQLAlchemyError as e:
            print(f"lapor-ppa: cannot upgrade the database ({type(e).__name__})", file=sys.stderr)
            return 2
        return 0
    return asyncio.run(_upt(settings, args))


if __name__ == "__main__":
    sys.exit(main())
