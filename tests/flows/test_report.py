"""The report draft's own rules: what is kept, what is shown, and repairs of odd drafts."""

from __future__ import annotations

from typing import Any

import pytest

from flows import report, report_kept, report_questions
from flows.conversation import step
from flows.core import Input, Msg
from tests.flows.test_conversation import NARRATIVE_AT, TO_PLACE, TO_SUMMARY, run


def draft_after(inputs: list[str]) -> dict[str, Any]:
    state, _, _ = run(inputs)
    return state["report"]


def test_long_evidence_is_capped_when_kept_and_counted_when_shown() -> None:
    links = [f"https://t.me/akun_{n:03d}_" + "x" * 200 for n in range(30)]
    r = draft_after([*TO_PLACE[:-2], *links])
    items = r["ev"]["items"]
    assert sum(len(i["value"]) for i in items) <= report_questions.EVIDENCE_MAX_CHARS
    _, shown, _ = run([*TO_PLACE[:-2], *links, "https://t.me/satu_lagi_" + "y" * 250])
    assert shown[-1] == ["evidence.too_many"]
    shown_block = report._evidence_prompt(r).params["items"]
    assert isinstance(shown_block, Msg) and shown_block.msgid == "evidence.more"
    assert len(str(shown_block.params["shown"])) <= report_questions.EVIDENCE_SHOWN_CHARS
    assert int(str(shown_block.params["count"])) == len(items) - str(
        shown_block.params["shown"]
    ).count("•")


def test_an_urgent_report_keeps_what_was_answered_and_ubah_can_add_more() -> None:
    # Evidence given, then the danger changed to "now" from the summary.
    r = draft_after([*TO_PLACE[:-2], "wa.me/6281234567890", "[ev:done]", *TO_SUMMARY[-6:]])
    assert r["step"] == "summary"
    state = {"v": 1, "mode": "report", "report": r, "locale": "id"}
    for key in ("edit", "edit:danger", "danger:ya"):
        state = step(state, Input.of_choice(key)).state
    r = state["report"]
    assert r["step"] == "summary" and report_questions.is_urgent(r["a"])
    kept = report_kept.details(r["a"])
    assert kept["evidence"][0]["value"] == "https://wa.me/6281234567890"
    assert kept["relation"] == "tetangga" and r["a"]["category"] == "prostitusi_online"
    menu = step(state, Input.of_choice("edit")).replies[0]
    offered = {c.key for row in menu.choices for c in row}
    assert {"edit:category", "edit:evidence", "edit:relation"} <= offered


@pytest.mark.parametrize(
    ("answers", "unasked"),
    [
        # the urgent path never asks what happened or when: the card must not say "Lainnya"
        ({"role": "umum", "danger": "ya", "place": None, "narrative": "x"}, ["category", "when"]),
        ({"role": "korban", "safe": "aman", "purpose": "bicara"}, ["category", "when"]),
        # pressed Lewati: asked, and the card says what the ticket keeps
        ({"role": "umum", "danger": "tidak", "category": None, "when": None}, None),
        ({"role": "umum", "danger": "ya", "category": "grooming"}, ["when"]),
    ],
)
def test_the_ticket_knows_which_of_its_columns_were_never_asked(
    answers: dict[str, Any], unasked: list[str] | None
) -> None:
    assert report_kept.details(answers).get("unasked") == unasked


@pytest.mark.parametrize(
    ("answers", "urgent", "next_question"),
    [
        # an old draft: the victim's urgency was once asked as "danger"
        ({"role": "korban", "danger": "ya", "category": "grooming"}, False, "victim.ask_safe"),
        ({"role": "korban", "safe": "tidak"}, True, "victim.ask_place"),
        ({"role": "umum", "safe": "tidak"}, False, "report.ask_danger"),
        ({"role": "xyz", "danger": "ya"}, False, "report.ask_role"),
    ],
)
def test_old_or_odd_drafts_are_repaired(
    answers: dict[str, Any], urgent: bool, next_question: str
) -> None:
    state = {"v": 1, "mode": "report", "report": {"id": "x", "step": "nope", "a": answers}}
    out = step(state, Input.of_command("lapor"))
    a = out.state["report"]["a"]
    assert report_questions.is_urgent(a) is urgent
    assert [r.msgid for r in out.replies][-1] == next_question
    assert "danger" not in a or a.get("role") != "korban"


@pytest.mark.parametrize(
    "inputs",
    [
        [*TO_SUMMARY, "[cancel]", "[skip]"],  # skip never answers "cancel?" for the person
        [*TO_SUMMARY, "[edit]", "[skip]"],
        ["/lapor", "[skip]"],  # nor the role
        ["/lapor", "[role:umum]", "[info:²]"],  # a forged page number
        ["/lapor", "[role:umum]", "[fu:²]"],
        ["/lapor", "[role:umum]", "[fb:²:5]"],
    ],
)
def test_forged_or_misplaced_buttons_change_nothing(inputs: list[str]) -> None:
    before, _, _ = run(inputs[:-1])
    after, shown, _ = run(inputs[-1:], before)
    assert shown[-1][0] == "conv.stale_button"
    assert after["report"]["a"] == before["report"]["a"]
    assert after["report"]["step"] == before["report"]["step"]


KEPT_STORY = "Ada akun yang menawarkan anak."
TO_AGE = ["/lapor", "[role:keluarga]", "[danger:tidak]", "[relation:orang_tua]"]


@pytest.mark.parametrize(
    ("inputs", "shown", "step", "kept"),
    [
        # Ubah on the story, then the way past it: the story stays as it was.
        (
            [*TO_SUMMARY, "[edit]", "[edit:narrative]", "[skip]"],
            ["report.summary"],
            "summary",
            {"narrative": KEPT_STORY},
        ),
        # Ubah on a question never answered (skipped): Lewati is still a skip.
        (
            [*TO_SUMMARY[:-1], "[skip]", "[edit]", "[edit:updates]", "[skip]"],
            ["report.summary"],
            "summary",
            {"updates": None},
        ),
        # Dots, spaces or an emoji say nothing: the question again, nothing kept.
        ([*TO_SUMMARY[:NARRATIVE_AT], "  ...  "], ["conv.no_words"], "narrative", {}),
        ([*TO_SUMMARY[:NARRATIVE_AT], "🏫😡"], ["conv.no_words"], "narrative", {}),
        # An age typed in years is the band it falls in.
        ([*TO_AGE, "14"], ["report.ask_category"], "category", {"age": "13_15"}),
        ([*TO_AGE, "9 tahun"], ["report.ask_category"], "category", {"age": "lt13"}),
        ([*TO_AGE, "400"], ["conv.use_buttons", "report.ask_age"], "age", {}),
        # Danger answered by typing: yes and no in plain words; anything else may be a cry for
        # help, so the emergency numbers come before the question again.
        (["/lapor", "[role:umum]", "ya"], ["report.urgent_help"], "place", {"danger": "ya"}),
        (
            ["/lapor", "[role:umum]", "Tidak."],
            ["report.ask_relation"],
            "relation",
            {"danger": "tidak"},
        ),
        (
            ["/lapor", "[role:umum]", "tolong ada anak dipaksa"],
            ["report.urgent_help", "report.ask_danger"],
            "danger",
            {},
        ),
        (
            ["/lapor", "[role:korban]", "aku takut"],
            ["victim.urgent_help", "victim.ask_safe"],
            "safe",
            {},
        ),
    ],
)
def test_what_an_edit_or_an_odd_answer_keeps(
    inputs: list[str], shown: list[str], step: str, kept: dict[str, Any]
) -> None:
    state, seen, _ = run(inputs)
    assert seen[-1][: len(shown)] == shown
    r = state["report"]
    assert r["step"] == step
    for field, value in kept.items():
        assert r["a"][field] == value
    if not kept:
        assert step not in r["a"]  # nothing taken from the odd answer


def test_ubah_on_an_answered_question_offers_to_keep_it() -> None:
    state, _, last = run([*TO_SUMMARY, "[edit]", "[edit:narrative]"])
    labels = [c.msgid for row in last[-1].choices for c in row]
    assert labels == ["report.keep"]
    state, _, last = run(["[edit]", "[edit:relation]"], state=_at_summary(state))
    assert [c.msgid for c in last[-1].choices[-1]] == ["report.keep"]


def _at_summary(state: dict[str, Any]) -> dict[str, Any]:
    return run(["[skip]"], state=state)[0]
