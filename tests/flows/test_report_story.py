"""A story pasted longer than one Telegram message (issue 13, item 9): its parts are joined,
the limit applies to the whole, and the person chooses what is kept."""

from __future__ import annotations

from flows import report_story
from flows.report_story import KEEP_START, REWRITE, on_choice, on_text

LIMIT = 2000
HEAD = "a" * 4096  # Telegram cut the paste here
TAIL = "b" * 904


def test_a_story_within_the_limit_is_left_to_the_caller() -> None:
    r: dict = {}
    assert on_text(r, "Ada akun yang menawarkan anak.", LIMIT) is None
    assert "story" not in r


def test_the_parts_of_one_paste_are_joined_and_the_person_chooses() -> None:
    r: dict = {}
    [first] = on_text(r, HEAD, LIMIT) or []
    assert first.msgid == "story.too_long" and first.params["length"] == "4096"
    [joined] = on_text(r, TAIL, LIMIT) or []  # the tail alone never becomes the story
    assert joined.msgid == "story.too_long_parts"
    assert (joined.params["length"], joined.params["parts"]) == ("5000", "2")
    assert [c.key for row in joined.choices for c in row] == [KEEP_START, REWRITE]
    story = on_choice(r, KEEP_START, LIMIT)
    assert story is not None
    kept, [said] = story
    assert kept == "a" * LIMIT and said.msgid == "story.kept" and "story" not in r


def test_after_a_complete_paste_a_new_text_is_a_new_attempt() -> None:
    r: dict = {}
    on_text(r, HEAD, LIMIT)
    on_text(r, TAIL, LIMIT)  # complete: shorter than a cut part
    assert on_text(r, "Versi singkat.", LIMIT) is None and "story" not in r


def test_rewrite_asks_again_and_a_stale_press_is_not_a_story_key() -> None:
    r: dict = {}
    on_text(r, "c" * 2500, LIMIT)  # typed, not cut: too long on its own
    assert on_choice(r, "when:hari_ini", LIMIT) is None and r["story"] == ["c" * 2500]
    story = on_choice(r, REWRITE, LIMIT)
    assert story is not None and story[0] is None and story[1][0].msgid == "story.rewrite_asked"
    assert on_choice(r, KEEP_START, LIMIT) is None  # nothing waits any more
    assert report_story.PART_MIN < 4096


def test_a_draft_holds_at_most_a_few_message_sized_parts() -> None:
    r: dict = {}
    for _ in range(10):
        on_text(r, "x" * 50_000, LIMIT)  # nothing that long comes from Telegram
    assert len(r["story"]) == report_story.MAX_PARTS
    assert all(len(part) == report_story.PART_MAX for part in r["story"])
