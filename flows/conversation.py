"""One reporter's whole conversation: the menu, commands, the report draft and status checks.

`step(state, input)` is the only entry point. The state is a JSON-safe dict:
  {"v": 1, "mode": "menu"|"report"|"status", "report": draft|None}
A draft survives anything but /batal or a sent report: commands, stickers, stale buttons and
status checks mid-report all answer and then put the same question again.
See conversation.md for the diagram.
"""

from __future__ import annotations

import copy
from typing import Any

from flows import help as info
from flows import report
from flows.casework import STATUS_LABELS, STATUS_MEANINGS
from flows.codes import CodeError, format_code, looks_like_code, parse_code
from flows.core import N_, Choice, Effect, EffectResult, Input, Msg, Outcome, Reply, Stamp, State

VERSION = 1


def new_state() -> State:
    return {"v": VERSION, "mode": "menu", "report": None}


def main_menu() -> Reply:
    return Reply(
        N_("menu.prompt"),
        choices=[
            [Choice("menu:lapor", N_("menu.lapor"))],
            [Choice("menu:status", N_("menu.status")), Choice("menu:bantuan", N_("menu.bantuan"))],
        ],
    )


def step(state: State | None, inp: Input | EffectResult) -> Outcome:
    """Advance the conversation by one input (or one effect's result)."""
    s = copy.deepcopy(state) if state and state.get("v") == VERSION else new_state()
    if s["report"] is not None:
        try:
            report.prompt(s["report"])
            if (
                s["report"]["step"] == "summary"
                and report.first_unanswered(s["report"]) != "summary"
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
    elif inp.kind == "choice" and inp.text == report.WIPE:
        out.replies.append(
            Reply(
                N_("wipe.confirm"),
                {},
                [[Choice("wipe:yes", N_("wipe.yes"))], [Choice("wipe:no", N_("wipe.no"))]],
            )
        )
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
        out.replies.append(_ask_comment())
    elif s["mode"] == "followup" and s.get("followup"):
        out.replies.append(_ask_answer(s["followup"]["case_number"]))
    elif s["mode"] == "status":
        out.replies.append(_ask_code_again())
    elif s["report"] is not None:
        s["mode"] = "report"
        out.replies.append(report.prompt(s["report"]))
    else:
        s["mode"] = "menu"
        out.replies.append(main_menu())


def _after_status(out: Outcome) -> None:
    s = out.state
    s["mode"] = "report" if s["report"] else "menu"
    if s["report"]:
        out.replies.append(Reply(N_("conv.draft_kept")))
    _resume(out)


# --- commands (and the main-menu buttons, which mean the same) ------------------------------


def _on_command(out: Outcome, inp: Input) -> None:
    s = out.state
    cmd = inp.command
    has_draft = s["report"] is not None
    if cmd in ("start", "lapor") and has_draft:
        if s["mode"] == "status":
            s["mode"] = "report"
        out.replies.append(Reply(N_("conv.draft_waiting")))
        _resume(out)
    elif cmd == "start":
        out.replies += [Reply(N_("conv.welcome")), main_menu()]
    elif cmd == "lapor":
        s["report"] = report.new_draft()
        s["mode"] = "report"
        out.replies += [Reply(N_("report.intro")), report.prompt(s["report"])]
    elif cmd == "status":
        if inp.text.strip():
            _check_code(out, inp.text, delete_input=True)
        else:
            s["mode"] = "status"
            out.replies.append(_ask_code_again())
    elif cmd == "bantuan":
        out.replies.append(info_page(0, has_draft))
    elif cmd == "batal":
        if s["mode"] in ("status", "followup", "feedback"):
            s.pop("followup", None)
            s.pop("feedback", None)
            _after_status(out)
        elif has_draft:
            s["report"], s["mode"] = None, "menu"
            out.replies += [Reply(N_("report.cancelled")), main_menu()]
        else:
            out.replies += [Reply(N_("conv.nothing_to_cancel")), main_menu()]
    elif cmd == "bahasa":
        out.replies.append(
            Reply(
                N_("lang.ask"),
                {},
                [[Choice("lang:id", N_("lang.id")), Choice("lang:en", N_("lang.en"))]],
            )
        )
    elif cmd == "hapus":
        out.replies.append(
            Reply(
                N_("erase.explain"),
                {},
                [[Choice("erase:yes", N_("erase.yes"))], [Choice("erase:no", N_("erase.no"))]],
            )
        )
    else:
        out.replies.append(Reply(N_("conv.unknown_command")))
        _resume(out)


# --- inputs by mode -------------------------------------------------------------------------


def _explain_unexpected(out: Outcome, inp: Input) -> None:
    if inp.kind == "media" and inp.text in report.MOVING_PICTURES:
        draft = out.state.get("report") or {}
        out.replies.append(Reply(report.for_role(draft.get("a", {}), N_("evidence.video_refused"))))
        out.effects.append(Effect("delete_input"))
    elif inp.kind == "media":
        draft = out.state.get("report") or {}
        out.replies.append(
            Reply(report.for_role(draft.get("a", {}), N_("conv.media_not_accepted")))
        )
    elif inp.kind == "choice":
        out.replies.append(Reply(N_("conv.stale_button")))
    elif inp.kind == "text" and inp.text.strip():
        out.replies.append(Reply(N_("conv.use_buttons")))
    else:
        out.replies.append(Reply(N_("conv.empty_text")))


def _on_report_input(out: Outcome, inp: Input) -> None:
    s = out.state
    r: dict[str, Any] = s["report"]
    if report.wants_cancel(r, inp):
        s["report"], s["mode"] = None, "menu"
        out.replies += [Reply(N_("report.cancelled")), main_menu()]
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
    out.replies.append(main_menu())


# --- Info & bantuan: short pages with next/back ----------------------------------------------


def info_page(n: int, has_draft: bool) -> Reply:
    n = min(max(n, 0), len(info.PAGES) - 1)
    nav = []
    if n > 0:
        nav.append(Choice(f"info:{n - 1}", N_("info.prev")))
    if n + 1 < len(info.PAGES):
        nav.append(Choice(f"info:{n + 1}", N_("info.next")))
    close = N_("info.back_to_report") if has_draft else N_("info.back_to_menu")
    return Reply(
        info.PAGES[n],
        {},
        [nav, [Choice("info:close", close)]] if nav else [[Choice("info:close", close)]],
    )


def _on_info_choice(out: Outcome, key: str) -> None:
    page = key.removeprefix("info:")
    if page == "close":
        _resume(out)
    elif page.isascii() and page.isdigit() and int(page) < len(info.PAGES):
        out.replies.append(info_page(int(page), out.state["report"] is not None))
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
        out.replies.append(_ask_code_again())
    elif parsed is CodeError.FORMAT:
        out.state["mode"] = "status"
        out.replies.append(Reply(N_("status.code_format")))
        out.replies.append(_ask_code_again())
    else:
        out.effects.append(Effect("lookup_status", {"code": parsed}))


def _ask_code_again() -> Reply:
    return Reply(N_("status.ask_code"), choices=[[Choice("status:back", N_("status.back"))]])


# --- anonymous follow-up with the UPT ------------------------------------------------------
# Buttons: "fu:<ticket>" answer or add information, "fu:stop:<ticket>" end the conversation,
# "fu:cancel" leave without sending. The service checks every ticket id against the reporter.

FOLLOWUP_MAX = 2000


def _ask_answer(case_number: str) -> Reply:
    return Reply(
        N_("followup.ask_answer"),
        {"case_number": case_number},
        [[Choice("fu:cancel", N_("followup.cancel"))]],
    )


def _on_followup_choice(out: Outcome, key: str) -> None:
    s = out.state
    parts = key.split(":")
    if key == "fu:cancel" and s["mode"] == "followup":
        s.pop("followup", None)
        _after_status(out)
        return
    stop = len(parts) == 3 and parts[1] == "stop"
    ticket = parts[-1]
    numeric = ticket.isascii() and ticket.isdigit() and len(ticket) <= 12
    if len(parts) not in (2, 3) or not numeric or (len(parts) == 3 and not stop):
        out.replies.append(Reply(N_("conv.stale_button")))
        _resume(out)
        return
    unlocked = s.get("unlocked") == int(ticket)  # opened with the code in this chat
    out.effects.append(
        Effect("open_followup", {"ticket_id": int(ticket), "stop": stop, "unlocked": unlocked})
    )


def _on_followup_input(out: Outcome, inp: Input) -> None:
    fu = out.state["followup"]
    text = inp.text.strip() if inp.kind == "text" else ""
    if not text:
        _explain_unexpected(out, inp)
        _resume(out)
    elif len(text) > FOLLOWUP_MAX:
        out.replies.append(
            Reply(
                N_("report.narrative_too_long"),
                {"length": str(len(text)), "max": str(FOLLOWUP_MAX)},
            )
        )
    else:
        out.effects.append(Effect("relay_answer", {"ticket_id": fu["ticket_id"], "text": text}))


# --- closing feedback ---------------------------------------------------------------------
# "fb:<ticket>:<1-5>" a rating, "fb:skip" no comment. One optional question, asked once.

COMMENT_MAX = 1000


def _ask_comment() -> Reply:
    return Reply(N_("feedback.ask_comment"), {}, [[Choice("fb:skip", N_("feedback.skip"))]])


def _on_feedback_choice(out: Outcome, key: str) -> None:
    s = out.state
    if key == "fb:skip" and s["mode"] == "feedback":
        s.pop("feedback", None)
        out.replies.append(Reply(N_("feedback.thanks")))
        _after_status(out)
        return
    parts = key.split(":")
    numeric = parts[1].isascii() and parts[1].isdigit() and len(parts[1]) <= 12
    if len(parts) == 3 and numeric and parts[2] in ("1", "2", "3", "4", "5"):
        out.effects.append(
            Effect("rate_service", {"ticket_id": int(parts[1]), "score": int(parts[2])})
        )
        return
    out.replies.append(Reply(N_("conv.stale_button")))
    _resume(out)


def _on_feedback_comment(out: Outcome, inp: Input) -> None:
    text = inp.text.strip() if inp.kind == "text" else ""
    if not text:
        _explain_unexpected(out, inp)
        _resume(out)
        return
    ticket_id = out.state["feedback"]["ticket_id"]
    out.effects.append(
        Effect("feedback_comment", {"ticket_id": ticket_id, "text": text[:COMMENT_MAX]})
    )


# --- effect results -------------------------------------------------------------------------


def _on_result(out: Outcome, res: EffectResult) -> None:
    s = out.state
    v = res.value
    if res.name == "status":
        if v.get("rate_limited"):
            out.replies.append(Reply(N_("status.rate_limited"), {"seconds": str(v["retry_in"])}))
        elif not v.get("found"):
            out.replies.append(Reply(N_("status.not_found")))
        else:
            # "Tambah informasi" sits on the last thing read: the status, or the last question.
            add_info = (
                [[Choice(f"fu:{v['ticket_id']}", N_("status.add_info"))]]
                if v.get("can_followup")
                else []
            )
            questions = v.get("questions", [])
            out.replies.append(
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
            )
            s["unlocked"] = v["ticket_id"]
            for n, question in enumerate(questions, start=1):
                last = n == len(questions)
                out.replies.append(
                    Reply(N_("status.question"), {"question": question}, add_info if last else [])
                )
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
            out.replies.append(_ask_answer(v["case_number"]))
    elif res.name == "rated":
        if not v.get("ok"):
            out.replies.append(Reply(N_("conv.stale_button")))
            _resume(out)
        else:
            s["mode"], s["feedback"] = "feedback", {"ticket_id": v["ticket_id"]}
            out.replies.append(_ask_comment())
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
        out.replies += [Reply(N_("erase.done"), {"tickets": str(v["tickets"])}), main_menu()]
    elif res.name == "relayed":
        s.pop("followup", None)
        out.replies.append(Reply(N_("followup.sent"), {"case_number": v["case_number"]}))
        _after_status(out)
    elif res.name == "submitted":
        s["report"], s["mode"] = None, "menu"
        out.replies.append(
            Reply(
                N_("report.submitted"),
                {
                    "code": format_code(v["code"]),
                    "case_number": v["case_number"],
                    "upt": v["upt_name"],
                },
            )
        )
        if v.get("counsel"):
            out.replies.append(Reply(N_("victim.counsel_note")))
        if not v["connected"]:
            out.replies.append(Reply(N_("report.held_note")))
        out.replies.append(main_menu())
    elif res.name == "code_reissued":
        out.replies.append(
            Reply(
                N_("report.code_reissued"),
                {"code": format_code(v["code"]), "case_number": v["case_number"]},
            )
        )
    elif s["report"] is not None:
        result = report.handle(s["report"], res)
        if result is not None:
            out.replies += result[0]
            out.effects += result[1]
