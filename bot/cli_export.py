"""`lapor-ppa export`: a month's cases for the SIMFONI-PPA recorder (one row per ticket), or
the month's totals. Per-ticket files stay in the unit; only totals may be `--public`."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bot.open_db import CommandError, opened
from bot.settings import Settings

OPERATOR = "operator"


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    ex = sub.add_parser(
        "export", help="a month's cases for SIMFONI-PPA (one row per ticket), or its totals"
    )
    ex.add_argument("--month", required=True, help="YYYY-MM, in the unit's time zone")
    ex.add_argument("--upt", help="only what this UPT may see (its code); default: every unit")
    ex.add_argument("--format", choices=("csv", "xlsx"), default="xlsx", help="default: xlsx")
    ex.add_argument(
        "--with-narrative",
        action="store_true",
        help="add what reporters wrote (decrypted: keep the file as safe as the database)",
    )
    ex.add_argument("--totals", action="store_true", help="only the month's totals")
    ex.add_argument(
        "--public",
        action="store_true",
        help="totals fit to publish: a count of 1 or 2 is shown as <3 (with --totals)",
    )
    ex.add_argument("--out", help="the file to write (default: its name, here; - for stdout)")


async def export_command(settings: Settings, args: argparse.Namespace) -> int:
    from handlers.i18n import Catalogs
    from handlers.render import Renderer
    from handlers.reports.export import build, valid_month
    from storage import directory
    from storage.reports import Scope

    if not valid_month(args.month):
        raise CommandError(f"--month {args.month!r} is not a month: write it as 2026-11")
    # Begun somewhere in Indonesia (WIT is the first): a later month is a typo, not empty.
    this_month = datetime.now(timezone(timedelta(hours=9))).strftime("%Y-%m")
    if args.month > this_month:
        raise CommandError(f"--month {args.month} has not begun yet (this month is {this_month})")
    if args.public and not args.totals:
        raise CommandError(
            "--public is for totals only (add --totals): a per-ticket export never leaves the unit"
        )
    if args.with_narrative and args.totals:
        raise CommandError("--with-narrative adds a column to the cases; totals have none")
    renderer = Renderer(Catalogs(settings.default_locale))
    async with opened(settings, keyed=args.with_narrative) as db, db.unit_of_work() as session:
        upt = None
        if args.upt:
            upt = await directory.find(session, args.upt)
            if upt is None:
                raise CommandError(f"unknown UPT {args.upt} (see `lapor-ppa upt list`)")
        made = await build(
            session,
            renderer,
            settings.default_locale,
            Scope.of(upt),
            args.month,
            args.format,
            actor=OPERATOR,
            narrative=args.with_narrative,
            totals_only=args.totals,
            public=args.public,
        )
        if args.out == "-":
            sys.stdout.buffer.write(made.content)
            sys.stdout.buffer.flush()
            return 0
        path = Path(args.out or made.name)
        # Cases say where a child lives, how old they are: only public totals are for others.
        _write(path, made.content, private=not args.public)
    what = "totals" if args.totals else f"{made.tickets} ticket{'s' * (made.tickets != 1)}"
    print(f"wrote {path} ({what}, {args.format})")
    return 0


def _write(path: Path, content: bytes, *, private: bool) -> None:
    try:
        # A file about cases (or what reporters wrote) is readable by its owner only.
        mode = 0o600 if private else 0o644
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        if private:
            os.fchmod(fd, mode)  # a file that was already there keeps its mode otherwise
        with os.fdopen(fd, "wb") as out:
            out.write(content)
    except OSError as e:
        raise CommandError(f"cannot write {path}: {e.strerror or type(e).__name__}") from None
