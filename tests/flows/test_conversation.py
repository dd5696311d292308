"""The conversation as transcripts: inputs → the message ids a person would be shown.

Inputs: "/cmd arg" a command, "[key]" a button press, "~sticker" media, anything else text.
Effects are answered the way the service answers them (places from the real index).
"""

from __future__ import annotations

from typing import Any

import pytest

from flows.codes import parse_code
from flows.conversation import step
from flows.core import Effect, EffectResult, Input, Reply
from flows.place import PAGE_SIZE
from storage.places import PlaceIndex

PLACES = PlaceIndex.load()
VALID_CODE = "7K2M9Q4T1XA8"
# A well-formed code (right check symbol) that no ticket has.
OTHER_CODE = next(
    c for c in (f"22222222222{x}" for x in "0123456789ABCDEFGHJKMNPQRSTVWXYZ") if parse_code(c) == c
)


def _places(mode: str, found: list[Any], **extra: Any) -> EffectResult:
    return EffectResult(
        "places", {"mode": mode, "items": [[p.code, p.label(), p.level] for p in found], **extra}
    )


def world(effect: Effect) -> EffectResult | None:
    a = effect.args
    if effect.name == "find_places":
        return _places("search", PLACES.search(a["query"]), query=a["query"])
    if effect.name == "find_districts":
        return _places(
            "dsearch", PLACES.search_districts(a["regency"], a["query"]), query=a["query"]
        )
    if effect.name == "list_places":
        parent, page = a["parent"], a["page"]
        if parent is None:
            items, mode = PLACES.provinces(), "list"
        elif "." not in parent:
            items, mode = PLACES.regencies(parent), "list"
        else:
            items, mode = PLACES.districts(parent), "dlist"
        pages = -(-len(items) // PAGE_SIZE)
        chunk = items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        label = PLACES.get(parent).name if parent else ""  # type: ignore[union-attr]
        return _places(mode, chunk, parent=parent, parent_label=label, page=page, pages=pages)
    if effect.name == "submit_report":
        return EffectResult(
            "submitted",
            {
                "code": VALID_CODE,
                "case_number": "PPA-3515-2026-000001",
                "upt_name": "UPTD PPA Provinsi Jawa Timur",
                "connected": False,
            },
        )
    if effect.name == "lookup_status":
        found = effect.args["code"] == VALID_CODE
        return EffectResult(
            "status",
            {
                "found": found,
                "ticket_id": 1,
                "can_followup": True,
                "case_number": "PPA-3515-2026-000001",
                "status": "baru",
                "upt_name": "UPTD PPA Provinsi Jawa Timur",
                "timezone": "Asia/Jakarta",
                "changed_at": "2026-11-23T10:00:00+00:00",
            },
        )
    if effect.name == "delete_input":
        return None
    raise AssertionError(effect)


def parse(raw: str) -> Input:
    if raw.startswith("/"):
        cmd, _, arg = raw[1:].partition(" ")
        return Input.of_command(cmd, arg)
    if raw.startswith("[") and raw.endswith("]"):
        return Input.of_choice(raw[1:-1])
    if raw.startswith("~"):
        return Input.of_media(raw[1:])
    return Input.of_text(raw)


def run(
    inputs: list[str], state: dict[str, Any] | None = None
) -> tuple[dict[str, Any], list[list[str]], list[Reply]]:
    """Returns the final state, the message ids shown after each input, and the last replies."""
    shown: list[list[str]] = []
    last: list[Reply] = []
    for raw in inputs:
        out = step(state, parse(raw))
        replies = list(out.replies)
        effects = list(out.effects)
        state = out.state
        while effects:
            result = world(effects.pop(0))
            if result is not None:
                nxt = step(state, result)
                state = nxt.state
                replies += nxt.replies
                effects += nxt.effects
        shown.append([r.msgid for r in replies])
        last = replies
    assert state is not None
    return state, shown, last


TO_PLACE = [
    "/lapor",
    "[role:umum]",
    "[danger:tidak]",
    "[relation:tetangga]",
    "[category:prostitusi_online]",
    "[seen:iklan]",
    "[skip]",  # no evidence
    "[platform:michat]",
]
TO_SUMMARY = [
    *TO_PLACE,
    "sidoarjo",
    "[pick:35.15]",
    "[dskip]",
    "Ada akun yang menawarkan anak.",
    "[when:hari_ini]",
    "[updates:tidak]",
]
NARRATIVE_AT = len(TO_PLACE) + 3


def test_full_report_reads_like_the_conversation() -> None:
    state, shown, _ = run([*TO_SUMMARY, "[submit]"])
    assert shown == [
        ["report.intro", "report.ask_role"],
        ["report.ask_danger"],
        ["report.ask_relation"],
        ["report.ask_category"],
        ["report.ask_seen"],
        ["evidence.warning", "evidence.ask"],
        ["report.ask_platform"],
        ["report.ask_place"],
        ["place.results"],
        ["place.ask_district"],
        ["report.ask_narrative"],
        ["report.ask_when"],
        ["report.ask_updates"],
        ["report.summary"],
        ["report.submitted", "report.held_note", "menu.prompt"],
    ]
    assert state["mode"] == "menu" and state["report"] is None


def test_answers_are_kept_in_the_draft() -> None:
    state, _, last = run(TO_SUMMARY)
    assert state["report"]["a"] == {
        "role": "umum",
        "danger": "tidak",
        "relation": "tetangga",
        "category": "prostitusi_online",
        "seen": "iklan",
        "evidence": None,
        "platform": "michat",
        "place": {"code": "35.15", "label": "Kabupaten Sidoarjo, Jawa Timur"},
        "narrative": "Ada akun yang menawarkan anak.",
        "when": "hari_ini",
        "updates": "tidak",
    }
    keys = [c.key for row in last[0].choices for c in row]
    assert keys == ["submit", "edit", "cancel"]


@pytest.mark.parametrize(
    ("inputs", "expected_last", "step_after"),
    [
        # urgent: numbers first, then only the place, the story and updates
        (
            ["/lapor", "[role:umum]", "[danger:ya]"],
            ["report.urgent_help", "report.ask_place"],
            "place",
        ),
        (
            ["/lapor", "[role:umum]", "[danger:ya]", "[place:unknown]", "[skip]"],
            ["report.ask_updates"],
            "updates",
        ),
        (
            ["/lapor", "[role:korban]", "[safe:tidak]"],
            ["victim.urgent_help", "victim.reassure", "victim.ask_place"],
            "place",
        ),
        # a victim: safety, reassurance, then what they want; "Hapus percakapan" asks first
        (
            ["/lapor", "[role:korban]", "[safe:aman]"],
            ["victim.reassure", "victim.ask_purpose"],
            "purpose",
        ),
        (
            ["/lapor", "[role:korban]", "[skip]", "[purpose:bicara]", "[skip]"],
            ["victim.ask_place"],
            "place",
        ),
        (["/lapor", "[role:korban]", "[wipe]"], ["victim.wipe_confirm"], "safe"),
        (["/lapor", "[role:korban]", "[wipe]", "[wipe:no]"], ["victim.ask_safe"], "safe"),
        # Guru BK: school, then the school's kab/kota; the contact is typed only if chosen
        (["/lapor", "[role:guru_bk]", "[danger:tidak]"], ["guru.ask_school"], "school"),
        (
            ["/lapor", "[role:guru_bk]", "[danger:tidak]", "SMPN 1"],
            ["guru.ask_place"],
            "place",
        ),
        (
            ["/lapor", "[role:guru_bk]", "[danger:tidak]", "x" * 151],
            ["report.text_too_long"],
            "school",
        ),
        # evidence: a link is kept, a video refused (and deleted), a sticker explained
        (
            [*TO_PLACE[:-2], "t.me/jual_anak"],
            ["evidence.collected"],
            "evidence",
        ),
        ([*TO_PLACE[:-2], "~video"], ["evidence.video_refused", "evidence.ask"], "evidence"),
        ([*TO_PLACE[:-2], "~sticker"], ["evidence.media_refused", "evidence.ask"], "evidence"),
        (
            [*TO_PLACE[:-2], "t.me/jual_anak", "[ev:done]"],
            ["report.ask_place"],  # the link says Telegram: no platform question
            "place",
        ),
        (
            [*TO_PLACE[:-2], "t.me/jual_anak", "[ev:clear]"],
            ["evidence.cleared", "evidence.ask"],
            "evidence",
        ),
        (
            ["/lapor", "[role:umum]", "~video"],
            ["evidence.video_refused", "report.ask_danger"],
            "danger",
        ),
        # odd things mid-flow never lose the draft
        (
            ["/lapor", "[role:umum]", "~sticker"],  # the short line: a sticker is no picture
            ["conv.media_short", "report.ask_danger"],
            "danger",
        ),
        (
            ["/lapor", "[role:umum]", "~voice"],
            ["conv.media_short", "report.ask_danger"],
            "danger",
        ),
        (
            ["/lapor", "[role:umum]", "[role:keluarga]"],
            ["conv.stale_button", "report.ask_danger"],
            "danger",
        ),
        (
            ["/lapor", "[role:umum]", "[forged:💥]"],
            ["conv.stale_button", "report.ask_danger"],
            "danger",
        ),
        # "ya" typed is the yes: the numbers at once, then the fewest questions
        (["/lapor", "[role:umum]", "ya"], ["report.urgent_help", "report.ask_place"], "place"),
        (
            ["/lapor", "[role:umum]", "/start"],
            ["conv.draft_waiting", "report.ask_danger"],
            "danger",
        ),
        (
            ["/lapor", "[role:umum]", "/lapor"],
            ["conv.draft_waiting", "report.ask_danger"],
            "danger",
        ),
        (
            ["/lapor", "[role:umum]", "/bantuan"],
            ["info.page.how"],
            "danger",
        ),
        (
            ["/lapor", "[role:umum]", "/entah"],
            ["conv.unknown_command", "report.ask_danger"],
            "danger",
        ),
        (
            ["/lapor", "[role:umum]", "[menu:lapor]"],
            ["conv.draft_waiting", "report.ask_danger"],
            "danger",
        ),
        (
            ["/lapor", "[role:umum]", f"/status {VALID_CODE}"],
            ["status.found", "conv.draft_kept", "report.ask_danger"],
            "danger",
        ),
        (TO_SUMMARY[:NARRATIVE_AT] + ["x" * 2001], ["story.too_long"], "narrative"),
        (TO_SUMMARY[:NARRATIVE_AT] + ["x" * 50_000], ["story.too_long"], "narrative"),
        (
            TO_SUMMARY[:NARRATIVE_AT] + ["   "],
            ["conv.empty_text", "report.ask_narrative"],
            "narrative",
        ),
        (
            TO_SUMMARY[:NARRATIVE_AT] + ["~photo"],
            ["conv.media_not_accepted", "report.ask_narrative"],
            "narrative",
        ),
        # summary: change a part, come back to the summary
        (
            [*TO_SUMMARY, "[edit]", "[edit:when]", "[when:berlangsung]"],
            ["report.summary"],
            "summary",
        ),
        ([*TO_SUMMARY, "[edit]", "[edit:back]"], ["report.summary"], "summary"),
        ([*TO_SUMMARY, "[edit]", "[edit:place]", "[place:unknown]"], ["report.summary"], "summary"),
        ([*TO_SUMMARY, "[cancel]", "[cancel:no]"], ["report.summary"], "summary"),
        # place: list pages, province drill-down, whole province, unknown, no match
        (
            [*TO_PLACE, "[place:list]"],
            ["place.pick_province"],
            "place_pick",
        ),
        (
            [
                *TO_PLACE,
                "[place:list]",
                "[page:1]",
            ],
            ["place.pick_province"],
            "place_pick",
        ),
        (
            [*TO_PLACE, "jatim"],
            ["place.results"],
            "place_pick",
        ),
        (
            [*TO_PLACE, "jatim", "[go:35]"],
            ["place.pick_regency"],
            "place_pick",
        ),
        (
            [
                *TO_PLACE,
                "jatim",
                "[go:35]",
                "[pick:35]",
            ],
            ["report.ask_narrative"],
            "narrative",
        ),
        (
            [*TO_PLACE, "zzzzqqq"],
            ["place.no_results"],
            "place_pick",
        ),
        (
            [*TO_PLACE, "[place:unknown]"],
            ["report.ask_narrative"],
            "narrative",
        ),
        (
            [
                *TO_PLACE,
                "sidoarjo",
                "[pick:35.15]",
                "waru",
            ],
            ["place.district_results"],
            "district_pick",
        ),
        (
            [
                *TO_PLACE,
                "sidoarjo",
                "[pick:35.15]",
                "[dlist]",
                "[page:1]",
            ],
            ["place.pick_district"],
            "district_pick",
        ),
        (
            [
                *TO_PLACE,
                "sidoarjo",
                "[pick:35.15]",
                "[pick:35.16]",
            ],
            ["conv.stale_button", "place.ask_district"],
            "district",
        ),
    ],
)
def test_transcripts(inputs: list[str], expected_last: list[str], step_after: str) -> None:
    state, shown, _ = run(inputs)
    assert shown[-1] == expected_last
    assert state["mode"] == "report"
    assert state["report"]["step"] == step_after


def test_district_is_remembered() -> None:
    state, _, last = run(
        [
            *TO_PLACE,
            "sidoarjo",
            "[pick:35.15]",
            "waru",
        ]
    )
    waru = next(c.key for row in last[0].choices for c in row if c.key.startswith("dpick:"))
    state, _, _ = run([f"[{waru}]"], state)
    assert state["report"]["a"]["district"]["label"] == "Kec. Waru"


@pytest.mark.parametrize(
    ("inputs", "expected_last", "mode"),
    [
        (["/start"], ["conv.welcome", "menu.prompt"], "menu"),
        (["/batal"], ["conv.nothing_to_cancel", "menu.prompt"], "menu"),
        (["/lapor", "/batal"], ["report.cancelled", "menu.prompt"], "menu"),
        ([*TO_SUMMARY, "[cancel]", "[cancel:yes]"], ["report.cancelled", "menu.prompt"], "menu"),
        (["/status"], ["status.ask_code"], "status"),
        (["/status", VALID_CODE], ["status.found", "menu.prompt"], "menu"),
        (["/status", "7K2M9Q4T1XA9"], ["status.code_typo", "status.ask_code"], "status"),
        (["/status", "halo"], ["status.code_format", "status.ask_code"], "status"),
        (["/status", "[status:back]"], ["menu.prompt"], "menu"),
        (["/status", "/batal"], ["menu.prompt"], "menu"),
        ([f"/status {VALID_CODE.lower()}"], ["status.found", "menu.prompt"], "menu"),
        ([f"/status {OTHER_CODE}"], ["status.not_found", "menu.prompt"], "menu"),
        # at the menu, a pasted code is a status question; other text gets the menu
        (["7k2m-9q4t-1xa8"], ["status.found", "menu.prompt"], "menu"),
        (["halo apa kabar"], ["menu.prompt"], "menu"),
        (["~sticker"], ["conv.media_short", "menu.prompt"], "menu"),
        (["~document"], ["conv.media_not_accepted", "menu.prompt"], "menu"),
        (["[role:umum]"], ["conv.stale_button", "menu.prompt"], "menu"),
        (["/hapus"], ["erase.explain"], "menu"),
        (["/hapus", "[erase:no]"], ["erase.kept", "menu.prompt"], "menu"),
        (["/bahasa"], ["lang.ask"], "menu"),
        (["/bahasa", "[lang:en]"], ["lang.set", "menu.prompt"], "menu"),
    ],
)
def test_menu_and_status(inputs: list[str], expected_last: list[str], mode: str) -> None:
    state, shown, _ = run(inputs)
    assert shown[-1] == expected_last
    assert state["mode"] == mode


def test_status_lookup_asks_to_delete_the_message_with_the_code() -> None:
    out = step(None, Input.of_command("status", VALID_CODE))
    assert [e.name for e in out.effects] == ["delete_input", "lookup_status"]
    assert out.effects[1].args == {"code": VALID_CODE}


def test_state_is_json_safe_and_input_state_is_not_mutated() -> None:
    import json

    state, _, _ = run(TO_SUMMARY)
    before = json.dumps(state, sort_keys=True)
    step(state, Input.of_choice("edit"))
    assert json.dumps(state, sort_keys=True) == before
    assert json.loads(before) == state


def test_an_old_or_foreign_state_starts_afresh() -> None:
    out = step({"v": 999, "whatever": 1}, Input.of_command("start"))
    assert out.state["mode"] == "menu"


@pytest.mark.parametrize(
    ("draft", "question"),
    [
        ({"id": "x", "step": "no_such_step", "a": {"role": "umum"}}, "report.ask_danger"),
        (
            {"id": "x", "step": "summary", "a": {"role": "umum", "danger": "tidak"}},
            "report.ask_relation",
        ),
    ],
)
def test_a_draft_from_another_version_resumes_at_its_first_unanswered_question(
    draft: dict, question: str
) -> None:
    state = {"v": 1, "mode": "report", "report": draft}
    out = step(state, Input.of_command("lapor"))
    assert [r.msgid for r in out.replies] == ["conv.draft_waiting", question]
    assert out.state["report"]["a"]["role"] == "umum"


def test_a_code_pasted_mid_report_is_a_status_check_not_a_story() -> None:
    state, shown, _ = run([*TO_SUMMARY[:NARRATIVE_AT], "7K2M 9Q4T 1XA8"])
    assert shown[-1] == ["status.found", "conv.draft_kept", "report.ask_narrative"]
    assert "narrative" not in state["report"]["a"]
