"""/statistik and Ekspor: a member asks for their unit's numbers (in the unit's group or in
private); a koordinator presses Ekspor and gets the month's file in private, never in a group.

  s:exp:<unit id>:<YYYY-MM>   the month's export for that unit (its koordinators only)
  s:sum:<staff id>:<0|1>      the monthly summary: stop it / send it again (that person only)
"""

from __future__ import annotations

from flows.casework.effects import audit, do, me, refuse, say, settle, toast
from flows.casework.keys import key
from flows.core import N_, Choice, Outcome, Reply


def statistik(out: Outcome) -> None:
    m = me(out)
    if not out.state["private"] and out.state["chat"] != m.get("group"):
        # Numbers go where the unit works: its own group, or the member's private chat.
        audit(out, "refused", None, "statistik outside the unit's group")
        say(out, Reply(N_("staff.not_allowed")), reply_to=True)
        return
    audit(out, "statistik", None, f"unit {m['upt_id']}")
    do(out, "show_stats", upt_id=m["upt_id"], exports=m["role"] == "koordinator")


def export(out: Outcome) -> None:
    m, k = me(out), out.state["key"]
    if m["upt_id"] != k["target"]:
        refuse(out, None, f"export of unit {k['target']}")
        return
    if m["role"] != "koordinator":
        audit(out, "refused", None, "export, not a koordinator")
        toast(out, N_("stats.koordinator_only"))
        return
    do(out, "send_export", upt_id=m["upt_id"], month=k["arg"])
    toast(out, N_("stats.export_sent"))


def summary_choice(out: Outcome) -> None:
    m, k = me(out), out.state["key"]
    if k["target"] != m["id"]:
        refuse(out, None, "monthly summary of another member")
        return
    on = k["arg"] == "1"
    do(out, "set_summary", staff_id=m["id"], on=on)
    audit(out, "summary:on" if on else "summary:off")
    if on:
        settle(out, Reply(N_("summary.resumed")))
        return
    again = [[Choice(key("sum", m["id"], "1"), N_("summary.resume"))]]
    say(out, Reply(N_("summary.stopped"), {}, again), private=True)
    toast(out, N_("summary.stopped_toast"))
