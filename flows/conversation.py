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

from flows import followup, report, report_questions, screens
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
    if isinstance(inp, EffectResult):
        _on_result(out, inp)
    elif inp.kind == "command":
        _on_command(out, inp)
    elif inp.kind == "choice" and inp.text.startswith("menu:"):
        _on_command(out, Input.of_command(inp.text.removeprefix("menu:")))
    elif inp.kind == "choice" and inp.text.startswith("fu:"):
        _on_followup_choice(out, inp.text)
    elif inp.kind == "choice" and inp.text in ("lang:id", "lang:en"):
        s["locale"] = inp.text.removeprefix("lang:")
        out.replies.append(Reply(N_("lang.set")))
        _resume(out)
    elif inp.kind == "choice" and inp.text == "erase:yes":
        out.effects.append(Effect("erase_reporter"))
    elif inp.kind == "choice" and inp.text == "erase:no":
        out.replies.append(Reply(N_("erase.kept")))
        _resume(out)
    elif inp.kind == "choice" and inp.text.startswith("fb:"):
        _on_feedback_choice(out, inp.text)
    elif inp.kind == "choice" and inp.text.startswith("info:"):
        _on_info_choice(out, inp.text)
    elif inp.kind == "choice" and inp.text == report_questions.WIPE:
        out.replies.append(screens.wipe_confirm())
    elif inp.kind == "choice" and inp.text == "wipe:yes":
        out.effects.append(Effect("wipe_chat"))
    elif inp.kind == "choice" and inp.text == "wipe:no":
        _resume(out)
    elif s["mode"] == "feedback":
        _on_feedback_comment(out, inp)
    elif s["mode"] == "followup":
        _on_followup_input(out, inp)
    elif s["mode"] == "report":
        _on_report_input(out, inp)
    elif s["mode"] == "status":
        _on_status_input(out, inp)
    else:
        _on_menu_input(out, inp)
    return out


# --- what the person is waiting on ---------------------------------------------------------


def _resume(out: Outcome) -> None:
    """Put the pending question again: the draft's step, the code prompt, or the menu."""
    s = out.state
    if s["mode"] == "feedback" and s.get("feedback"):
        out.replies.append(followup.ask_comment())
    elif s["mode"] == "followup" and s.get("followup"):
        out.replies.append(followup.ask_answer(s["followup"]["case_number"]))
    elif s["mode"] == "status":
        out.replies.append(screens.ask_code())
    elif s["report"] is not None:
        s["mode"] = "report"
        out.replies.append(report.prompt(s["report"]))
    else:
        s["mode"] = "menu"
        out.replies.append(screens.main_menu())


def _after_status(out: Outcome) -> None:
    s = out.state
    s["mode"] = "report" if s["report"] else "menu"
    if s["report"]:
        out.replies.append(Reply(N_("conv.draft_kept")))
    _resume(out)


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
        answers = s["report"]["a"]
        out.replies.append(Reply(report_questions.for_role(answers, N_("conv.draft_waiting"))))
        _resume(out)
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
            _after_status(out)
        elif has_draft:
            out.replies += screens.cancelled(s["report"]["a"])
            s["report"], s["mode"] = None, "menu"
        else:
            out.replies += [Reply(N_("conv.nothing_to_cancel")), screens.main_menu()]
    elif cmd == "bahasa":
        out.replies.append(screens.language_picker())
    elif cmd == "hapus":
        out.replies.append(screens.erase_confirm())
    else:
        out.replies.append(Reply(N_("conv.unknown_command")))
        _resume(out)


# --- inputs by mode -------------------------------------------------------------------------


def _explain_unexpected(out: Outcome, inp: Input) -> None:
    draft = out.state.get("report") or {}
    replies, effects = screens.unexpected(draft.get("a", {}), inp)
    out.replies += replies
    out.effects += effects


def _on_report_input(out: Outcome, inp: Input) -> None:
    s = out.state
    r: dict[str, Any] = s["report"]
    if report.wants_cancel(r, inp):
        out.replies += screens.cancelled(r["a"])
        s["report"], s["mode"] = None, "menu"
        return
    if inp.kind == "text" and looks_like_code(inp.text):
        # A ticket code is never a story: answer it and take it out of the chat.
        _check_code(out, inp.text, delete_input=True)
        return
    result = report.handle(r, inp)
    if result is None:
        _explain_unexpected(out, inp)
        _resume(out)
        return
    replies, effects = result
    out.replies += replies
    out.effects += effects


def _on_status_input(out: Outcome, inp: Input) -> None:
    if inp.kind == "choice" and inp.text == "status:back":
        _after_status(out)
    elif inp.kind == "text" and inp.text.strip():
        # Someone typing their story here must not see it vanish: only code-like text goes.
        code_like = looks_like_code(inp.text) or len(inp.text) <= 64
        _check_code(out, inp.text, delete_input=code_like)
    else:
        _explain_unexpected(out, inp)
        _resume(out)


def _on_menu_input(out: Outcome, inp: Input) -> None:
    if inp.kind == "text" and looks_like_code(inp.text):
        # Someone pasting their code is asking for its status.
        _check_code(out, inp.text, delete_input=True)
        return
    if inp.kind in ("media", "choice"):
        _explain_unexpected(out, inp)
    out.replies.append(screens.main_menu())


# --- Info & bantuan: short pages with next/back ----------------------------------------------


def _on_info_choice(out: Outcome, key: str) -> None:
    page = key.removeprefix("info:")
    if page == "close":
        _resume(out)
    elif page.isascii() and page.isdigit() and int(page) < len(screens.PAGES):
        out.replies.append(screens.info_page(int(page), out.state["report"] is not None))
    else:
        out.replies.append(Reply(N_("conv.stale_button")))
        _resume(out)


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


# --- anonymous follow-up with the UPT ------------------------------------------------------
# Buttons: "fu:<ticket>" answer or add information, "fu:stop:<ticket>" end the conversation,
# "fu:cancel" leave without sending. The service checks every ticket id against the reporter.


def _on_followup_choice(out: Outcome, key: str) -> None:
    s = out.state
    if key == "fu:cancel" and s["mode"] == "followup":
        s.pop("followup", None)
        _after_status(out)
        return
    effect = followup.open_effect(key, s.get("unlocked"))
    if effect is None:
        out.replies.append(Reply(N_("conv.stale_button")))
        _resume(out)
    else:
        out.effects.append(effect)


def _on_followup_input(out: Outcome, inp: Input) -> None:
    fu = out.state["followup"]
    text = inp.text.strip() if inp.kind == "text" else ""
    if not text:
        _explain_unexpected(out, inp)
        _resume(out)
    elif len(text) > followup.FOLLOWUP_MAX:
        out.replies.append(
            Reply(
                N_("report.narrative_too_long"),
                {"length": str(len(text)), "max": str(followup.FOLLOWUP_MAX)},
            )
        )
    else:
        out.effects.append(Effect("relay_answer", {"ticket_id": fu["ticket_id"], "text": text}))


# --- closing feedback ---------------------------------------------------------------------
# "fb:<ticket>:<1-5>" a rating, "fb:skip" no comment. One optional question, asked once.


def _on_feedback_choice(out: Outcome, key: str) -> None:
    s = out.state
    if key == "fb:skip" and s["mode"] == "feedback":
        s.pop("feedback", None)
        out.replies.append(Reply(N_("feedback.thanks")))
        _after_status(out)
        return
    effect = followup.rating_effect(key)
    if effect is None:
        out.replies.append(Reply(N_("conv.stale_button")))
        _resume(out)
    else:
        out.effects.append(effect)


def _on_feedback_comment(out: Outcome, inp: Input) -> None:
    text = inp.text.strip() if inp.kind == "text" else ""
    if not text:
        _explain_unexpected(out, inp)
        _resume(out)
        return
    ticket_id = out.state["feedback"]["ticket_id"]
    out.effects.append(
        Effect("feedback_comment", {"ticket_id": ticket_id, "text": text[: followup.COMMENT_MAX]})
    )


# --- effect results -------------------------------------------------------------------------


def _on_result(out: Outcome, res: EffectResult) -> None:
    s = out.state
    v = res.value
    if res.name == "status":
        out.replies += followup.status_replies(v)
        if v.get("found") and not v.get("rate_limited"):
            s["unlocked"] = v["ticket_id"]
        _after_status(out)
    elif res.name == "followup":
        if not v.get("ok"):
            out.replies.append(Reply(N_("conv.stale_button")))
            _resume(out)
        elif v.get("stopped"):
            out.replies.append(Reply(N_("followup.stopped"), {"case_number": v["case_number"]}))
            _resume(out)
        else:
            s["mode"] = "followup"
            s["followup"] = {"ticket_id": v["ticket_id"], "case_number": v["case_number"]}
            out.replies.append(followup.ask_answer(v["case_number"]))
    elif res.name == "rated":
        if not v.get("ok"):
            out.replies.append(Reply(N_("conv.stale_button")))
            _resume(out)
        else:
            s["mode"], s["feedback"] = "feedback", {"ticket_id": v["ticket_id"]}
            out.replies.append(followup.ask_comment())
    elif res.name == "commented":
        s.pop("feedback", None)
        out.replies.append(Reply(N_("feedback.thanks")))
        _after_status(out)
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
            Reply(N_("erase.done"), {"tickets": str(v["tickets"])}),
            screens.main_menu(),
        ]
    elif res.name == "relayed":
        s.pop("followup", None)
        # "Sent" only when someone can read it now; otherwise it is kept with the case.
        said = N_("followup.sent") if v.get("received", True) else N_("followup.kept")
        out.replies.append(Reply(said, {"case_number": v["case_number"]}))
        _after_status(out)
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
    elif s["report"] is not None:
        result = report.handle(s["report"], res)
        if result is not None:
            out.replies += result[0]
            out.effects += result[1]
