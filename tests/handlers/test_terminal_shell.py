"""The terminal shell plays both sides (issue 13, items 6-7): one person reports, switches to
a koordinator's chat, claims the card, asks the reporter a question, switches back, answers
it, and sees the answer arrive, with no Telegram at all and on the same core."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

from bot.app import App, terminal_parts
from bot.settings import Settings
from handlers.terminal.shell import REPORTER_ID, STAFF_ID, TerminalShell
from storage import staff
from storage.crypto import Keys
from storage.db import Database
from tests.handlers.walks import NARRATIVE
from tests.support import TEST_SECRET

QUESTION = "Kapan terakhir Anda melihat iklan itu?"
ANSWER = "Kemarin malam, sekitar jam 9."


class Terminal:
    """Types the script's lines as a person would, echoing them as a terminal does."""

    def __init__(self, script: list[str | Callable[[], str]]) -> None:
        self.script, self.out = script, io.StringIO()

    async def read_line(self) -> str | None:
        if not self.script:
            return None
        line = self.script.pop(0)
        text = line if isinstance(line, str) else line()
        self.out.write(text + "\n")
        return text


async def play(
    db: Database, keys: Keys, script: list[str | Callable[[], str]], unit: str | None
) -> str:
    settings = Settings(secret_key=TEST_SECRET, default_locale="id", _env_file=None)
    app = App(settings, TEST_SECRET, db=db)
    terminal = Terminal(script)
    await TerminalShell(terminal_parts(app), read_line=terminal.read_line, out=terminal.out).run(
        unit
    )
    return terminal.out.getvalue()


async def test_one_person_plays_the_reporter_and_the_koordinator(
    database: Database, keys: Keys, tmp_path: Path
) -> None:
    async with database.unit_of_work() as s:
        token, _unit = await staff.create_invite(s, keys, "UPTD-PPA-35", "koordinator")
    script: list[str | Callable[[], str]] = [
        "/staf",
        token,  # pasted as `lapor-ppa staff invite` printed it
        "/pelapor",
        *("Lapor", "masyarakat umum", "Tidak", "Tetangga/kenalan", "Prostitusi online anak"),
        *("Iklan/tawaran daring", "t.me/penawar_anak", "Selesai", "sidoarjo", "1", "Lewati"),
        *(NARRATIVE, "Hari ini", "Ya, kirimi saya kabar", "Kirim"),
        "/staf",
        "Ambil",
        "Tanya pelapor",
        QUESTION,
        "/pelapor",
        "Balas",
        ANSWER,
        "/staf",
    ]
    shown = await play(database, keys, script, "uptd-ppa-35")
    (tmp_path / "shell_casework.txt").write_text(shown)
    chats = re.split(r"^— ", shown, flags=re.M)
    koordinator_joins, reporter_reports, claim_and_ask, reporter_answers, answer_arrives = chats[1:]
    assert (
        "koordinator" in koordinator_joins and "UPTD PPA Provinsi Jawa Timur" in koordinator_joins
    )
    assert "Laporan terkirim" in reporter_reports and "PPA-3515-" in reporter_reports
    assert "(1 pesan baru di obrolan koordinator: ketik /staf untuk membukanya)" in reporter_reports
    assert "Laporan PPA-3515-" in claim_and_ask and "Dipegang: Koordinator" in claim_and_ask
    assert "(Laporan diambil. Anda pemegangnya sekarang.)" in claim_and_ask
    assert QUESTION in reporter_answers and "Balas" in reporter_answers
    assert ANSWER in answer_arrives
    # What a reporter sees never names the koordinator, and staff never see who reported.
    assert "Koordinator" not in reporter_reports + reporter_answers
    assert str(REPORTER_ID) not in shown and str(STAFF_ID) not in shown  # no Telegram ids


async def test_choices_by_number_or_words_and_a_wrong_number(
    database: Database, keys: Keys
) -> None:
    shown = await play(database, keys, ["7", "info & BANTUAN", "/staf"], None)
    assert "Ketik nomor 1–3, atau tulis pilihannya." in shown
    assert "Info & bantuan" in shown and "SAPA 129" in shown
    assert "Sisi koordinator perlu kode UPT" in shown  # /staf without a unit


async def test_a_koordinator_asks_for_the_numbers_in_the_shell(
    database: Database, keys: Keys
) -> None:
    """/statistik works at the console too: the figures, and the chart named as a file."""
    async with database.unit_of_work() as s:
        token, _unit = await staff.create_invite(s, keys, "UPTD-PPA-35", "koordinator")
    shown = await play(database, keys, ["/staf", token, "/statistik"], "uptd-ppa-35")
    assert "📊 Statistik UPTD PPA Provinsi Jawa Timur" in shown
    assert "Laporan masuk: 0 (0)" in shown
    assert "[statistik.png] Grafik UPTD PPA Provinsi Jawa Timur" in shown
    assert "Ekspor" in shown  # a koordinator's buttons
