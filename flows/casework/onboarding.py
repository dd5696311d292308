"""Joining a unit: an invite link redeemed, a petugas approved or rejected by a koordinator,
a koordinator connecting the unit's Telegram group."""

from __future__ import annotations

from flows.casework import notices
from flows.casework.effects import audit, do, me, need, refuse, say, settle, toast
from flows.core import N_, EffectResult, Outcome, Reply

INVITE_ERRORS = {
    "unknown": N_("staff.invite_unknown"),
    "used": N_("staff.invite_used"),
    "expired": N_("staff.invite_expired"),
    "already_staff": N_("staff.invite_already"),
    "other_upt": N_("staff.invite_other_upt"),
}


def redeem(out: Outcome, token: str) -> None:
    need(out, "redeemed", "redeem_invite", token=token)


def on_redeemed(out: Outcome, r: EffectResult) -> None:
    v = r.value
    if v.get("error"):
        # Named as a stranger even when they are staff elsewhere: the invite is what failed.
        audit(out, f"invite_refused:{v['error']}", actor=out.state["anon"])
        say(out, Reply(INVITE_ERRORS[v["error"]]))
        return
    audit(out, f"invite_used:{v['role']}", actor=f"staff:{v['staff_id']}")
    who = {"name": v["name"], "upt": v["upt_name"]}
    if v["status"] == "active":
        # A koordinator is trusted as invited: whatever waited for the unit is shown now.
        do(out, "post_waiting", upt_id=v["upt_id"])
        say(out, Reply(N_("staff.welcome_koordinator"), {**who, "bot": out.state["bot"]}))
        return
    # A petugas waits for a koordinator: a forwarded link alone opens nothing.
    request = notices.approval_request(v["staff_id"], v["name"], v["upt_name"])
    do(out, "tell_coordinators", upt_id=v["upt_id"], reply=request)
    say(out, Reply(N_("staff.welcome_pending"), who))


def connect(out: Outcome) -> None:
    member, group = out.state["me"], out.state["group"] or {}
    if member is None or member["role"] != "koordinator":
        audit(out, "connect_refused")
        say(out, Reply(N_("group.not_allowed")))
        return
    if group.get("public"):
        # Anyone can find and join a public group, and every member reads the full cards.
        audit(out, "connect_refused:public")
        say(out, Reply(N_("group.public_refused")))
        return
    need(
        out,
        "connected",
        "connect_group",
        upt_id=member["upt_id"],
        chat_id=out.state["chat"],
        admin=group.get("admin"),
    )


def on_connected(out: Outcome, r: EffectResult) -> None:
    v = r.value
    if not v["ok"]:  # one group serves one unit
        audit(out, "connect_refused:taken", detail=v["other_code"])
        say(out, Reply(N_("group.serves_other"), {"upt": v["other_name"]}))
        return
    audit(out, "group_connected", detail=v["upt_code"])
    do(out, "post_waiting", upt_id=me(out)["upt_id"])
    say(out, Reply(N_("group.connected"), {"upt": v["upt_name"]}))
    if (out.state["group"] or {}).get("admin") is False:
        say(out, Reply(N_("group.not_admin")))


def membership(out: Outcome, status: str) -> None:
    """The bot was added, promoted, demoted or removed in a group (my_chat_member)."""
    need(out, "membership", "group_membership", chat_id=out.state["chat"], status=status)


def on_membership(out: Outcome, r: EffectResult) -> None:
    v = r.value
    if not v["found"] or v["same"]:
        return  # not a unit's group, or nothing that matters changed
    upt = {"upt": v["upt_name"]}
    if v["gone"]:
        audit(out, "group_lost", detail=v["upt_code"], actor="system")
        do(out, "tell_coordinators", upt_id=v["upt_id"], reply=Reply(N_("group.bot_removed"), upt))
    elif not v["admin"]:
        audit(out, "group_admin_lost", detail=v["upt_code"], actor="system")
        do(
            out,
            "tell_coordinators",
            upt_id=v["upt_id"],
            reply=Reply(N_("group.not_admin_now"), upt),
        )


def decide_member(out: Outcome, staff_id: int) -> None:
    """Setujui / Tolak on an approval request."""
    need(out, "member", "load_member", staff_id=staff_id)


def on_member(out: Outcome, r: EffectResult) -> None:
    member, target, action = me(out), r.value, out.state["key"]["action"]
    if (
        member["role"] != "koordinator"
        or not target["found"]
        or target["upt_id"] != member["upt_id"]
        or target["status"] != "pending"
    ):
        refuse(out, None, f"{action} staff")
        return
    approved = action == "approve"
    staff_id = out.state["key"]["target"]
    do(out, "set_member_status", staff_id=staff_id, status="active" if approved else "revoked")
    audit(out, f"staff_{action}d", detail=f"staff:{staff_id}")
    told = Reply(N_("staff.approved") if approved else N_("staff.rejected"))
    do(out, "tell_member", staff_id=staff_id, reply=told)
    decided = N_("staff.member_approved") if approved else N_("staff.member_rejected")
    settle(out, Reply(decided, {"member": target["name"], "name": member["name"]}))
    toast(out, N_("staff.done"))
