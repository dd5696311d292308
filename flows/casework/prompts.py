"""Prompt sequences: a staff member is asked to type something (ForceReply), and what the
answer means. The prompt's `step` and `data` are this flow's state across updates:

  question                      → the reporter is asked (or the question waits for /status)
  note                          → shown to every unit holding the ticket, never the reporter
  reason {status}               → "may the reporter see it?" → Ya/Tidak: the status moves
  reroute                       → a place is typed → units to pick → reroute_reason {upt_id}
  reroute_reason {upt_id}       → the ticket moves to that unit
"""

from __future__ import annotations

from typing import Any

from flows.casework import notices, record_steps
from flows.casework.chain import next_statuses
from flows.casework.effects import audit, do, drop_prompt, me, need, refuse, say, settle, toast
from flows.casework.keys import key
from flows.casework.status import move, tell_reporter
from flows.core import N_, Choice, EffectResult, Msg, Outcome, Reply, Stamp

MAX_TEXT = 1000
CLOSES = ("question", "note", "reroute_reason")  # answered once; the others wait for a button


def open_prompt(
    out: Outcome, c: dict[str, Any], step: str, ask: Reply, data: dict[str, Any] | None = None
) -> None:
    do(out, "open_prompt", ticket_id=c["id"], step=step, data=data or {}, ask=ask)


# --- a typed answer ------------------------------------------------------------------------


def typed(out: Outcome, text: str) -> None:
    text = text.strip()[:MAX_TEXT]
    if not text:
        return
    out.state["text"] = text
    need(out, "typed", "load_case", ticket_id=out.state["prompt"]["ticket_id"])


def on_case(out: Outcome, r: EffectResult) -> None:
    c, p, text = r.value, out.state["prompt"], out.state["text"]
    if not c["owned"]:  # the ticket moved on since the prompt was opened
        do(out, "save_prompt", prompt_id=p["id"], data=p["data"], done=True)
        drop_prompt(out, p["id"])
        audit(out, "refused", p["ticket_id"], f"{p['step']} after losing the ticket")
        say(out, Reply(N_("staff.not_allowed")))
        return
    if p["step"] == "question" and c["followup_stopped"]:
        # The reporter stopped (or erased themselves) after the prompt was opened: the
        # question is not kept for someone who asked to hear nothing more.
        do(out, "save_prompt", prompt_id=p["id"], data=p["data"], done=True)
        drop_prompt(out, p["id"])
        audit(out, "refused", p["ticket_id"], "question after the reporter stopped")
        say(out, Reply(N_("staff.question_not_sent")), reply_to=True)
        return
    if p["step"] in record_steps.STEPS:  # open until a good value comes
        record_steps.typed(out, c, p)
        return
    out.state["case"] = c
    data = {**p["data"], "text": text}
    do(out, "save_prompt", prompt_id=p["id"], data=data, done=p["step"] in CLOSES)
    if p["step"] != "reroute":  # a place may be typed again until a unit is picked
        drop_prompt(out, p["id"])
    match p["step"]:
        case "question":
            _question(out, c, text)
        case "note":
            do(out, "add_message", ticket_id=c["id"], kind="note", text=text)
            audit(out, "note", c["id"])
            note = notices.note_posted(c["case_number"], me(out)["name"], text)
            do(out, "tell_staff", ticket_id=c["id"], reply=note)
        case "reason":
            share = [
                Choice(key("share", p["id"], "1"), N_("staff.share_yes")),
                Choice(key("share", p["id"], "0"), N_("staff.share_no")),
            ]
            say(out, Reply(N_("staff.ask_share"), {}, [share]), reply_to=True)
        case "reroute":
            need(out, "units", "find_units", text=text)
        case "reroute_reason":
            need(out, "reroute_unit", "load_unit", upt_id=int(data["upt_id"]))


def _question(out: Outcome, c: dict[str, Any], text: str) -> None:
    do(out, "add_message", ticket_id=c["id"], kind="question", text=text)
    audit(out, "question", c["id"])
    if not c["reachable"]:
        say(out, Reply(N_("staff.question_waits")), reply_to=True)  # shown at their /status
        return
    asked = notices.question(c["id"], c["case_number"], text, Stamp(c["created_at"], c["timezone"]))
    tell_reporter(out, c, [asked], "question")
    say(out, Reply(N_("staff.question_sent")), reply_to=True)


# --- Ya/Tidak after a reason ---------------------------------------------------------------


def share(out: Outcome) -> None:
    need(out, "share", "load_prompt", prompt_id=out.state["key"]["target"])


def on_share_prompt(out: Outcome, r: EffectResult) -> None:
    p, arg = r.value, out.state["key"]["arg"]
    if not _mine(out, p) or "text" not in p["data"] or arg not in ("0", "1"):
        refuse(out, None, "share")
        return
    out.state["prompt"] = p
    need(out, "share_case", "load_case", ticket_id=p["ticket_id"])


def on_share_case(out: Outcome, r: EffectResult) -> None:
    c, p = r.value, out.state["prompt"]
    status = p["data"]["status"]
    if status not in next_statuses(c["status"]) or not c["owned"]:
        toast(out, N_("staff.status_not_allowed"))
        return
    out.state["case"] = c
    do(out, "save_prompt", prompt_id=p["id"], data=p["data"], done=True)
    shared = N_("staff.share_yes") if out.state["key"]["arg"] == "1" else N_("staff.share_no")
    settle(out, Reply(N_("staff.share_chosen"), {"choice": Msg(shared)}))
    move(out, c, status, p["data"]["text"], out.state["key"]["arg"] == "1")


# --- Teruskan: a place typed, a unit picked, a reason typed --------------------------------


def on_units(out: Outcome, r: EffectResult) -> None:
    c, p = out.state["case"], out.state["prompt"]
    rows = [
        [Choice(key("to", p["id"], str(upt_id)), literal=name)]
        for upt_id, name in r.value["items"]
        if upt_id != c["upt_id"]  # never back to where it is
    ]
    ask = Reply(N_("staff.pick_destination"), {"case_number": c["case_number"]}, rows)
    say(out, ask, reply_to=True)


def pick(out: Outcome) -> None:
    need(out, "pick", "load_prompt", prompt_id=out.state["key"]["target"])


def on_pick_prompt(out: Outcome, r: EffectResult) -> None:
    p = r.value
    if not _mine(out, p) or p["step"] != "reroute":
        refuse(out, None, "reroute pick")
        return
    out.state["prompt"] = p
    need(out, "pick_unit", "load_unit", upt_id=int(out.state["key"]["arg"]))


def on_pick_unit(out: Outcome, r: EffectResult) -> None:
    if not r.value["found"]:
        refuse(out, None, "reroute pick")
        return
    p = out.state["prompt"]
    out.state["unit"] = r.value
    do(out, "save_prompt", prompt_id=p["id"], data=p["data"], done=True)
    drop_prompt(out, p["id"])  # the place question
    settle(out, Reply(N_("staff.unit_picked"), {"upt": r.value["name"]}))
    need(out, "pick_case", "load_case", ticket_id=p["ticket_id"])


def on_pick_case(out: Outcome, r: EffectResult) -> None:
    c, unit = r.value, out.state["unit"]
    ask = Reply(
        N_("staff.ask_reroute_reason"),
        {"case_number": c["case_number"], "upt": unit["name"], "name": me(out)["name"]},
    )
    open_prompt(out, c, "reroute_reason", ask, {"upt_id": unit["id"]})


def on_reroute_unit(out: Outcome, r: EffectResult) -> None:
    c, unit = out.state["case"], r.value
    if not unit["found"]:
        say(out, Reply(N_("staff.not_allowed")))
        return
    out.state["unit"] = unit
    strip = notices.card_rerouted(c["case_number"], unit["name"], me(out)["name"])
    need(
        out,
        "rerouted",
        "reroute",
        ticket_id=c["id"],
        upt_id=unit["id"],
        reason=out.state["text"],
        strip=strip,
    )


def on_rerouted(out: Outcome, r: EffectResult) -> None:
    """The ticket moved: the new unit gets its card, the reporter is told where it went."""
    c, unit = out.state["case"], out.state["unit"]
    audit(out, "reroute", c["id"], f"{r.value['from_code']} -> {r.value['to_code']}")
    do(out, "post_cards", ticket_id=c["id"], upt_id=unit["id"])
    if c["reachable"]:
        tell_reporter(out, c, [notices.rerouted(c["case_number"], unit["name"])], "notice")
    done = Reply(N_("staff.rerouted"), {"case_number": c["case_number"], "upt": unit["name"]})
    say(out, done, reply_to=True)


def _mine(out: Outcome, p: dict[str, Any]) -> bool:
    """A prompt still open, opened by this very person."""
    return bool(p["found"]) and p["staff_id"] == me(out)["id"] and not p["done"]
