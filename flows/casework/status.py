"""A status that moves, and what follows from it: the audit, every card, the reporter's
notice (with the staff's reason if they let it be shared), the feedback question on closing."""

from __future__ import annotations

from typing import Any

from flows.casework import notices
from flows.casework.effects import audit, do, need, toast
from flows.core import N_, EffectResult, Outcome, Reply


def move(out: Outcome, c: dict[str, Any], status: str, reason: str | None, share: bool) -> None:
    """Compare-and-set: the status moves only if nobody moved it meanwhile."""
    out.state["moving"] = {"status": status, "reason": reason, "shareable": share}
    args = {"ticket_id": c["id"], "status": status, "reason": reason, "shareable": share}
    need(out, "moved", "move_status", **args)


def on_moved(out: Outcome, r: EffectResult) -> None:
    if not r.value["ok"]:
        toast(out, N_("staff.status_not_allowed"))
        return
    c, m = out.state["case"], out.state["moving"]
    status = m["status"]
    audit(out, f"status:{status}", c["id"])
    do(out, "refresh_cards", ticket_id=c["id"])
    if c["reachable"]:  # a status notice reaches even a reporter who stopped the conversation
        reason = m["reason"] if m["shareable"] else None
        tell_reporter(out, c, notices.status_notice(c["case_number"], status, reason), "notice")
    if status == "selesai" and c["reachable"] and not c["followup_stopped"]:
        tell_reporter(out, c, [notices.ask_feedback(c["id"], c["case_number"])], "feedback")
    toast(out, N_("staff.status_changed"))


def tell_reporter(out: Outcome, c: dict[str, Any], replies: list[Reply], purpose: str) -> None:
    do(out, "tell_reporter", ticket_id=c["id"], replies=replies, purpose=purpose)
