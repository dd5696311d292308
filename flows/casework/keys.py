"""Staff button keys: `s:<action>:<target id>[:<arg>]`, well under Telegram's 64 bytes.

A key only ever names what to try: every press is checked against the facts before anything
happens (flows/casework/press.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flows.casework.chain import STATUSES

ACTIONS = (
    "claim",
    "status",
    "set",
    "keep",
    "ask",
    "fwd",
    "to",
    "note",
    "share",
    "approve",
    "reject",
    "more",
    "img",
    "imgok",
    "rec",
    "view",
    "put",
    "exp",
    "sum",
)
RECORD_ACTIONS = ("rec", "view", "put")


@dataclass(frozen=True, slots=True)
class StaffKey:
    action: str
    target: int  # a ticket id; a staff id for approve/reject; a prompt id for share/to; a
    # unit id for exp; a staff id for sum (the monthly summary: 0 stop, 1 send again)
    arg: str = ""


def key(action: str, target: int, arg: str = "") -> str:
    return f"s:{action}:{target}" + (f":{arg}" if arg else "")


def parse_key(data: str) -> StaffKey | None:
    parts = data.split(":")
    if len(parts) not in (3, 4) or parts[0] != "s" or parts[1] not in ACTIONS:
        return None
    if not (parts[2].isascii() and parts[2].isdigit()) or len(parts[2]) > 12:
        return None
    arg = parts[3] if len(parts) == 4 else ""
    if parts[1] == "set" and arg not in STATUSES:
        return None
    if parts[1] == "to" and not (arg.isascii() and arg.isdigit() and len(arg) <= 12):
        return None
    if parts[1] in RECORD_ACTIONS and not _RECORD_ARG.fullmatch(arg):
        return None
    if parts[1] == "exp" and not _MONTH.fullmatch(arg):
        return None
    if parts[1] == "sum" and arg not in ("0", "1"):
        return None
    return StaffKey(parts[1], int(parts[2]), arg)


_RECORD_ARG = re.compile(r"[a-z0-9_.]{1,40}")
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
