"""A victim is spoken to as "kamu" all the way (issue 13, item 9): no "Anda", and no "saya"
put in their mouth, from /start to the code, on every path a victim walks."""

from __future__ import annotations

import re

import pytest

from tests.handlers.walks import ANSWERED, ROLE_PLACE, URGENT, act, updates_row, walk
from tests.support import RunningBot

FORMAL = re.compile(r"\b(Anda|saya)\b")
CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")


COUNSEL = [
    ("victim.ask_safe", "tap", "victim.safe_aman"),
    ("victim.ask_purpose", "tap", "purpose.bicara"),
    ("victim.ask_age", "tap", "age.16_17"),
    *ROLE_PLACE["korban"],
    ("victim.ask_narrative", "say", "Aku mau cerita dulu."),
]
PATHS = {"full": ANSWERED["korban"], "urgent": URGENT["korban"], "counsel": COUNSEL}


@pytest.mark.parametrize("way", list(PATHS))
async def test_the_victims_path_never_says_anda(running_bot: RunningBot, way: str) -> None:
    user = running_bot.api.user(5590001 + list(PATHS).index(way))
    await user.ask("/start", n=2)
    await user.tap("Lapor", n=2)
    await act(user, "tap", "role.korban")
    rows = PATHS[way]
    await walk(user, [*rows, updates_row(True, "korban")])
    sent = await user.tap("Kirim", n=3)
    # After Kirim: the status, the menu again, the erase question, in the same register.
    code = CODE.search(sent[0].plain)
    assert code is not None
    await user.ask(f"/status {code.group()}", n=2)
    await user.ask("/start", n=2)
    await user.ask("/hapus")
    seen = [m for m in running_bot.api.history(user.id) if m.from_bot]
    # After the welcome, the menu, the intro and the role question, which come before anyone
    # says who they are.
    texts = [m.plain for m in seen[4:]] + [b for m in seen[4:] for row in m.buttons for b in row]
    formal = sorted({text for text in texts if FORMAL.search(text)})
    assert not formal, "\n---\n".join(formal)


async def test_a_guru_bk_who_gave_a_contact_is_not_told_staff_do_not_know_them(
    running_bot: RunningBot,
) -> None:
    user = running_bot.api.user(5590011)
    await user.ask("/start", n=2)
    await user.tap("Lapor", n=2)
    await act(user, "tap", "role.guru_bk")
    await walk(user, [*ANSWERED["guru_bk"][:-1], ("guru.ask_contact", "tap", "contact.ya")])
    [ask_updates] = await user.ask("Bu Sari, WA 0812-0000-1111")
    assert "Petugas hanya tahu kontak yang Anda tulis tadi" in ask_updates.plain
    assert "tidak tahu siapa Anda" not in ask_updates.plain


async def test_a_victim_who_stops_or_comes_back_is_still_spoken_to_as_kamu(
    running_bot: RunningBot,
) -> None:
    user = running_bot.api.user(5590021)
    await user.ask("/start", n=2)
    await user.tap("Lapor", n=2)
    await act(user, "tap", "role.korban")
    await walk(user, ANSWERED["korban"][:2])
    waiting, _again = await user.ask("/start", n=2)
    assert "Kamu masih punya laporan yang belum selesai" in waiting.plain
    cancelled, menu = await user.ask("/batal", n=2)
    assert "jawabanmu sudah dihapus" in cancelled.plain
    assert menu.plain == "Apa yang ingin kamu lakukan?"
