"""What people other than the acting staff member are told: the reporter's notices and
questions, the koordinator's approval request, a stripped card, an internal note."""

from __future__ import annotations

from flows.casework.chain import STATUS_LABELS, STATUS_MEANINGS
from flows.casework.keys import key
from flows.core import N_, Choice, Msg, Reply, Stamp


def status_notice(case_number: str, status: str, reason: str | None) -> list[Reply]:
    """The new status and what it means; the staff's reason only when they let it be shared."""
    replies = [
        Reply(
            N_("notice.status"),
            {
                "case_number": case_number,
                "status": Msg(STATUS_LABELS[status]),
                "meaning": Msg(STATUS_MEANINGS[status]),
            },
        )
    ]
    if reason:
        replies.append(Reply(N_("notice.reason"), {"reason": reason}))
    return replies


def question(ticket_id: int, case_number: str, text: str, reported_at: Stamp) -> Reply:
    return Reply(
        N_("notice.question"),
        {"case_number": case_number, "question": text, "reported_at": reported_at},
        [
            [Choice(f"fu:{ticket_id}", N_("followup.answer"))],
            [Choice(f"fu:stop:{ticket_id}", N_("followup.stop"))],
        ],
    )


def ask_feedback(ticket_id: int, case_number: str) -> Reply:
    """One optional question when a case closes."""
    stars = [
        Choice(f"fb:{ticket_id}:{n}", N_("feedback.score"), {"n": str(n)}) for n in range(1, 6)
    ]
    return Reply(N_("feedback.ask"), {"case_number": case_number}, [stars])


def rerouted(case_number: str, unit: str) -> Reply:
    return Reply(N_("notice.rerouted"), {"case_number": case_number, "upt": unit})


def card_rerouted(case_number: str, unit: str, name: str) -> Reply:
    """What an old card becomes once the ticket has left its unit: no story, no buttons."""
    return Reply(N_("card.rerouted"), {"case_number": case_number, "upt": unit, "name": name})


def card_access_ended(case_number: str) -> Reply:
    """What a card in a revoked member's private chat becomes: no story, no buttons."""
    return Reply(N_("card.access_ended"), {"case_number": case_number})


def card_moved(case_number: str) -> Reply:
    """What a card becomes in a group its unit left for another."""
    return Reply(N_("card.moved_group"), {"case_number": case_number})


def group_left(unit: str) -> Reply:
    return Reply(N_("group.disconnected"), {"upt": unit})


def revoked(unit: str) -> Reply:
    """For the person whose access was revoked: one neutral line."""
    return Reply(N_("staff.revoked"), {"upt": unit})


def member_revoked(name: str, released: int) -> Reply:
    """For the unit's koordinators: who lost access, and how many cases are free again."""
    if not released:
        return Reply(N_("staff.member_revoked_none"), {"name": name})
    return Reply(N_("staff.member_revoked"), {"name": name, "count": str(released)})


def note_posted(case_number: str, name: str, note: str) -> Reply:
    return Reply(N_("staff.note_posted"), {"case_number": case_number, "name": name, "note": note})


def approval_request(staff_id: int, name: str, unit: str) -> Reply:
    return Reply(
        N_("staff.approval_request"),
        {"name": name, "upt": unit},
        [
            [
                Choice(key("approve", staff_id), N_("staff.approve")),
                Choice(key("reject", staff_id), N_("staff.reject")),
            ]
        ],
    )
