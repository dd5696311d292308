"""`lapor-ppa` console script: run, shell, db upgrade, upt …, staff …, tickets, audit,
webhook set|info|delete, env init."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from bot import cli_cases, cli_export, cli_staff, cli_upt, cli_webhook, logs
from bot.envfile import env_init
from bot.open_db import CommandError, explain, keys_for
from bot.settings import Settings

log = logging.getLogger("lapor_ppa")


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper()}: "
            + err["msg"].removeprefix("Value error, ")
            for err in e.errors()
        )
        raise SystemExit(f"lapor-ppa: configuration error: {problems}") from None
    except UnicodeDecodeError:
        raise SystemExit("lapor-ppa: configuration error: .env is not UTF-8 text") from None


LOG_FILE = Path("lapor-ppa.log")


async def _db_upgrade(settings: Settings) -> None:
    from storage.crypto import Keys
    from storage.db import Database
    from storage.keycheck import KeyMismatch, verify_key
    from storage.migrate import upgrade

    keys = keys_for(settings) if settings.secret_key else None
    # Migrations touch no encrypted column: without a key any will do, and none is recorded.
    db = Database(settings.database_url, keys or Keys.derive("x" * 32))
    try:
        await upgrade(db.engine)
        if keys is not None:
            async with db.unit_of_work() as session:
                await verify_key(session, keys)
    except KeyMismatch as e:
        raise CommandError(str(e)) from None
    except (SQLAlchemyError, OSError) as e:
        raise CommandError(f"cannot upgrade: {explain(e, settings.database_url)}") from None
    finally:
        await db.dispose()
    print("database is up to date")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lapor-ppa", description="Lapor PPA reporting bot")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the bot (Telegram with BOT_TOKEN, else the shell)")
    run.add_argument("--shell", action="store_true", help="force the terminal shell")
    sh = sub.add_parser("shell", help="the terminal shell on the same database")
    sh.add_argument(
        "--staff",
        metavar="UPT-CODE",
        help="also play a koordinator of this UPT (/staf and /pelapor switch chats)",
    )
    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="create or migrate the schema and seed data")
    cli_upt.add_parser(sub)
    cli_staff.add_parser(sub)
    cli_cases.add_parsers(sub)
    cli_export.add_parser(sub)
    cli_webhook.add_parser(sub)
    env = sub.add_parser("env", help="local environment")
    env_sub = env.add_subparsers(dest="env_command", required=True)
    init = env_sub.add_parser("init", help="generate SECRET_KEY into .env if missing")
    init.add_argument("--file", default=".env")
    return p


def _dispatch(args: argparse.Namespace) -> int:
    settings = _settings()
    if args.command == "env":
        env_init(Path(args.file), settings.database_url)
        return 0
    shell_mode = args.command == "shell" or (
        args.command == "run" and (args.shell or not settings.bot_token)
    )
    # In the shell, log lines would interleave with the conversation: they go to a file.
    logs.configure(settings.log_level, settings.log_format, LOG_FILE if shell_mode else None)
    if shell_mode and settings.secret_key is None:
        # Trying the bot locally: give this install its own key, as `make run` does.
        env_init(Path(".env"), settings.database_url)
        settings = _settings()
    if args.command in ("run", "shell"):
        from bot.app import NotReady, run

        shell = True if args.command == "shell" or args.shell else None
        try:
            asyncio.run(run(settings, shell=shell, staff_unit=getattr(args, "staff", None)))
        except NotReady as e:
            print(f"lapor-ppa: {e}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            return 0
        return 0
    if args.command == "db":
        asyncio.run(_db_upgrade(settings))
        return 0
    if args.command == "staff":
        return asyncio.run(cli_staff.staff_command(settings, args))
    if args.command == "audit":
        return asyncio.run(cli_cases.audit_command(settings, args.case))
    if args.command == "tickets":
        return asyncio.run(cli_cases.tickets_command(settings, args))
    if args.command == "export":
        return asyncio.run(cli_export.export_command(settings, args))
    if args.command == "webhook":
        return asyncio.run(cli_webhook.webhook_command(settings, args))
    return asyncio.run(cli_upt.upt_command(settings, args))


def main(argv: Sequence[str] | None = None) -> int:
    """Every failure is one line on stderr and a non-zero status; argparse keeps its own."""
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except CommandError as e:
        print(f"lapor-ppa: {e}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # `lapor-ppa upt list | head`: the reader has what it wanted. Point stdout at
        # /dev/null so the interpreter's own flush at exit does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
