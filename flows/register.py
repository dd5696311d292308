"""The register a person is spoken to in: "kamu" for a victim, "Anda" for everyone else.

A victim is spoken to as "kamu" from the moment they say they are the victim to the last
notice about their case, and no "saya" is put in their mouth: every message they can see has
a victim.* twin here. conversation.step applies it to what a reporter is told (the draft's
role, else the register the chat last had); notices about a ticket take its reporter's role.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flows.core import N_, Choice, Lines, Msg, Outcome, Param, Reply, State

KAMU = {
    # while reporting
    N_("report.summary"): N_("victim.summary"),
    N_("report.urgent_help"): N_("victim.urgent_help"),
    N_("report.cancelled"): N_("victim.cancelled"),
    N_("report.text_too_long"): N_("victim.text_too_long"),
    N_("report.daily_limit"): N_("victim.daily_limit"),
    N_("conv.draft_waiting"): N_("victim.draft_waiting"),
    N_("conv.draft_kept"): N_("victim.draft_kept"),
    N_("role.korban"): N_("victim.role_label"),
    N_("updates.ya"): N_("victim.updates_ya"),
    N_("evidence.warning"): N_("victim.evidence_warning"),
    N_("evidence.ask"): N_("victim.evidence_ask"),
    N_("evidence.video_refused"): N_("victim.video_refused"),
    N_("conv.media_not_accepted"): N_("victim.media_not_accepted"),
    N_("conv.media_short"): N_("victim.media_short"),
    N_("conv.use_buttons"): N_("victim.use_buttons"),
    N_("conv.no_words"): N_("victim.no_words"),
    N_("conv.stale_button"): N_("victim.stale_button"),
    N_("report.submitted"): N_("victim.submitted"),
    N_("report.held_note"): N_("victim.held_note"),
    N_("report.held_national"): N_("victim.held_national"),
    # after Kirim: the menu, the code, the status, staff's questions and the closing rating
    N_("menu.prompt"): N_("victim.menu_prompt"),
    N_("conv.welcome"): N_("victim.welcome"),
    N_("report.code_reissued"): N_("victim.code_reissued"),
    N_("status.ask_code"): N_("victim.ask_code"),
    N_("status.not_found"): N_("victim.not_found"),
    N_("status.found"): N_("victim.status_found"),
    N_("status.meaning.diterima"): N_("victim.meaning_diterima"),
    N_("followup.ask_answer"): N_("victim.followup_ask"),
    N_("followup.kept"): N_("victim.followup_kept"),
    N_("followup.stopped"): N_("victim.followup_stopped"),
    N_("notice.question"): N_("victim.notice_question"),
    N_("notice.rerouted"): N_("victim.notice_rerouted"),
    N_("feedback.ask"): N_("victim.feedback_ask"),
    N_("feedback.ask_comment"): N_("victim.feedback_comment"),
    N_("feedback.thanks"): N_("victim.feedback_thanks"),
    N_("erase.explain"): N_("victim.erase_explain"),
}


def is_victim(role: str | None) -> bool:
    return role == "korban"


def of_chat(s: State) -> bool:
    """A draft speaks in its reporter's register once they said who they are (not before:
    the role question is for everyone); without a draft, the chat keeps its last one."""
    if s["report"] is not None:
        return is_victim(s["report"]["a"].get("role"))
    return bool(s.get("kamu"))


def settled(out: Outcome, s: State, before: bool) -> Outcome:
    """The step's replies in the chat's register, and the register remembered for the next."""
    if out.state is not s:
        kamu = before  # wiped or erased: said as before, remembered no more
    else:
        if s["report"] is not None and s["report"]["a"].get("role"):
            s["kamu"] = of_chat(s)  # who they said they are, for after this report
        elif before and s["report"] is None:
            s["kamu"] = True  # a victim who sent or cancelled their report
        if not s.get("kamu"):
            s.pop("kamu", None)
        kamu = of_chat(s)
    if kamu:
        out.replies = kamu_words(out.replies)
    return out


def kamu_words(replies: Iterable[Reply]) -> list[Reply]:
    """The same replies, each message, parameter and button in the victim's words."""
    return [
        Reply(
            KAMU.get(r.msgid, r.msgid),
            _params(r.params),
            [[_choice(c) for c in row] for row in r.choices],
        )
        for r in replies
    ]


def _choice(c: Choice) -> Choice:
    if not c.msgid or c.msgid not in KAMU:
        return c
    return Choice(c.key, KAMU[c.msgid], _params(c.params), c.literal, c.url)


def _params(params: Mapping[str, Param]) -> dict[str, Param]:
    return {name: _param(value) for name, value in params.items()}


def _param(value: Any) -> Param:
    if isinstance(value, Msg):
        return Msg(KAMU.get(value.msgid, value.msgid), _params(value.params))
    if isinstance(value, Lines):
        return Lines(tuple((KAMU.get(label, label), _param(v)) for label, v in value.rows))
    return value
