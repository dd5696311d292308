"""Casework as transcripts: one staff update (a press, a typed answer, an invite) and the
world's answers → every effect in order, as a line of text.

Lines: "toast <msgid>", "say <msgid>" (↩ as a reply to the pressed or typed message,
🔒 in the person's private chat, 📷 as a photo's caption), "audit <action> [<detail>]",
"tell_reporter <purpose>: <msgid>+<msgid>", "open_prompt <step> <data>: <msgid>",
"save_prompt <data> [done]", "settle <msgid>" (the pressed message now says it, buttons
gone), other effects by name and their telling argument.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from flows import casework
from flows.core import Effect, EffectResult, Input

GROUP = -100123  # the unit's group, where a press in a group comes from unless a case says
KOOR = {"id": 3, "name": "Rina Wati", "role": "koordinator", "upt_id": 2, "group": GROUP}
PETUGAS = {"id": 4, "name": "Budi", "role": "petugas", "upt_id": 2, "group": GROUP}

NEW = {
    "found": True,
    "id": 7,
    "case_number": "PPA-3515-2026-000001",
    "status": "baru",
    "owned": True,
    "holder_id": None,
    "holder_name": "",
    "followup_stopped": False,
    "reachable": True,
    "images": [],
    "narrative": "Akun @contoh menawarkan anak",
    "details": {},
    "upt_id": 2,
    "created_at": "2026-11-23T10:00:00+00:00",
    "timezone": "Asia/Jakarta",
}
TAKEN = NEW | {"status": "diterima", "holder_id": 3, "holder_name": "Rina Wati"}
ELSEWHERE = NEW | {"owned": False}
MISSING = {"found": False, "id": 7, "owned": False}
WITH_IMAGES = TAKEN | {"images": ["file-a", "file-b"]}
QUIET = TAKEN | {"reachable": False}  # the reporter asked for no updates
STOPPED = TAKEN | {"followup_stopped": True}

REASON = {"id": 11, "step": "reason", "ticket_id": 7, "data": {"status": "selesai"}}
REROUTE = {"id": 12, "step": "reroute", "ticket_id": 7, "data": {}}


def prompt_row(p: Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    return {"found": True, "staff_id": 3, "done": False, **p, **changes}


@dataclass
class Case:
    name: str
    inp: Input
    world: dict[str, Any]  # effect name → its answer's value (a list: one per call)
    expect: list[str]
    me: dict[str, Any] | None = field(default_factory=lambda: KOOR)
    prompt: dict[str, Any] | None = None
    private: bool = False
    group: dict[str, Any] | None = None  # /hubungkan: what the edge learnt of the group


ANSWERS = {
    "load_case": "case",
    "load_member": "member",
    "load_prompt": "prompt",
    "load_unit": "unit",
    "find_units": "units",
    "redeem_invite": "redeemed",
    "connect_group": "connected",
    "group_membership": "membership",
    "claim": "claimed",
    "move_status": "moved",
    "reroute": "rerouted",
    "load_record": "record",
    "change_record": "recorded",
}


def line(e: Effect) -> str:
    a = e.args
    match e.name:
        case "toast":
            return f"toast {a['reply'].msgid}"
        case "say":
            marks = ("↩" if a["reply_to"] else "") + ("🔒" if a["private"] else "")
            marks += "📷" if a["photo"] else ""
            return f"say {a['reply'].msgid}{' ' + marks if marks else ''}"
        case "audit":
            return f"audit {a['action']}" + (f" {a['detail']}" if a["detail"] else "")
        case "tell_reporter":
            return f"tell_reporter {a['purpose']}: " + "+".join(r.msgid for r in a["replies"])
        case "open_prompt":
            return f"open_prompt {a['step']} {a['data']}: {a['ask'].msgid}"
        case "save_prompt":
            return f"save_prompt {a['data']}" + (" done" if a["done"] else "")
        case "tell_staff" | "tell_member" | "tell_coordinators":
            return f"{e.name} {a['reply'].msgid}"
        case "record_status" | "set_member_status":
            return f"{e.name} {a['status']}"
        case "add_message":
            return f"add_message {a['kind']}"
        case "post_story":
            return "post_story " + "+".join(r.msgid for r in a["replies"])
        case "settle_pressed":
            return f"settle {a['reply'].msgid}"
        case "change_record":
            return f"change_record {json.dumps(a['change'], sort_keys=True)}"
        case "redraw":
            at = "" if a["message_id"] is None else f" @{a['message_id']}"
            return f"redraw {a['reply'].msgid}{at}"

    return e.name


def transcript(case: Case) -> list[str]:
    user = 8001
    state = casework.new_state(
        me=case.me,
        actor=f"staff:{case.me['id']}" if case.me else "unknown:abcd1234",
        anon="unknown:abcd1234",
        chat=user if case.private else GROUP,
        user=user,
        bot="lapor_ppa_bot",
        prompt=case.prompt,
        group=case.group,
    )
    world = {k: list(v) if isinstance(v, list) else [v] for k, v in case.world.items()}
    out = casework.step(state, case.inp)
    lines, todo = [], list(out.effects)
    while todo:
        effect = todo.pop(0)
        lines.append(line(effect))
        if effect.name in ANSWERS:
            answer = world[effect.name].pop(0)
            out = casework.step(out.state, EffectResult(ANSWERS[effect.name], answer))
            todo += out.effects
    return lines


def press(data: str) -> Input:
    return Input.of_choice(data)


CASES = [
    # --- Ambil
    Case(
        "a member of the holding unit takes a new ticket; the reporter is told",
        press("s:claim:7"),
        {"load_case": NEW, "claim": {"won": True, "holder": ""}},
        [
            "load_case",
            "claim",
            "record_status diterima",
            "audit claim",
            "refresh_cards",
            "tell_reporter notice: notice.status",
            "toast staff.claimed",
        ],
    ),
    Case(
        "with updates off nothing is pushed",
        press("s:claim:7"),
        {"load_case": NEW | {"reachable": False}, "claim": {"won": True, "holder": ""}},
        ["load_case", "claim", "record_status diterima", "audit claim", "refresh_cards"]
        + ["toast staff.claimed"],
    ),
    Case(
        "someone took it already",
        press("s:claim:7"),
        {"load_case": TAKEN},
        ["load_case", "toast staff.already_claimed"],
    ),
    Case(
        "two presses at once: the other was first",
        press("s:claim:7"),
        {"load_case": NEW, "claim": {"won": False, "holder": "Budi"}},
        ["load_case", "claim", "toast staff.already_claimed"],
    ),
    Case(
        "a unit that does not hold the ticket",
        press("s:claim:7"),
        {"load_case": ELSEWHERE},
        ["load_case", "audit refused claim on a ticket not owned", "toast staff.not_allowed"],
    ),
    Case(
        "a ticket that does not exist",
        press("s:claim:7"),
        {"load_case": MISSING},
        ["load_case", "audit refused claim on a ticket not owned", "toast staff.not_allowed"],
    ),
    Case(
        "a stranger's press on a real ticket is tied to it",
        press("s:claim:7"),
        {"load_case": NEW},
        ["load_case", "audit refused button 's:claim:7'", "toast staff.not_allowed"],
        me=None,
    ),
    Case(
        "a stranger's approve names no ticket",
        press("s:approve:9"),
        {},
        ["audit refused button 's:approve:9'", "toast staff.not_allowed"],
        me=None,
    ),
    Case(
        "a forged key",
        press("s:set:7:dibuang"),
        {},
        ["audit refused button 's:set:7:dibuang'", "toast staff.not_allowed"],
    ),
    # --- Ubah status
    Case(
        "the status picker, under the card",
        press("s:status:7"),
        {"load_case": TAKEN},
        ["load_case", "say card.pick_status ↩"],
    ),
    Case(
        "a status without a reason moves at once",
        press("s:set:7:asesmen"),
        {"load_case": TAKEN, "move_status": {"ok": True}},
        [
            "load_case",
            "settle staff.status_picked",
            "move_status",
            "audit status:asesmen",
            "refresh_cards",
            "tell_reporter notice: notice.status",
            "toast staff.status_changed",
        ],
    ),
    Case(
        "someone moved it first",
        press("s:set:7:asesmen"),
        {"load_case": TAKEN, "move_status": {"ok": False}},
        [
            "load_case",
            "settle staff.status_picked",
            "move_status",
            "toast staff.status_not_allowed",
        ],
    ),
    Case(
        "backwards is not a step",
        press("s:set:7:baru"),
        {"load_case": TAKEN},
        ["load_case", "toast staff.status_not_allowed"],
    ),
    Case(
        "a status that needs a reason opens a prompt",
        press("s:set:7:selesai"),
        {"load_case": TAKEN},
        [
            "load_case",
            "settle staff.status_picked",
            "open_prompt reason {'status': 'selesai'}: staff.ask_reason",
        ],
    ),
    Case(
        "the reason typed: may the reporter see it?",
        Input.of_text("  Anak sudah didampingi.  "),
        {"load_case": TAKEN},
        [
            "load_case",
            "save_prompt {'status': 'selesai', 'text': 'Anak sudah didampingi.'}",
            "drop_prompt",
            "say staff.ask_share ↩",
        ],
        prompt=REASON,
    ),
    Case(
        "shared: closed, the reason shown, and the feedback question",
        press("s:share:11:1"),
        {
            "load_prompt": prompt_row(REASON, data={"status": "selesai", "text": "Didampingi."}),
            "load_case": TAKEN,
            "move_status": {"ok": True},
        },
        [
            "load_prompt",
            "load_case",
            "save_prompt {'status': 'selesai', 'text': 'Didampingi.'} done",
            "settle staff.share_chosen",
            "move_status",
            "audit status:selesai",
            "refresh_cards",
            "tell_reporter notice: notice.status+notice.reason",
            "tell_reporter feedback: feedback.ask",
            "toast staff.status_changed",
        ],
    ),
    Case(
        "not shared, and the reporter had stopped: a notice, no reason, no feedback question",
        press("s:share:11:0"),
        {
            "load_prompt": prompt_row(REASON, data={"status": "selesai", "text": "Didampingi."}),
            "load_case": STOPPED,
            "move_status": {"ok": True},
        },
        [
            "load_prompt",
            "load_case",
            "save_prompt {'status': 'selesai', 'text': 'Didampingi.'} done",
            "settle staff.share_chosen",
            "move_status",
            "audit status:selesai",
            "refresh_cards",
            "tell_reporter notice: notice.status",
            "toast staff.status_changed",
        ],
    ),
    Case(
        "someone else's prompt",
        press("s:share:11:1"),
        {"load_prompt": prompt_row(REASON, staff_id=4, data={"status": "selesai", "text": "x"})},
        ["load_prompt", "audit refused share", "toast staff.not_allowed"],
    ),
    Case(
        "a share before any reason was typed",
        press("s:share:11:1"),
        {"load_prompt": prompt_row(REASON)},
        ["load_prompt", "audit refused share", "toast staff.not_allowed"],
    ),
    Case(
        "the ticket closed meanwhile",
        press("s:share:11:1"),
        {
            "load_prompt": prompt_row(REASON, data={"status": "selesai", "text": "x"}),
            "load_case": TAKEN | {"status": "selesai"},
        },
        ["load_prompt", "load_case", "toast staff.status_not_allowed"],
    ),
    # --- Tanya pelapor
    Case(
        "a question: the prompt",
        press("s:ask:7"),
        {"load_case": TAKEN},
        ["load_case", "open_prompt question {}: staff.ask_question"],
    ),
    Case(
        "a question to a reporter who stopped",
        press("s:ask:7"),
        {"load_case": STOPPED},
        ["load_case", "toast staff.reporter_stopped_short"],
    ),
    Case(
        "the question typed is sent",
        Input.of_text("Apakah akun itu masih aktif?"),
        {"load_case": TAKEN},
        [
            "load_case",
            "save_prompt {'text': 'Apakah akun itu masih aktif?'} done",
            "drop_prompt",
            "add_message question",
            "audit question",
            "tell_reporter question: notice.question",
            "say staff.question_sent ↩",
        ],
        prompt={"id": 13, "step": "question", "ticket_id": 7, "data": {}},
    ),
    Case(
        "a question typed after the reporter stopped or erased themselves is not sent or kept",
        Input.of_text("Kelas berapa?"),
        {"load_case": STOPPED},
        [
            "load_case",
            "save_prompt {} done",
            "drop_prompt",
            "audit refused question after the reporter stopped",
            "say staff.question_not_sent ↩",
        ],
        prompt={"id": 13, "step": "question", "ticket_id": 7, "data": {}},
    ),
    Case(
        "Teruskan on a closed ticket is refused",
        press("s:fwd:7"),
        {"load_case": TAKEN | {"status": "selesai"}},
        ["load_case", "audit refused fwd on a closed ticket", "toast staff.not_allowed"],
    ),
    Case(
        "with updates off the question waits for /status",
        Input.of_text("Kelas berapa?"),
        {"load_case": QUIET},
        [
            "load_case",
            "save_prompt {'text': 'Kelas berapa?'} done",
            "drop_prompt",
            "add_message question",
            "audit question",
            "say staff.question_waits ↩",
        ],
        prompt={"id": 13, "step": "question", "ticket_id": 7, "data": {}},
    ),
    Case(
        "an answer after the ticket moved away",
        Input.of_text("Masih?"),
        {"load_case": ELSEWHERE},
        [
            "load_case",
            "save_prompt {} done",
            "drop_prompt",
            "audit refused question after losing the ticket",
            "say staff.not_allowed",
        ],
        prompt={"id": 13, "step": "question", "ticket_id": 7, "data": {}},
    ),
    Case(
        "an empty answer does nothing",
        Input.of_text("   "),
        {},
        [],
        prompt={"id": 13, "step": "question", "ticket_id": 7, "data": {}},
    ),
    # --- Catatan
    Case(
        "a note stays with staff",
        Input.of_text("Sudah koordinasi."),
        {"load_case": TAKEN},
        [
            "load_case",
            "save_prompt {'text': 'Sudah koordinasi.'} done",
            "drop_prompt",
            "add_message note",
            "audit note",
            "tell_staff staff.note_posted",
        ],
        prompt={"id": 14, "step": "note", "ticket_id": 7, "data": {}},
    ),
    # --- Teruskan: place → pick → reason
    Case(
        "forward: the prompt",
        press("s:fwd:7"),
        {"load_case": TAKEN},
        ["load_case", "open_prompt reroute {}: staff.ask_destination"],
    ),
    Case(
        "a place typed: units to pick (never the one holding it)",
        Input.of_text("kota medan"),
        {"load_case": TAKEN, "find_units": {"items": [[5, "UPTD PPA Sumut"], [2, "Jatim"]]}},
        [
            "load_case",
            "save_prompt {'text': 'kota medan'}",
            "find_units",
            "say staff.pick_destination ↩",
        ],
        prompt=REROUTE,
    ),
    Case(
        "a unit picked: the reason prompt",
        press("s:to:12:5"),
        {
            "load_prompt": prompt_row(REROUTE, data={"text": "kota medan"}),
            "load_unit": {"found": True, "id": 5, "name": "UPTD PPA Sumut"},
            "load_case": TAKEN,
        },
        [
            "load_prompt",
            "load_unit",
            "save_prompt {'text': 'kota medan'} done",
            "drop_prompt",
            "settle staff.unit_picked",
            "load_case",
            "open_prompt reroute_reason {'upt_id': 5}: staff.ask_reroute_reason",
        ],
    ),
    Case(
        "a pick on a closed prompt",
        press("s:to:12:5"),
        {"load_prompt": prompt_row(REROUTE, done=True)},
        ["load_prompt", "audit refused reroute pick", "toast staff.not_allowed"],
    ),
    Case(
        "the reason typed: the ticket moves, the reporter is told where",
        Input.of_text("Korban di Medan."),
        {
            "load_case": TAKEN,
            "load_unit": {"found": True, "id": 5, "name": "UPTD PPA Sumut"},
            "reroute": {"from_code": "UPTD-PPA-35", "to_code": "UPTD-PPA-12"},
        },
        [
            "load_case",
            "save_prompt {'upt_id': 5, 'text': 'Korban di Medan.'} done",
            "drop_prompt",
            "load_unit",
            "reroute",
            "audit reroute UPTD-PPA-35 -> UPTD-PPA-12",
            "post_cards",
            "tell_reporter notice: notice.rerouted",
            "say staff.rerouted ↩",
        ],
        prompt={"id": 15, "step": "reroute_reason", "ticket_id": 7, "data": {"upt_id": 5}},
    ),
    # --- Gambar, Selengkapnya
    Case(
        "images: only the holder",
        press("s:img:7"),
        {"load_case": WITH_IMAGES | {"holder_id": 4}},
        ["load_case", "audit refused images, not the holder", "toast staff.images_holder_only"],
    ),
    Case(
        "images from the group: a warning in private",
        press("s:imgok:7"),
        {"load_case": WITH_IMAGES},
        ["load_case", "toast staff.images_see_private", "say staff.images_warning 🔒"],
    ),
    Case(
        "images opened in private, one protected photo each",
        press("s:imgok:7"),
        {"load_case": WITH_IMAGES},
        [
            "load_case",
            "audit images_opened 2 images",
            "say staff.images_caption 🔒📷",
            "say staff.images_caption 🔒📷",
        ],
        private=True,
    ),
    Case(
        "Selengkapnya: the whole story, then all the evidence",
        press("s:more:7"),
        {"load_case": TAKEN | {"details": {"evidence": [{"kind": "text", "value": "x"}]}}},
        ["load_case", "post_story card.full_narrative+card.full_evidence"],
    ),
    # --- joining
    Case(
        "a koordinator's invite: welcome, and what waited is shown",
        Input.of_command("start", "t" * 43),
        {
            "redeem_invite": {
                "staff_id": 3,
                "name": "Rina",
                "role": "koordinator",
                "status": "active",
                "upt_id": 2,
                "upt_name": "Jatim",
            }
        },
        [
            "redeem_invite",
            "audit invite_used:koordinator",
            "post_waiting",
            "say staff.welcome_koordinator",
        ],
        me=None,
    ),
    Case(
        "a petugas waits for a koordinator",
        Input.of_command("start", "t" * 43),
        {
            "redeem_invite": {
                "staff_id": 4,
                "name": "Budi",
                "role": "petugas",
                "status": "pending",
                "upt_id": 2,
                "upt_name": "Jatim",
            }
        },
        [
            "redeem_invite",
            "audit invite_used:petugas",
            "tell_coordinators staff.approval_request",
            "say staff.welcome_pending",
        ],
        me=None,
    ),
    Case(
        "a used invite",
        Input.of_command("start", "t" * 43),
        {"redeem_invite": {"error": "used"}},
        ["redeem_invite", "audit invite_refused:used", "say staff.invite_used"],
        me=None,
    ),
    Case(
        "approve a pending petugas",
        press("s:approve:4"),
        {"load_member": {"found": True, "upt_id": 2, "status": "pending", "name": "Budi"}},
        [
            "load_member",
            "set_member_status active",
            "audit staff_approved staff:4",
            "tell_member staff.approved",
            "settle staff.member_approved",
            "toast staff.done",
        ],
    ),
    Case(
        "a petugas cannot approve",
        press("s:reject:5"),
        {"load_member": {"found": True, "upt_id": 2, "status": "pending", "name": "Ani"}},
        ["load_member", "audit refused reject staff", "toast staff.not_allowed"],
        me=PETUGAS,
    ),
    Case(
        "/hubungkan by a koordinator",
        Input.of_command("hubungkan"),
        {"connect_group": {"ok": True, "upt_name": "Jatim", "upt_code": "UPTD-PPA-35"}},
        [
            "connect_group",
            "audit group_connected UPTD-PPA-35",
            "post_waiting",
            "say group.connected",
        ],
        group={"public": False, "admin": True},
    ),
    Case(
        "/hubungkan where the bot is not an admin: connected, with a warning",
        Input.of_command("hubungkan"),
        {"connect_group": {"ok": True, "upt_name": "Jatim", "upt_code": "UPTD-PPA-35"}},
        [
            "connect_group",
            "audit group_connected UPTD-PPA-35",
            "post_waiting",
            "say group.connected",
            "say group.not_admin",
        ],
        group={"public": False, "admin": False},
    ),
    Case(
        "/hubungkan in a public group is refused",
        Input.of_command("hubungkan"),
        {},
        ["audit connect_refused:public", "say group.public_refused"],
        group={"public": True, "admin": True},
    ),
    Case(
        "/hubungkan in a group that serves another unit is refused",
        Input.of_command("hubungkan"),
        {"connect_group": {"ok": False, "other_name": "Jateng", "other_code": "UPTD-PPA-33"}},
        ["connect_group", "audit connect_refused:taken UPTD-PPA-33", "say group.serves_other"],
        group={"public": False, "admin": True},
    ),
    Case(
        "a press in a group the unit does not work in is refused before anything is read",
        press("s:claim:7"),
        {},
        ["audit refused button 's:claim:7' outside the unit's group", "toast staff.not_allowed"],
        me={**KOOR, "group": -100999},
    ),
    Case(
        "the bot removed from a unit's group: its koordinators are told",
        Input.of_command("membership", "kicked"),
        {
            "group_membership": {
                "found": True,
                "same": False,
                "gone": True,
                "admin": False,
                "upt_id": 2,
                "upt_name": "Jatim",
                "upt_code": "UPTD-PPA-35",
            }
        },
        ["group_membership", "audit group_lost UPTD-PPA-35", "tell_coordinators group.bot_removed"],
        me=None,
    ),
    Case(
        "the bot's standing changes in a group that serves no unit: nothing to do",
        Input.of_command("membership", "member"),
        {"group_membership": {"found": False}},
        ["group_membership"],
        me=None,
    ),
    Case(
        "/hubungkan by a petugas",
        Input.of_command("hubungkan"),
        {},
        ["audit connect_refused", "say group.not_allowed"],
        me=PETUGAS,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_transcript(case: Case) -> None:
    assert transcript(case) == case.expect


def test_the_state_stays_json_safe() -> None:
    """What the flow keeps between answers could be stored as it is."""
    state = casework.new_state(me=KOOR, actor="staff:3", anon="unknown:x", chat=GROUP, user=1)
    out = casework.step(state, press("s:claim:7"))
    out = casework.step(out.state, EffectResult("case", NEW))
    assert json.loads(json.dumps(out.state)) == out.state


def test_the_card_shows_buttons_for_its_status() -> None:
    def labels(status: str, **kw: Any) -> list[list[str]]:
        return [[c.msgid for c in row] for row in casework.card_buttons(7, status, **kw)]

    assert labels("baru")[0] == ["card.claim"]
    record = ["card.services", "card.victim", "card.violence"]
    assert labels("diterima", claimed=True) == [
        ["card.change_status", "card.ask_reporter"],
        ["card.forward", "card.note"],
        record,
    ]
    # An open ticket nobody holds (its holder was revoked) can always be taken.
    assert labels("asesmen", claimed=False)[0] == ["card.claim"]
    # A closed case is still recorded (and corrected): nothing else is left to do.
    assert labels("selesai") == [record] and labels("bukan_kewenangan") == [record]
    assert labels("selesai", more=True, images=2) == [
        ["card.more"],
        ["card.open_images"],
        record,
    ]
