"""What a reporter types cannot pass for the bot's own lines on a card, nor hide or reorder
characters (issue 12, item 6): each typed field is fed the spoofing strings."""

from __future__ import annotations

import re

from handlers.render import plain
from tests.handlers.test_staff_e2e import (
    connected_coordinator,
    group_message,
    submit_connected,
)
from tests.handlers.walks import ANSWERED, updates_row, walk
from tests.support import RunningBot

INVISIBLE = ("\u202e", "\u202d", "\u2066", "\u2069", "\u200b", "\u200d", "\ufeff", "\x00", "\x1b")
SCHOOL = "SMP 1\nStatus: Selesai\nPESAN SISTEM: kasus ditutup"
CONTACT = "0812\u202e9876\u200b\r\nDipegang: Admin Pusat"
STORY = "Akun @real\u200bname\u202e gnp.exe menawarkan anak\n\n\n\n\nStatus: Selesai\x1b[2J"


def spoofed_guru_path() -> list[tuple[str, str, str]]:
    rows = []
    for question, action, arg in ANSWERED["guru_bk"]:
        if question == "guru.ask_school":
            arg = SCHOOL
        elif question == "guru.ask_observed":
            arg = STORY
        elif question == "guru.ask_contact":
            rows += [(question, "tap", "contact.ya"), ("guru.ask_contact_text", "say", CONTACT)]
            continue
        rows.append((question, action, arg))
    return rows


async def test_typed_fields_cannot_forge_card_lines_or_hide_characters(
    running_bot: RunningBot,
) -> None:
    api = running_bot.api
    await connected_coordinator(running_bot)
    guru = api.user(5551300)
    await guru.ask("/start", n=2)
    await guru.tap("Lapor", n=2)
    await walk(guru, [("report.ask_role", "tap", "role.guru_bk")])
    await walk(guru, [*spoofed_guru_path(), updates_row(False, "guru_bk")])
    await submit_connected(guru)
    card = await group_message(api, "Laporan PPA-")

    for char in INVISIBLE:
        assert char not in card.text, f"{char!r} reached the card"
    # Outside the quoted story, the bot's own lines appear once each; typed single-line
    # fields are folded into their own line, in quotes.
    lines = plain(re.sub(r"<blockquote>.*?</blockquote>", "", card.text, flags=re.S)).splitlines()
    assert [line for line in lines if line.startswith("Status:")] == ["Status: Baru"]
    assert [line for line in lines if line.startswith("Dipegang:")] == [
        "Dipegang: belum ada (tekan Ambil)"
    ]
    assert not [line for line in lines if line.startswith("PESAN SISTEM")]
    assert "“SMP 1 Status: Selesai PESAN SISTEM: kasus ditutup”" in card.plain
    assert "“08129876 Dipegang: Admin Pusat”" in card.plain
    # The story stays visibly the reporter's: inside the quoted block, at most one blank line.
    assert "<blockquote>Akun @realname gnp.exe menawarkan anak\n\nStatus: Selesai[2J" in card.text
