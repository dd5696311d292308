"""The fixed screens of a reporter's conversation: the menu, the Info & bantuan pages, the
confirmations, and what a sent report says. Reply builders only; conversation.py decides when.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flows import report_questions
from flows.codes import format_code
from flows.core import N_, Choice, Effect, Input, Reply
from flows.help import PAGES


def main_menu() -> Reply:
    return Reply(
        N_("menu.prompt"),
        choices=[
            [Choice("menu:lapor", N_("menu.lapor"))],
            [Choice("menu:status", N_("menu.status")), Choice("menu:bantuan", N_("menu.bantuan"))],
        ],
    )


def info_page(n: int, has_draft: bool) -> Reply:
    n = min(max(n, 0), len(PAGES) - 1)
    nav = []
    if n > 0:
        nav.append(Choice(f"info:{n - 1}", N_("info.prev")))
    if n + 1 < len(PAGES):
        nav.append(Choice(f"info:{n + 1}", N_("info.next")))
    close = N_("info.back_to_report") if has_draft else N_("info.back_to_menu")
    return Reply(
        PAGES[n],
        {},
        [nav, [Choice("info:close", close)]] if nav else [[Choice("info:close", close)]],
    )


def ask_code() -> Reply:
    return Reply(N_("status.ask_code"), choices=[[Choice("status:back", N_("status.back"))]])


def language_picker() -> Reply:
    return Reply(
        N_("lang.ask"), {}, [[Choice("lang:id", N_("lang.id")), Choice("lang:en", N_("lang.en"))]]
    )


def erase_confirm() -> Reply:
    return Reply(
        N_("erase.explain"),
        {},
        [[Choice("erase:yes", N_("erase.yes"))], [Choice("erase:no", N_("erase.no"))]],
    )


def wipe_confirm() -> Reply:
    return Reply(
        N_("victim.wipe_confirm"),
        {},
        [[Choice("wipe:yes", N_("wipe.yes"))], [Choice("wipe:no", N_("wipe.no"))]],
    )


def submitted(v: Mapping[str, Any]) -> list[Reply]:
    """The code (shown once, never stored in the clear), the case and who received it."""
    replies = [
        Reply(
            N_("report.submitted"),
            {"code": format_code(v["code"]), "case_number": v["case_number"], "upt": v["upt_name"]},
        )
    ]
    if v.get("counsel"):
        replies.append(Reply(N_("victim.counsel_note")))
    if not v["connected"]:
        # Held at SAPA 129 itself (no place, or nobody anywhere): not "this region's staff".
        national = v.get("national", False)
        replies.append(Reply(N_("report.held_national") if national else N_("report.held_note")))
    replies.append(main_menu())
    return replies


def code_reissued(v: Mapping[str, Any]) -> Reply:
    return Reply(
        N_("report.code_reissued"),
        {"code": format_code(v["code"]), "case_number": v["case_number"]},
    )


def unexpected(inp: Input) -> tuple[list[Reply], list[Effect]]:
    """What an input the current question cannot take is told (the draft is kept): a video
    is deleted at once, a picture gets the warning, anything else a short line."""
    if inp.kind == "media" and inp.text in report_questions.MOVING_PICTURES:
        return [Reply(N_("evidence.video_refused"))], [Effect("delete_input")]
    if inp.kind == "media":
        picture = inp.text in report_questions.MAYBE_PICTURES
        said = N_("conv.media_not_accepted") if picture else N_("conv.media_short")
        return [Reply(said)], []
    if inp.kind == "choice":
        return [Reply(N_("conv.stale_button"))], []
    if inp.kind == "text" and any(ch.isalnum() for ch in inp.text):
        return [Reply(N_("conv.use_buttons"))], []
    if inp.kind == "text" and inp.text.strip():
        return [Reply(N_("conv.no_words"))], []  # "...", "😡": nothing a person can act on
    return [Reply(N_("conv.empty_text"))], []


def cancelled() -> list[Reply]:
    """The report is dropped (a victim is still spoken to as kamu when they stop)."""
    return [Reply(N_("report.cancelled")), main_menu()]
