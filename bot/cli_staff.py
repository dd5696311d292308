"""`lapor-ppa staff …`: invite, list, approve and revoke UPT staff accounts."""

from __future__ import annotations

import argparse
import re

from bot.open_db import CommandError, keys_for, opened
from bot.settings import Settings

ROLES_EXPLAINED = (
    "roles: a petugas works cases (claim, status, questions, notes, forwarding) once a "
    "koordinator approves them; a koordinator also connects the unit's group (/hubungkan) "
    "and approves new petugas"
)
# Telegram usernames: 5-32 of A-Z a-z 0-9 _, and a bot's ends in "bot".
BOT_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,30}[Bb][Oo][Tt]")


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    st = sub.add_parser("staff", help="UPT staff accounts")
    st_sub = st.add_subparsers(dest="staff_command", required=True)
    inv = st_sub.add_parser("invite", help="print a one-time invite link for a UPT")
    inv.add_argument("--upt", required=True, help="UPT code, any case (see `lapor-ppa upt list`)")
    inv.add_argument("--role", default="petugas", choices=["petugas", "koordinator"])
    inv.add_argument("--bot-username", help="the bot's @username (asked from the Bot API if unset)")
    st_sub.add_parser("list", help="list staff accounts")
    for name in ("approve", "revoke"):
        cmd = st_sub.add_parser(name, help=f"{name} a staff account by id")
        cmd.add_argument("id", type=int)


async def _bot_username(settings: Settings, given: str | None) -> str | None:
    """The bot's @username: given, or asked from the Bot API; None when neither can be."""
    if given:
        name = given.strip().removeprefix("@").removeprefix("https://t.me/")
        if not BOT_USERNAME.fullmatch(name):
            raise CommandError(
                f"--bot-username {given!r} is not a bot's username (5-32 letters, digits or _, "
                "ending in 'bot')"
            )
        return name
    if settings.bot_token is None:
        return None
    from bot.app import make_client

    api = make_client(settings)
    try:
        me = await api.get_me()
    finally:
        await api.close()
    if not me.ok or not isinstance(me.result, dict):
        raise CommandError(
            f"cannot ask the Bot API for the bot's name ({me.name}): give --bot-username"
        )
    return str(me.result.get("username") or "") or None


async def staff_command(settings: Settings, args: argparse.Namespace) -> int:
    from handlers.casework.announce import Announcer
    from handlers.casework.revoke import revoke_member
    from storage import directory, staff
    from storage.places import PlaceIndex

    keys = keys_for(settings)
    async with opened(settings, keyed=True) as db, db.unit_of_work() as session:
        if args.staff_command == "invite":
            upt = await directory.find(session, args.upt)
            if upt is None:
                raise CommandError(f"unknown UPT {args.upt} (see `lapor-ppa upt list`)")
            username = await _bot_username(settings, args.bot_username)
            token, upt = await staff.create_invite(session, keys, upt.code, args.role)
            staff.audit(session, "operator", f"invite_created:{args.role}", detail=upt.code)
            print(f"Invite for {args.role} of {upt.name} (single use, valid 72 hours):")
            if username:
                print(f"https://t.me/{username}?start={token}")
            else:
                print(token)
                print(
                    "no bot username known (set BOT_TOKEN or give --bot-username for a t.me "
                    "link); in the terminal: lapor-ppa shell --staff, then paste the token"
                )
            return 0
        if args.staff_command == "list":
            members = await staff.list_staff(session)
            if not members:
                print("no staff yet: invite someone with `lapor-ppa staff invite --upt CODE`")
            for member, upt in members:
                print(
                    f"{member.id}\t{upt.code}\t{member.role}\t{member.status}\t"
                    f"{member.display_name}"
                )
            print(ROLES_EXPLAINED)
            return 0
        # An id past the column's range is nobody's (not a database error).
        target = await session.get(staff.Staff, args.id) if 0 < args.id < 2**31 else None
        if target is None:
            raise CommandError(f"no staff member {args.id} (see `lapor-ppa staff list`)")
        new_status = "active" if args.staff_command == "approve" else "revoked"
        staff.audit(session, "operator", f"staff_{args.staff_command}", detail=f"staff:{target.id}")
        if new_status == "revoked":
            announcer = Announcer(keys, PlaceIndex.load())
            done = await revoke_member(session, announcer, target)
            if done.released:
                print(f"back to unclaimed: {', '.join(done.released)}")
        else:
            await staff.set_status(session, target.id, new_status)
        print(f"staff {target.id} ({target.display_name}) is now {new_status}")
        return 0
