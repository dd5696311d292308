"""After a report: the anonymous follow-up with the UPT and the closing feedback, and how any
step puts the pending question again. Part of `conversation.step` (see conversation.md).

Follow-up buttons: "fu:<ticket>" answer or add information, "fu:stop:<ticket>" end the
conversation, "fu:cancel" leave without sending. The service checks every ticket id against
the reporter. Feedback: "fb:<ticket>:<1-5>" a rating, "fb:skip" no comment; one optional
question, asked once.
"""

from __future__ import annotations

from flows import followup, report, screens
from flows.core import N_, Effect, EffectResult, Input, Outcome, Reply


def resume(out: Outcome) -> None:
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


def after_status(out: Outcome) -> None:
    """Back from a side trip (a status check, a follow-up, feedback) to the draft or menu."""
    s = out.state
    s["mode"] = "report" if s["report"] else "menu"
    if s["report"]:
        out.replies.append(Reply(N_("conv.draft_kept")))
    resume(out)


def explain_unexpected(out: Outcome, inp: Input) -> None:
    replies, effects = screens.unexpected(inp)
    out.replies += replies
    out.effects += effects


def _stale(out: Outcome) -> None:
    out.replies.append(Reply(N_("conv.stale_button")))
    resume(out)


# --- anonymous follow-up with the UPT ------------------------------------------------------


def on_followup_choice(out: Outcome, key: str) -> None:
    s = out.state
    if key == "fu:cancel" and s["mode"] == "followup":
        s.pop("followup", None)
        after_status(out)
        return
    effect = followup.open_effect(key, s.get("unlocked"))
    if effect is None:
        _stale(out)
    else:
        out.effects.append(effect)


def on_followup_input(out: Outcome, inp: Input) -> None:
    fu = out.state["followup"]
    text = inp.text.strip() if inp.kind == "text" else ""
    if not text:
        explain_unexpected(out, inp)
        resume(out)
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


def on_feedback_choice(out: Outcome, key: str) -> None:
    s = out.state
    if key == "fb:skip" and s["mode"] == "feedback":
        s.pop("feedback", None)
        out.replies.append(Reply(N_("feedback.thanks")))
        after_status(out)
        return
    effect = followup.rating_effect(key)
    if effect is None:
        _stale(out)
    else:
        out.effects.append(effect)


def on_feedback_comment(out: Outcome, inp: Input) -> None:
    text = inp.text.strip() if inp.kind == "text" else ""
    if not text:
        explain_unexpected(out, inp)
        resume(out)
        return
    ticket_id = out.state["feedback"]["ticket_id"]
    out.effects.append(
        Effect("feedback_comment", {"ticket_id": ticket_id, "text": text[: followup.COMMENT_MAX]})
    )


# --- their effects' results ----------------------------------------------------------------


def on_result(out: Outcome, res: EffectResult) -> bool:
    """A follow-up or feedback effect's result; False when `res` is not one of theirs."""
    s = out.state
    v = res.value
    if res.name == "followup":
        if not v.get("ok"):
            _stale(out)
        elif v.get("stopped"):
            out.replies.append(Reply(N_("followup.stopped"), {"case_number": v["case_number"]}))
            resume(out)
        else:
            s["mode"] = "followup"
            s["followup"] = {"ticket_id": v["ticket_id"], "case_number": v["case_number"]}
            out.replies.append(followup.ask_answer(v["case_number"]))
    elif res.name == "relayed":
        s.pop("followup", None)
        # "Sent" only when someone can read it now; otherwise it is kept with the case.
        said = N_("followup.sent") if v.get("received", True) else N_("followup.kept")
        out.replies.append(Reply(said, {"case_number": v["case_number"]}))
        after_status(out)
    elif res.name == "rated":
        if not v.get("ok"):
            _stale(out)
        else:
            s["mode"], s["feedback"] = "feedback", {"ticket_id": v["ticket_id"]}
            out.replies.append(followup.ask_comment())
    elif res.name == "commented":
        s.pop("feedback", None)
        out.replies.append(Reply(N_("feedback.thanks")))
        after_status(out)
    else:
        return False
    return True
