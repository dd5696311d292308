"""What a reporter sees and presses after a report: the status answer with the questions staff
left, the anonymous answer to staff, and the closing rating.

Buttons: "fu:<ticket>" answer or add information, "fu:stop:<ticket>" end the conversation,
"fu:cancel" leave without sending; "fb:<ticket>:<1-5>" a rating, "fb:skip" no comment. Every
ticket id is checked against the reporter by the service.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flows.casework import STATUS_LABELS, STATUS_MEANINGS
from flows.core import N_, Choice, Effect, Msg, Reply, Stamp

FOLLOWUP_MAX = 2000
COMMENT_MAX = 1000


def ask_answer(case_number: str) -> Reply:
    return Reply(
        N_("followup.ask_answer"),
        {"case_number": case_number},
        [[Choice("fu:cancel", N_("followup.cancel"))]],
    )


def ask_comment() -> Reply:
    return Reply(N_("feedback.ask_comment"), {}, [[Choice("fb:skip", N_("feedback.skip"))]])


def _ticket_id(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else None


def open_effect(key: str, unlocked: Any) -> Effect | None:
    """The effect a follow-up button asks for; None for a malformed (stale or forged) key."""
    parts = key.split(":")
    stop = len(parts) == 3 and parts[1] == "stop"
    ticket = _ticket_id(parts[-1])
    if len(parts) not in (2, 3) or ticket is None or (len(parts) == 3 and not stop):
        return None
    # Opened with its code in this chat: the reporter may answer even without the link.
    return Effect(
        "open_followup", {"ticket_id": ticket, "stop": stop, "unlocked": unlocked == ticket}
    )


def rating_effect(key: str) -> Effect | None:
    parts = key.split(":")
    if len(parts) != 3 or _ticket_id(parts[1]) is None or parts[2] not in ("1", "2", "3", "4", "5"):
        return None
    return Effect("rate_service", {"ticket_id": int(parts[1]), "score": int(parts[2])})


def status_replies(v: Mapping[str, Any]) -> list[Reply]:
    if v.get("rate_limited"):
        return [Reply(N_("status.rate_limited"), {"seconds": str(v["retry_in"])})]
    if not v.get("found"):
        return [Reply(N_("status.not_found"))]
    # "Tambah informasi" sits on the last thing read: the status, or the last question.
    add_info = (
        [[Choice(f"fu:{v['ticket_id']}", N_("status.add_info"))]] if v.get("can_followup") else []
    )
    questions = v.get("questions", [])
    replies = [
        Reply(
            N_("status.found"),
            {
                "case_number": v["case_number"],
                "status": Msg(STATUS_LABELS.get(v["status"], v["status"])),
                "meaning": Msg(STATUS_MEANINGS.get(v["status"], "")),
                "upt": v["upt_name"],
                "changed_at": Stamp(v["changed_at"], v["timezone"]),
            },
            [] if questions else add_info,
        )
    ]
    for n, question in enumerate(questions, start=1):
        last = n == len(questions)
        replies.append(
            Reply(N_("status.question"), {"question": question}, add_info if last else [])
        )
    return replies
