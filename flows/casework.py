"""How staff work a ticket, as data: the UPTD PPA service chain, the card, the button keys.

Staff buttons carry `s:<action>:<ticket id>[:<arg>]` (well under Telegram's 64 bytes); every
press is checked against the database, so a key only ever names what to try.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flows.core import N_, Choice, Msg, Param, Reply

CHAIN = ("baru", "diterima", "asesmen", "penjangkauan", "pendampingan", "dirujuk", "selesai")
OUT_OF_SCOPE = "bukan_kewenangan"
STATUSES = (*CHAIN, OUT_OF_SCOPE)
CLOSED = ("selesai", OUT_OF_SCOPE)
NEEDS_REASON = ("bukan_kewenangan", "dirujuk", "selesai")

STATUS_LABELS = {
    "baru": N_("status.baru"),
    "diterima": N_("status.diterima"),
    "asesmen": N_("status.asesmen"),
    "penjangkauan": N_("status.penjangkauan"),
    "pendampingan": N_("status.pendampingan"),
    "dirujuk": N_("status.dirujuk"),
    "selesai": N_("status.selesai"),
    "bukan_kewenangan": N_("status.bukan_kewenangan"),
}
STATUS_MEANINGS = {
    "baru": N_("status.meaning.baru"),
    "diterima": N_("status.meaning.diterima"),
    "asesmen": N_("status.meaning.asesmen"),
    "penjangkauan": N_("status.meaning.penjangkauan"),
    "pendampingan": N_("status.meaning.pendampingan"),
    "dirujuk": N_("status.meaning.dirujuk"),
    "selesai": N_("status.meaning.selesai"),
    "bukan_kewenangan": N_("status.meaning.bukan_kewenangan"),
}
ACTIONS = (
    "claim",
    "status",
    "set",
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
)


def next_statuses(current: str) -> list[str]:
    """Forward along the chain (stages may be skipped), or out of scope; closed is closed."""
    if current in CLOSED or current not in CHAIN:
        return []
    return [*CHAIN[CHAIN.index(current) + 1 :], OUT_OF_SCOPE]


@dataclass(frozen=True, slots=True)
class StaffKey:
    action: str
    target: int  # a ticket id, or a staff id for approve/reject
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
    return StaffKey(parts[1], int(parts[2]), arg)


CARD_NARRATIVE_MAX = 1500  # keeps a card well inside Telegram's 4 096 characters


def card_buttons(
    ticket_id: int, status: str, more: bool = False, images: int = 0
) -> list[list[Choice]]:
    extra = [[Choice(key("more", ticket_id), N_("card.more"))]] if more else []
    if images:
        # Opens nothing here: only the holder gets the images, in private, after a warning.
        extra.append([Choice(key("img", ticket_id), N_("card.open_images"))])
    if status in CLOSED:
        return extra
    rows = [
        [
            Choice(key("status", ticket_id), N_("card.change_status")),
            Choice(key("ask", ticket_id), N_("card.ask_reporter")),
        ],
        [
            Choice(key("fwd", ticket_id), N_("card.forward")),
            Choice(key("note", ticket_id), N_("card.note")),
        ],
    ]
    if status == "baru":
        rows.insert(0, [Choice(key("claim", ticket_id), N_("card.claim"))])
    return extra + rows


def card(
    ticket_id: int,
    params: Mapping[str, Param],
    status: str,
    images: int = 0,
    evidence_cut: bool = False,
) -> Reply:
    """The ticket as staff see it: never the reporter's code, id, name or chat, never an
    image (only how many there are). A long story is cut short; "Selengkapnya" shows it all."""
    narrative = params.get("narrative", "")
    long_story = isinstance(narrative, str) and len(narrative) > CARD_NARRATIVE_MAX
    more = long_story or evidence_cut
    if long_story and isinstance(narrative, str):
        params = {**params, "narrative": narrative[:CARD_NARRATIVE_MAX].rstrip() + "…"}
    params = {**params, "images": Msg(N_("card.images"), {"count": str(images)}) if images else ""}
    return Reply(N_("card.text"), params, card_buttons(ticket_id, status, more, images))


def status_picker(ticket_id: int, current: str) -> Reply:
    rows = [[Choice(key("set", ticket_id, s), STATUS_LABELS[s])] for s in next_statuses(current)]
    return Reply(N_("card.pick_status"), {"status": Msg(STATUS_LABELS[current])}, rows)
