"""A story pasted longer than Telegram's 4 096 characters arrives as two messages: the bot
answers on the whole of it, says its length, and keeps what the person chooses (issue 13,
item 9). Before, the first part was refused and the tail alone silently became the story."""

from __future__ import annotations

from tests.handlers.walks import ANSWERED, start_report, walk
from tests.support import RunningBot

HEAD = ("Ada akun yang menawarkan anak SMP lewat MiChat. " * 90)[:4096]
TAIL = "Akun itu juga memakai nama @penawar_anak di Telegram sejak bulan lalu."


async def test_a_story_in_two_messages_is_answered_as_one(running_bot: RunningBot) -> None:
    user = running_bot.api.user(5591001)
    await start_report(user, "role.umum")
    rows = ANSWERED["umum"]
    at = next(n for n, row in enumerate(rows) if row[0] == "report.ask_narrative")
    before_story = rows[:at]
    await walk(user, before_story)
    [first] = await user.ask(HEAD)
    assert "Ceritanya 4096 karakter, sedangkan batasnya 2000" in first.plain
    [joined] = await user.ask(TAIL)
    length = len(HEAD) + len(TAIL)
    assert f"digabung dari 2 pesan, {length} karakter" in joined.plain
    assert joined.buttons == [["Simpan 2000 karakter pertama"], ["Tulis ulang lebih singkat"]]
    kept, ask_when = await user.tap("Simpan 2000 karakter pertama", n=2)
    assert "Disimpan: 2000 karakter pertama cerita" in kept.plain
    assert "Kapan kejadiannya?" in ask_when.plain
    [summary] = await walk(
        user,
        [
            ("report.ask_when", "tap", "when.hari_ini"),
            ("report.ask_updates", "tap", "updates.tidak"),
        ],
    )
    assert HEAD[:200] in summary.plain and TAIL not in summary.plain
