"""`lapor-ppa` console script: run, shell, db upgrade, upt import/list/pending, env init."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
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
    # At DEBUG the SQLite driver logs each call with its arguments (hashed reporter refs, chat
    # keys, ciphertext): never, whatever the level. SQLAlchemy already hides parameters.
    for driver in ("aiosqlite", "asyncpg"):
        logging.getLogger(driver).setLevel(max(logging.INFO, logging.getLogger().level))


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
                    connected = "not connected"
                    if upt.telegram_chat_id:
                        # Without admin rights the bot cannot remove revoked staff.
                        rights = {True: "bot is admin", False: "bot NOT admin", None: "admin ?"}
                        connected = f"connected ({rights[upt.bot_admin]})"
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


async def _bot_username(settings: Settings, given: str | None) -> str:
    if given:
        return given.lstrip("@")
    if settings.bot_token is None:
        raise SystemExit("lapor-ppa: give --bot-username, or set BOT_TOKEN so it can be asked")
    from bot.app import make_client

    api = make_client(settings)
    try:
        me = await api.get_me()
    finally:
        await api.close()
    if not me.ok or not isinstance(me.result, dict):
        # One line for the operator, whatever went wrong.
        raise SystemExit(f"lapor-ppa: cannot ask the Bot API for the bot's name ({me.name})")
    return str(me.result.get("username") or "")


async def _staff(settings: Settings, args: argparse.Namespace) -> int:
    from handlers.casework.announce import Announcer
    from handlers.casework.revoke import revoke_member
    from storage import staff
    from storage.crypto import Keys
    from storage.places import PlaceIndex

    if settings.secret_key is None:
        raise SystemExit("lapor-ppa: SECRET_KEY is not set")
    keys = Keys.derive(settings.secret_key.get_secret_value())
    db = _database(settings)
    try:
        if args.staff_command == "invite":
            username = await _bot_username(settings, args.bot_username)
            async with db.unit_of_work() as session:
                try:
                    token, upt = await staff.create_invite(session, keys, args.upt, args.role)
                except (LookupError, ValueError) as e:
                    print(f"lapor-ppa: {e}", file=sys.stderr)
                    return 1
                staff.audit(session, "operator", f"invite_created:{args.role}", detail=upt.code)
            print(f"Invite for {args.role} of {upt.name} (single use, valid 72 hours):")
            print(f"https://t.me/{username}?start={token}")
            return 0
        async with db.unit_of_work() as session:
            if args.staff_command == "list":
                for member, upt in await staff.list_staff(session):
                    print(
                        f"{member.id}\t{upt.code}\t{member.role}\t{member.status}\t"
                        f"{member.display_name}"
                    )
                return 0
            target = await session.get(staff.Staff, args.id)
            if target is None:
                print(f"lapor-ppa: no staff member {args.id}", file=sys.stderr)
                return 1
            new_status = "active" if args.staff_command == "approve" else "revoked"
            staff.audit(
                session, "operator", f"staff_{args.staff_command}", detail=f"staff:{target.id}"
            )
            if new_status == "revoked":
                announcer = Announcer(keys, PlaceIndex.load())
                done = await revoke_member(session, announcer, target)
                if done.released:
                    print(f"back to unclaimed: {', '.join(done.released)}")
            else:
                await staff.set_status(session, target.id, new_status)
            print(f"staff {target.id} ({target.display_name}) is now {new_status}")
            return 0
    finally:
        await db.dispose()


async def _audit(settings: Settings, case_number: str) -> int:
    from sqlalchemy import select

    from storage import staff
    from storage.models import Ticket, TicketEvent

    db = _database(settings)
    try:
        async with db.unit_of_work() as session:
            ticket = await session.scalar(
                select(Ticket.id).where(Ticket.case_number == case_number)
            )
            if ticket is None:
                print(f"lapor-ppa: no case {case_number}", file=sys.stderr)
                return 1
            events = await session.execute(
                select(
                    TicketEvent.created_at,
                    TicketEvent.kind,
                    TicketEvent.status,
                    TicketEvent.actor,
                    TicketEvent.upt_id,
                )
                .where(TicketEvent.ticket_id == ticket)
                .order_by(TicketEvent.id)
            )
            for at, kind, status, actor, upt_id in events:
                print(
                    f"{at:%Y-%m-%d %H:%M:%S}\tevent\t{actor}\t{kind}\t{status or ''}"
                    f"{f'  upt:{upt_id}' if upt_id else ''}"
                )
            for entry in await staff.audit_for_ticket(session, ticket):
                print(
                    f"{entry.created_at:%Y-%m-%d %H:%M:%S}\taudit\t{entry.actor}\t"
                    f"{entry.action}\t{entry.detail or ''}"
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
    # The key reads every stored report: only its owner may read the file.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.chmod(path, 0o600)
    with os.fdopen(fd, "a") as f:
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
    st = sub.add_parser("staff", help="UPT staff accounts")
    st_sub = st.add_subparsers(dest="staff_command", required=True)
    inv = st_sub.add_parser("invite", help="print a one-time invite link for a UPT")
    inv.add_argument("--upt", required=True, help="UPT code (see `lapor-ppa upt list`)")
    inv.add_argument("--role", default="petugas", choices=["petugas", "koordinator"])
    inv.add_argument("--bot-username", help="the bot's @username (asked from the Bot API if unset)")
    st_sub.add_parser("list", help="list staff accounts")
    for name in ("approve", "revoke"):
        cmd = st_sub.add_parser(name, help=f"{name} a staff account by id")
        cmd.add_argument("id", type=int)
    au = sub.add_parser("audit", help="a case's history and every staff action on it")
    au.add_argument("--case", required=True, help="case number, e.g. PPA-3515-2026-000042")
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
    if args.command == "staff":
        return asyncio.run(_staff(settings, args))
    if args.command == "audit":
        return asyncio.run(_audit(settings, args.case))
    return asyncio.run(_upt(settings, args))


if __name__ == "__main__":
    sys.exit(main())
