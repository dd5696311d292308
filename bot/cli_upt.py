"""`lapor-ppa upt …`: the UPT directory (import, list, pending, activate, deactivate)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli_views import case_line, count
from bot.open_db import CommandError, opened
from bot.settings import Settings
from storage.directory_import import COLUMNS, EXAMPLE, REQUIRED

IMPORT_HELP = f"""\
The file is CSV (UTF-8) with a header row:

  {",".join(REQUIRED)}[,timezone]
  {EXAMPLE}

level is kabkota, provinsi or nasional; region_code is the kab/kota (35.78 or 3578) or the
province (35) it serves, empty for nasional; timezone is WIB, WITA, WIT or an IANA name
(default: the region's). One region has one receiving UPT at each level. A file with any
error changes nothing; every bad line is listed.
"""


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    upt = sub.add_parser("upt", help="the UPT directory")
    upt_sub = upt.add_subparsers(dest="upt_command", required=True)
    imp = upt_sub.add_parser(
        "import",
        help="add/update entries from a CSV file (all or nothing)",
        description=IMPORT_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    imp.add_argument("file", help=f"CSV with the header {','.join(COLUMNS)}")
    upt_sub.add_parser("list", help="list directory entries")
    upt_sub.add_parser("pending", help="cases held where nobody can see them yet")
    for name, text in (("activate", "receive new reports again"), ("deactivate", "stop receiving")):
        cmd = upt_sub.add_parser(name, help=f"a UPT: {text}")
        cmd.add_argument("code", help="UPT code (any case)")


async def upt_command(settings: Settings, args: argparse.Namespace) -> int:
    from storage import directory, directory_import, operator_views

    if args.upt_command == "import":
        path = Path(args.file)
        try:
            data = directory_import.read_csv(path)
        except FileNotFoundError:
            raise CommandError(f"no file {path}") from None
        except (OSError, UnicodeDecodeError) as e:
            raise CommandError(f"cannot read {path} ({type(e).__name__})") from None
    async with opened(settings, keyed=False) as db, db.unit_of_work() as session:
        if args.upt_command == "import":
            result = await directory_import.import_file(session, data)
            if result.errors:
                for error in result.errors:
                    print(error, file=sys.stderr)
                # One line for the outcome, after the list of what to fix.
                raise CommandError(
                    f"{count(len(result.errors), 'error')} in {path}: nothing was changed"
                )
            print(f"{result.added} added, {result.updated} updated")
            return 0
        if args.upt_command == "list":
            for upt in await directory.list_upts(session):
                connected = "not connected"
                if upt.telegram_chat_id:
                    # Without admin rights the bot cannot remove revoked staff.
                    rights = {True: "bot is admin", False: "bot NOT admin", None: "admin ?"}
                    connected = f"connected ({rights[upt.bot_admin]})"
                state = "" if upt.active else "INACTIVE\t"
                print(
                    f"{upt.code}\t{upt.level}\t{upt.region_code or '-'}\t{upt.timezone}\t"
                    f"{state}{connected}\t{upt.name}"
                )
            return 0
        if args.upt_command == "pending":
            held = await operator_views.cases(session, only_unconnected=True)
            if not held:
                print("no cases are waiting at a UPT nobody is connected to")
                return 0
            print(
                f"{count(len(held), 'case')} waiting where nobody sees them (urgent, then oldest):"
            )
            for case in held:
                print(case_line(case))
            print("connect the group with /hubungkan, or invite staff: lapor-ppa staff invite")
            return 0
        upt = await directory.find(session, args.code)
        if upt is None:
            raise CommandError(f"no UPT {args.code} (see `lapor-ppa upt list`)")
        active = args.upt_command == "activate"
        other = await directory.set_active(session, upt, active)
        if other is not None:
            raise CommandError(
                f"{other.code} ({other.name}) already receives for this region and level: "
                f"deactivate it first"
            )
        if active:
            print(f"{upt.code} ({upt.name}) receives new reports again")
            return 0
        print(f"{upt.code} ({upt.name}) receives no new reports from now on")
        still = await operator_views.cases(session, upt_code=upt.code, open_only=True)
        if still:
            print(f"its {count(len(still), 'open case')} stay with it until re-routed (Teruskan):")
            for case in still:
                print(case_line(case))
        return 0
