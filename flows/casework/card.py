"""The ticket's card as staff see it, the buttons it shows for a status, the status picker."""

from __future__ import annotations

from collections.abc import Mapping

from flows.casework.chain import CLOSED, STATUS_LABELS, next_statuses
from flows.casework.keys import key
from flows.core import N_, Choice, Msg, Param, Reply

CARD_NARRATIVE_MAX = 1500  # keeps a card well inside Telegram's 4 096 characters


def card_buttons(
    ticket_id: int, status: str, more: bool = False, images: int = 0, claimed: bool = False
) -> list[list[Choice]]:
    extra = [[Choice(key("more", ticket_id), N_("card.more"))]] if more else []
    if images:
        # Opens nothing here: only the holder gets the images, in private, after a warning.
        extra.append([Choice(key("img", ticket_id), N_("card.open_images"))])
    # What the unit did and learnt is recorded in every status: a closed case is corrected too.
    record = [
        Choice(key("rec", ticket_id, "svc"), N_("card.services")),
        Choice(key("rec", ticket_id, "vic"), N_("card.victim")),
        Choice(key("rec", ticket_id, "vio"), N_("card.violence")),
    ]
    if status in CLOSED:
        return [*extra, record]
    rows = [
        [
            Choice(key("status", ticket_id), N_("card.change_status")),
            Choice(key("ask", ticket_id), N_("card.ask_reporter")),
        ],
        [
            Choice(key("fwd", ticket_id), N_("card.forward")),
            Choice(key("note", ticket_id), N_("card.note")),
        ],
        record,
    ]
    if status == "baru" or not claimed:  # an open ticket nobody holds can always be taken
        rows.insert(0, [Choice(key("claim", ticket_id), N_("card.claim"))])
    return extra + rows


def card(
    ticket_id: int,
    params: Mapping[str, Param],
    status: str,
    images: int = 0,
    evidence_cut: bool = False,
    claimed: bool = False,
) -> Reply:
    """The ticket as staff see it: never the reporter's code, id, name or chat, never an
    image (only how many there are). A long story is cut short; "Selengkapnya" shows it all."""
    narrative = params.get("narrative", "")
    long_story = isinstance(narrative, str) and len(narrative) > CARD_NARRATIVE_MAX
    more = long_story or evidence_cut
    if long_story and isinstance(narrative, str):
        params = {**params, "narrative": narrative[:CARD_NARRATIVE_MAX].rstrip() + "…"}
    params = {**params, "images": Msg(N_("card.images"), {"count": str(images)}) if images else ""}
    return Reply(N_("card.text"), params, card_buttons(ticket_id, status, more, images, claimed))


def status_picker(ticket_id: int, current: str) -> Reply:
    rows = [[Choice(key("set", ticket_id, s), STATUS_LABELS[s])] for s in next_statuses(current)]
    rows.append([Choice(key("keep", ticket_id), N_("card.keep_status"))])
    return Reply(N_("card.pick_status"), {"status": Msg(STATUS_LABELS[current])}, rows)
