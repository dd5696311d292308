"""One reporter's whole conversation: the menu, commands, the report draft and status checks.

`step(state, input)` is the only entry point. The state is a JSON-safe dict:
  {"v": 1, "mode": "menu"|"report"|"status", "report": draft|None}
A draft survives anything but /batal or a sent report: commands, stickers, stale buttons and
status checks mid-report all answer and then put the same question again.
See conversation.md for the diagram.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from flows import conversation_followup as after
from flows import followup, register, report, report_questions, screens
from flows.codes import CodeError, looks_like_code, parse_code
from flows.core import N_, Effect, EffectResult, Input, Outcome, Reply, State
from flows.text import clean

VERSION = 1


def new_state() -> State:
    return {"v": VERSION, "mode": "menu", "report": None}


def step(state: State | None, inp: Input | EffectResult) -> Outcome:
    """Advance the conversation by one input (or one effect's result)."""
    if isinstance(inp, Input) and (inp.text or inp.caption) and inp.kind != "choice":
        # What the person typed may reach staff: no invisible or reordering characters.
        inp = dataclasses.replace(inp, text=clean(inp.text), caption=clean(inp.caption))
    s = copy.deepcopy(state) if state and state.get("v") == VERSION else new_state()
    if s["report"] is not None:
        try:
            report.prompt(s["report"])
            if (
                s["report"]["step"] == "summary"
                and report_questions.first_unanswered(s["report"]["a"]) != "summary"
            ):
                raise ValueError("a summary with questions unanswered")
        except (KeyError, ValueError, TypeError):
            report.repair(s["report"])
    out = Outcome(s)
    before = register.of_chat(s)
    if isinstance(inp, EffectResult):
        _on_result(out, inp)
    elif inp.kind == "command":
        _on_command(out, inp)
    elif inp.kind == "choice" and inp.text.startswith("menu:"):
        _on_command(out, Input.of_command(inp.text.removeprefix("menu:")))
    elif inp.kind == "choice" and inp.text.startswith("fu:"):
        after.on_followup_choice(out, inp.text)
    elif inp.kind == "choice" and inp.text in ("lang:id", "lang:en"):
        s["locale"] = inp.text.removeprefix("lang:")
        out.replies.append(Reply(N_("lang.set")))
        after.resume(out)
    elif inp.kind == "choice" and inp.text == "erase:yes":
        out.effects.append(Effect("erase_reporter"))
    elif inp.kind == "choice" and inp.text == "erase:no":
        out.replies.append(Reply(N_("erase.kept")))
        after.resume(out)
    elif inp.kind == "choice" and inp.text.startswith("fb:"):
        after.on_feedback_choice(out, inp.text)
    elif inp.kind == "choice" and inp.text.startswith("info:"):
        _on_info_choice(out, inp.text)
    elif inp.kind == "choice" and inp.text == report_questions.WIPE:
        out.replies.append(screens.wipe_confirm())
    elif inp.kind == "choice" and inp.text == "wipe:yes":
        out.effects.append(Effect("wipe_chat"))
    elif inp.kind == "choice" and inp.text == "wipe:no":
        after.resume(out)
    elif s["mode"] == "feedback":
        after.on_feedback_comment(out, inp)
    elif s["mode"] == "followup":
        after.on_followup_input(out, inp)
    elif s["mode"] == "report":
        _on_report_input(out, inp)
    elif s["mode"] == "status":
        _on_status_input(out, inp)
    else:
        _on_menu_input(out, inp)
    return register.settled(out, s, before)


# --- what the person is waiting on ---------------------------------------------------------


def where(state: State | None) -> str:
    """The step a conversation is at, for logs: "menu", "status", "report.place", …"""
    if not state:
        return "menu"
    report_draft = state.get("report")
    if state.get("mode") == "report" and isinstance(report_draft, dict):
        return f"report.{report_draft.get('step', '?')}"
    return str(state.get("mode", "menu"))


# --- commands (and the main-menu buttons, which mean the same) ------------------------------


# English names for the same commands (English-speaking users see them in their menu).
COMMAND_ALIASES = {
    "report": "lapor",
    "help": "bantuan",
    "cancel": "batal",
    "language": "bahasa",
    "forget": "hapus",
}


def _on_command(out: Outcome, inp: Input) -> None:
    s = out.state
    cmd = COMMAND_ALIASES.get(inp.command, inp.command)
    has_draft = s["report"] is not None
    if cmd in ("start", "lapor") and has_draft:
        if s["mode"] == "status":
            s["mode"] = "report"
        out.replies.append(Reply(N_("conv.draft_waiting")))
        after.resume(out)
    elif cmd == "start":
        out.replies += [Reply(N_("conv.welcome")), screens.main_menu()]
    elif cmd == "lapor":
        s["report"] = report.new_draft()
        s["mode"] = "report"
        out.replies += [Reply(N_("report.intro")), report.prompt(s["report"])]
    elif cmd == "status":
        if inp.text.strip():
            _check_code(out, inp.text, delete_input=True)
        else:
            s["mode"] = "status"
            out.replies.append(screens.ask_code())
    elif cmd == "bantuan":
        out.replies.append(screens.info_page(0, has_draft))
    elif cmd == "batal":
        if s["mode"] in ("status", "followup", "feedback"):
            s.pop("followup", None)
            s.pop("feedback", None)
            after.after_status(out)
        elif has_draft:
            out.replies += screens.cancelled()
            s["report"], s["mode"] = None, "menu"
        else:
            out.replies += [Reply(N_("conv.nothing_to_cancel")), screens.main_menu()]
    elif cmd == "bahasa":
        out.replies.append(screens.language_picker())
    elif cmd == "hapus":
        out.replies.append(screens.erase_confirm())
    else:
        out.replies.append(Reply(N_("conv.unknown_command")))
        after.resume(out)


# --- inputs by mode -------------------------------------------------------------------------


def _on_report_input(out: Outcome, inp: Input) -> None:
    s = out.state
    r: dict[str, Any] = s["report"]
    if report.wants_cancel(r, inp):
        out.replies += screens.cancelled()
        s["report"], s["mode"] = None, "menu"
        return
    if inp.kind == "text" and looks_like_code(inp.text):
        # A ticket code is never a story: answer it and take it out of the chat.
        _check_code(out, inp.text, delete_input=True)
        return
    result = report.handle(r, inp)
    if result is None:
        after.explain_unexpected(out, inp)
        after.resume(out)
        return
    replies, effects = result
    out.replies += replies
    out.effects += effects


def _on_status_input(out: Outcome, inp: Input) -> None:
    if inp.kind == "choice" and inp.text == "status:back":
        after.after_status(out)
    elif inp.kind == "text" and inp.text.strip():
        # Someone typing their story here must not see it vanish: only code-like text goes.
        code_like = looks_like_code(inp.text) or len(inp.text) <= 64
        _check_code(out, inp.text, delete_input=code_like)
    else:
        after.explain_unexpected(out, inp)
        after.resume(out)


def _on_menu_input(out: Outcome, inp: Input) -> None:
    if inp.kind == "text" and looks_like_code(inp.text):
        # Someone pasting their code is asking for its status.
        _check_code(out, inp.text, delete_input=True)
        return
    if inp.kind in ("media", "choice"):
        after.explain_unexpected(out, inp)
    out.replies.append(screens.main_menu())


# --- Info & bantuan: short pages with next/back ----------------------------------------------


def _on_info_choice(out: Outcome, key: str) -> None:
    page = key.removeprefix("info:")
    if page == "close":
        after.resume(out)
    elif page.isascii() and page.isdigit() and int(page) < len(screens.PAGES):
        out.replies.append(screens.info_page(int(page), out.state["report"] is not None))
    else:
        out.replies.append(Reply(N_("conv.stale_button")))
        after.resume(out)


# --- status ---------------------------------------------------------------------------------


def _check_code(out: Outcome, text: str, *, delete_input: bool) -> None:
    if delete_input:
        out.effects.append(Effect("delete_input"))
    parsed = parse_code(text)
    if parsed is CodeError.CHECKSUM:
        out.state["mode"] = "status"
        out.replies.append(Reply(N_("status.code_typo")))
        out.replies.append(screens.ask_code())
    elif parsed is CodeError.FORMAT:
        out.state["mode"] = "status"
        out.replies.append(Reply(N_("status.code_format")))
        out.replies.append(screens.ask_code())
    else:
        out.effects.append(Effect("lookup_status", {"code": parsed}))


# --- effect results -------------------------------------------------------------------------


def _on_result(out: Outcome, res: EffectResult) -> None:
    if after.on_result(out, res):
        return
    s = out.state
    v = res.value
    if res.name == "status":
        said = followup.status_replies(v)
        # The ticket's reporter's register: a victim checking from a cleared chat is kamu.
        out.replies += register.kamu_words(said) if v.get("victim") else said
        if v.get("victim") and s["report"] is None:
            s["kamu"] = True
        if v.get("found") and not v.get("rate_limited"):
            s["unlocked"] = v["ticket_id"]
        after.after_status(out)
    elif res.name == "wiped":
        # The chat is cleared: nothing on screen or in the draft says what was reported.
        out.state = new_state()
        if s.get("locale"):
            out.state["locale"] = s["locale"]
        out.replies.append(Reply(N_("wipe.done")))
    elif res.name == "erased":
        # Everything about this person is gone, the draft and language choice included.
        out.state = new_state()
        out.replies += [
            Reply(N_("erase.done"), {"tickets": str(v["tickets"])})
            if v["tickets"]
            else Reply(N_("erase.done_none")),  # not "0 laporan" (an old button pressed again)
            screens.main_menu(),
        ]
    elif res.name == "submitted":
        s["report"], s["mode"] = None, "menu"
        s["sent_at"] = list(v.get("sent_at") or [])
        out.replies += screens.submitted(v)
    elif res.name == "submit_limited" and s["report"] is not None:
        # Kindly, with somewhere else to turn; the draft waits at its summary.
        out.replies += [
            Reply(N_("report.daily_limit"), {"hours": str(v["hours"])}),
            report.prompt(s["report"]),
        ]
    elif res.name == "code_reissued":
        out.replies.append(screens.code_reissued(v))
    elif res.name == "resume":
        after.resume(out)  # the question again (an answer lost to a crash)
    elif s["report"] is not None:
        result = report.handle(s["report"], res)
        if result is not None:
            out.replies += result[0]
            out.effects += result[1]
