"""A victim is spoken to as "kamu" after Kirim too (issue 13, item 9): the chat keeps the
register of the last report's role until it is wiped or erased, a status look-up takes the
ticket's, and notices about a victim's ticket are in their words (flows/register.py)."""

from __future__ import annotations

from typing import Any

import pytest

from flows import register
from flows.casework import notices
from flows.conversation import step
from flows.core import EffectResult, Input, Stamp
from tests.flows.test_conversation import VALID_CODE, run

VICTIM_SENT = [
    "/lapor",
    "[role:korban]",
    "[safe:aman]",
    "[purpose:lapor]",
    "[age:13_15]",
    "[category:grooming]",
    "[skip]",  # no evidence
    "[platform:michat]",
    "sidoarjo",
    "[pick:35.15]",
    "[dskip]",
    "Ada orang yang terus mengirimiku pesan.",
    "[when:minggu_ini]",
    "[updates:ya]",
    "[submit]",
]


def test_a_victims_report_ends_in_their_words() -> None:
    state, shown, last = run(VICTIM_SENT)
    assert shown[-1] == ["victim.submitted", "victim.held_note", "victim.menu_prompt"]
    assert state["kamu"] is True
    assert last[-1].choices[0][0].msgid == "menu.lapor"


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (["/start"], ["victim.welcome", "victim.menu_prompt"]),
        (["[menu:status]"], ["victim.ask_code"]),
        ([f"/status {VALID_CODE}"], ["victim.status_found", "victim.menu_prompt"]),
        (["/status 222222222222"], ["status.code_typo", "victim.ask_code"]),
        (["/hapus"], ["victim.erase_explain"]),
        (["/lapor"], ["report.intro", "report.ask_role"]),  # before they say who they are
        (["/lapor", "[role:umum]"], ["report.ask_danger"]),
        (
            ["/lapor", "[role:korban]", "[safe:aman]", "/batal"],
            ["victim.cancelled"] + ["victim.menu_prompt"],
        ),
    ],
)
def test_after_kirim_a_victims_chat_stays_kamu(after: list[str], expected: list[str]) -> None:
    state, _, _ = run(VICTIM_SENT)
    _, shown, _ = run(after, state)
    assert shown[-1] == expected


def test_reporting_for_someone_else_brings_back_anda() -> None:
    state, _, _ = run(VICTIM_SENT)
    state, _, _ = run(["/lapor", "[role:umum]", "/batal"], state)
    assert "kamu" not in state
    _, shown, _ = run(["[menu:status]"], state)
    assert shown == [["status.ask_code"]]


@pytest.mark.parametrize("result", ["wiped", "erased"])
def test_a_wiped_or_erased_chat_forgets_the_register(result: str) -> None:
    state, _, _ = run(VICTIM_SENT)
    out = step(state, EffectResult(result, {"tickets": 1}))
    assert "kamu" not in out.state
    # The goodbye itself is still in their words.
    said = {"wiped": "wipe.done", "erased": "victim.menu_prompt"}[result]
    assert out.replies[-1].msgid == said
    _, shown, _ = run(["/start"], out.state)
    assert shown == [["conv.welcome", "menu.prompt"]]


def _status(victim: bool) -> EffectResult:
    return EffectResult(
        "status",
        {
            "found": True,
            "ticket_id": 1,
            "questions": ["Apakah kamu aman sekarang?"],
            "can_followup": True,
            "case_number": "PPA-3515-2026-000001",
            "status": "diterima",
            "upt_name": "UPTD PPA Kabupaten Sidoarjo",
            "timezone": "Asia/Jakarta",
            "changed_at": "2026-11-23T10:00:00+00:00",
            "victim": victim,
        },
    )


@pytest.mark.parametrize("victim", [True, False])
def test_a_status_look_up_speaks_in_the_tickets_register(victim: bool) -> None:
    """From a fresh chat (a wiped one, another phone): the ticket says who reported it."""
    out = step(None, Input.of_command("status"))
    out = step(out.state, _status(victim))
    found = out.replies[0]
    assert found.msgid == ("victim.status_found" if victim else "status.found")
    meaning: Any = found.params["meaning"]
    assert meaning.msgid == ("victim.meaning_diterima" if victim else "status.meaning.diterima")
    assert out.replies[-1].msgid == ("victim.menu_prompt" if victim else "menu.prompt")
    assert out.state.get("kamu", False) is victim


def test_notices_about_a_victims_ticket_are_in_their_words() -> None:
    asked = notices.question(
        1, "PPA-1", "Apakah kamu aman?", Stamp("2026-11-23T10:00:00+00:00", "Asia/Jakarta")
    )
    [question] = register.kamu_words([asked])
    assert question.msgid == "victim.notice_question"
    assert [c.key for row in question.choices for c in row] == ["fu:1", "fu:stop:1"]
    [rating] = register.kamu_words([notices.ask_feedback(1, "PPA-1")])
    assert rating.msgid == "victim.feedback_ask"
    [status] = register.kamu_words(notices.status_notice("PPA-1", "diterima", None))
    assert status.params["meaning"] == type(status.params["meaning"])("victim.meaning_diterima")
    [moved] = register.kamu_words([notices.rerouted("PPA-1", "UPTD PPA Jawa Timur")])
    assert moved.msgid == "victim.notice_rerouted"


def test_every_victim_twin_exists_in_both_catalogs() -> None:
    from tests.locales.test_catalogs import catalog

    for locale in ("id", "en"):
        words = catalog(locale)
        missing = {twin for twin in register.KAMU.values() if twin not in words}
        assert not missing, locale
