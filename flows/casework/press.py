"""What a staff button press means, given the facts: who pressed (a member, their role and
unit), and the ticket (whether their unit holds it, who has taken it, its status, whether
the reporter stopped the conversation, its images)."""

from __future__ import annotations

from typing import Any

from flows import report_kept
from flows.casework import notices, onboarding, prompts, record_steps, reports
from flows.casework.card import status_picker
from flows.casework.chain import CLOSED, NEEDS_REASON, STATUS_LABELS, next_statuses
from flows.casework.effects import audit, do, me, need, refuse, say, settle, toast
from flows.casework.keys import key, parse_key
from flows.casework.status import move, tell_reporter
from flows.core import N_, Choice, EffectResult, Msg, Outcome, Reply

# Keys whose target a refusal never looks up as a ticket. (A stranger's `to` press is still
# looked up by its prompt id, as before; the audit rework will settle which ticket it names.)
NOT_A_TICKET = ("approve", "reject", "share", "exp", "sum")


def begin(out: Outcome, data: str) -> None:
    s = out.state
    k = parse_key(data)
    s["pressed"] = data[:40]
    s["key"] = None if k is None else {"action": k.action, "target": k.target, "arg": k.arg}
    if k is None or s["me"] is None:
        if k is not None and k.action not in NOT_A_TICKET:
            # Tie the refusal to the ticket when the press names a real one.
            need(out, "stranger", "load_case", ticket_id=k.target)
            return
        refuse(out, None, f"button {s['pressed']!r}")
        return
    if not s["private"] and s["chat"] != s["me"].get("group"):
        # Buttons work where their unit works: a group it left, or never joined, is not it.
        refuse(out, None, f"button {s['pressed']!r} outside the unit's group")
        return
    if k.action in ("approve", "reject"):
        onboarding.decide_member(out, k.target)
    elif k.action == "share":
        prompts.share(out)
    elif k.action == "to":
        prompts.pick(out)
    elif k.action == "exp":
        reports.export(out)
    elif k.action == "sum":
        reports.summary_choice(out)
    else:
        need(out, "press", "load_case", ticket_id=k.target)


def on_stranger(out: Outcome, r: EffectResult) -> None:
    refuse(out, r.value["id"] if r.value["found"] else None, f"button {out.state['pressed']!r}")


def on_case(out: Outcome, r: EffectResult) -> None:
    c, action = r.value, out.state["key"]["action"]
    if not c["found"] or not c["owned"]:
        refuse(out, c["id"] if c["found"] else None, f"{action} on a ticket not owned")
        return
    out.state["case"] = c
    match action:
        case "claim":
            _claim(out, c)
        case "status":
            say(out, status_picker(c["id"], c["status"]), reply_to=True)
        case "set":
            _set(out, c, out.state["key"]["arg"])
        case "keep":
            settle(out, Reply(N_("staff.status_kept"), {"case_number": c["case_number"]}))
        case "ask":
            if c["followup_stopped"]:
                toast(out, N_("staff.reporter_stopped_short"))
            else:
                prompts.open_prompt(out, c, "question", _ask(out, c, N_("staff.ask_question")))
        case "note":
            prompts.open_prompt(out, c, "note", _ask(out, c, N_("staff.ask_note")))
        case "fwd" if c["status"] in CLOSED:
            refuse(out, c["id"], "fwd on a closed ticket")  # a closed case stays where it is
        case "fwd":
            prompts.open_prompt(out, c, "reroute", _ask(out, c, N_("staff.ask_destination")))
        case "img" | "imgok":
            _images(out, c, action)
        case "more":
            _more(out, c)
        case "rec" | "view" | "put":
            record_steps.begin(out, c)
        case _:
            toast(out, N_("staff.not_allowed"))


def _ask(out: Outcome, c: dict[str, Any], msgid: str) -> Reply:
    return Reply(msgid, {"case_number": c["case_number"], "name": me(out)["name"]})


# --- Ambil ---------------------------------------------------------------------------------


def _claim(out: Outcome, c: dict[str, Any]) -> None:
    if c["holder_id"] is not None:
        toast(out, N_("staff.already_claimed"), {"name": c["holder_name"]})
        return
    need(out, "claimed", "claim", ticket_id=c["id"])


def on_claimed(out: Outcome, r: EffectResult) -> None:
    if not r.value["won"]:  # two people pressed Ambil at once: the other one was first
        toast(out, N_("staff.already_claimed"), {"name": r.value["holder"]})
        return
    c = out.state["case"]
    if c["status"] == "baru":
        do(out, "record_status", ticket_id=c["id"], status="diterima")
        c["status"] = "diterima"
    audit(out, "claim", c["id"])
    do(out, "refresh_cards", ticket_id=c["id"])
    if c["reachable"]:
        tell_reporter(out, c, notices.status_notice(c["case_number"], c["status"], None), "notice")
    toast(out, N_("staff.claimed"))


# --- Ubah status ---------------------------------------------------------------------------


def _set(out: Outcome, c: dict[str, Any], status: str) -> None:
    if status not in next_statuses(c["status"]):
        toast(out, N_("staff.status_not_allowed"))
        return
    picked = {
        "case_number": c["case_number"],
        "status": Msg(STATUS_LABELS[status]),
        "name": me(out)["name"],
    }
    settle(out, Reply(N_("staff.status_picked"), picked))
    if status in NEEDS_REASON:
        ask = Reply(
            N_("staff.ask_reason"),
            {
                "status": Msg(STATUS_LABELS[status]),
                "case_number": c["case_number"],
                "name": me(out)["name"],
            },
        )
        prompts.open_prompt(out, c, "reason", ask, {"status": status})
        return
    move(out, c, status, None, False)


# --- Gambar, Selengkapnya ------------------------------------------------------------------


def _images(out: Outcome, c: dict[str, Any], action: str) -> None:
    """A reporter's screenshots go only to the one holding the ticket, in their private
    chat, after a warning; sent protected (no forwarding or saving) and audited."""
    images = list(c["images"])
    if c["holder_id"] != me(out)["id"] or not images:
        audit(out, "refused", c["id"], "images, not the holder")
        toast(out, N_("staff.images_holder_only"))
        return
    if action == "img" or not out.state["private"]:
        warning = Reply(
            N_("staff.images_warning"),
            {"case_number": c["case_number"], "count": str(len(images))},
            [[Choice(key("imgok", c["id"]), N_("staff.images_open"))]],
        )
        toast(out, N_("staff.images_see_private"))
        say(out, warning, private=True)
        return
    audit(out, "images_opened", c["id"], f"{len(images)} images")
    for n, file_id in enumerate(images, start=1):
        caption = Reply(
            N_("staff.images_caption"),
            {"n": str(n), "count": str(len(images)), "case_number": c["case_number"]},
        )
        say(out, caption, private=True, photo=file_id)


def _more(out: Outcome, c: dict[str, Any]) -> None:
    """The whole story (and all the evidence), under the pressed card. Through the outbox, so
    its message is known and taken back if the ticket leaves the unit."""
    narrative = c["narrative"] or Msg(N_("card.no_narrative"))
    story = [
        Reply(N_("card.full_narrative"), {"case_number": c["case_number"], "narrative": narrative})
    ]
    details = c["details"] or {}
    if details.get("evidence"):
        items = report_kept.full_evidence(details)
        story.append(
            Reply(N_("card.full_evidence"), {"case_number": c["case_number"], "items": items})
        )
    do(out, "post_story", ticket_id=c["id"], replies=story)
