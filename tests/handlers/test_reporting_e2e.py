"""A person reports through Telegram: the real aiogram runtime against the fake Bot API."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from storage.crypto import Keys
from storage.db import Database
from storage.models import Ticket
from tests.fakebot import FakeBotAPI, FakeUser
from tests.handlers.walks import ANSWERED, NARRATIVE, ROLE_MSGIDS, URGENT, act, updates_row, walk
from tests.support import RunningBot, every_stored_byte, start_bot, stop_bot

CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")
ROLES = ["Masyarakat umum", "Orang tua/keluarga", "Guru BK", "Korban (saya sendiri)"]


async def report_until_summary(
    user: FakeUser, role: str, *, urgent: bool = False, updates: bool = False
) -> None:
    """The role's whole path in Indonesian (evidence skipped), up to the summary."""
    welcome, menu = await user.ask("/start", n=2)
    assert "Anonim" in welcome.plain
    assert menu.buttons == [["Lapor"], ["Cek status", "Info & bantuan"]]
    intro, ask_role = await user.tap("Lapor", n=2)
    assert "Jangan pernah mengirim foto atau video seksual anak" in intro.plain
    assert ask_role.buttons == [[r] for r in ROLES]
    await act(user, "tap", role)
    key = ROLE_MSGIDS[role]
    rows = URGENT[key] if urgent else ANSWERED[key]
    [summary] = await walk(user, [*rows, updates_row(updates, key)])
    assert summary.buttons[:2] == [["Kirim"], ["Ubah", "Batal"]]
    if key == "korban":
        assert summary.buttons[2:] == [["🗑 Hapus percakapan"]]
    assert NARRATIVE in summary.plain
    assert "Kabupaten Sidoarjo, Jawa Timur" in summary.plain
    # A victim reads their own role in their own words ("aku", never "saya").
    assert (role if key != "korban" else "Korban (aku sendiri)") in summary.plain


async def submit(user: FakeUser) -> str:
    sent, held, menu = await user.tap("Kirim", n=3)
    assert "Laporan terkirim" in sent.plain
    assert "Simpan kode ini baik-baik" in sent.plain
    assert re.search(r"PPA-3515-\d{4}-000\d{3}", sent.plain)
    assert "UPTD PPA Provinsi Jawa Timur" in sent.plain
    assert "SAPA 129" in held.plain  # nobody connected yet: the reporter is told plainly
    assert menu.buttons[0] == ["Lapor"]
    match = CODE.search(sent.plain)
    assert match, sent.plain
    return match.group(0)


async def ticket_count(bot: RunningBot) -> int:
    async with bot.db.unit_of_work() as s:
        return int(await s.scalar(select(func.count()).select_from(Ticket)) or 0)


@pytest.mark.parametrize("role", ROLES)
async def test_each_role_reports_and_checks_status(running_bot: RunningBot, role: str) -> None:
    user = running_bot.api.user(5550001, first_name="Siti", username="siti_w")
    await report_until_summary(user, role, urgent=role == "Korban (saya sendiri)")
    code = await submit(user)

    status, menu = await user.ask(f"/status {code}", n=2)
    assert "Baru" in status.plain
    assert "UPTD PPA Provinsi Jawa Timur" in status.plain
    assert re.search(r"\d{1,2} \w+ 20\d\d, \d\d\.\d\d WIB", status.plain), status.plain
    assert menu.buttons[0] == ["Lapor"]
    # The message holding the code was deleted: only the bot's one copy remains in the chat.
    visible = [m.text for m in running_bot.api.chat(user.id)]
    assert sum(code in t for t in visible) == 1
    assert await ticket_count(running_bot) == 1


async def test_status_button_with_typo_unknown_and_rate_limit(running_bot: RunningBot) -> None:
    user = running_bot.api.user(5550002)
    await user.ask("/start", n=2)
    [ask] = await user.tap("Cek status")
    assert "Ketik kode tiket" in ask.plain
    typo, again = await user.ask("7K2M-9Q4T-1XA9", n=2)
    assert "salah ketik" in typo.plain
    unknown, _ = await user.ask("7K2M-9Q4T-1XA8", n=2)
    assert "tidak ditemukan" in unknown.plain
    for _ in range(4):
        await user.ask("/status 7K2M-9Q4T-1XA8", n=2)
    limited, _ = await user.ask("/status 7K2M-9Q4T-1XA8", n=2)
    assert "Terlalu banyak pengecekan" in limited.plain


async def test_odd_input_mid_flow_keeps_the_draft(running_bot: RunningBot) -> None:
    user = running_bot.api.user(5550003)
    await user.ask("/start", n=2)
    await user.tap("Lapor", n=2)
    await user.tap("Guru BK")
    for kind in ("sticker", "voice", "photo", "video", "document"):
        await user.send_media(kind)
        said, again = await user.replies(2)
        # The warning about sexual images of children for what may be a picture; a sticker
        # or a voice note gets the short "type or press a button" line (issue 13, item 9).
        picture = kind in ("photo", "video", "document")
        assert ("Jangan pernah mengirim" in said.plain) is picture, kind
        assert picture or "ketik jawaban atau tekan" in said.plain
        assert "dalam bahaya" in again.plain
    await user.press_data("role:korban")  # an old button
    stale, again = await user.replies(2)
    assert "sudah tidak berlaku" in stale.plain
    await user.press_data("x" * 64)  # forged data
    stale, again = await user.replies(2)
    assert "sudah tidak berlaku" in stale.plain
    waiting, again = await user.ask("/start", n=2)
    assert "belum selesai" in waiting.plain and "dalam bahaya" in again.plain
    await user.tap("Tidak")
    [too_long] = await user.ask("sekolah " * 40)  # the school's name
    assert "batasnya 150" in too_long.plain
    await user.ask("SMP Contoh")
    await user.tap("Tidak tahu")  # the place
    await walk(
        user,
        [
            ("guru.ask_age", "tap", "report.skip"),
            ("guru.ask_grade", "tap", "report.skip"),
            ("guru.ask_consent", "tap", "report.skip"),
            ("report.ask_category", "tap", "category.lainnya"),
        ],
    )
    [too_long] = await user.ask("panjang " * 400)
    assert "batasnya 2000" in too_long.plain
    [ask_parents] = await user.ask("Cerita yang cukup pendek.")
    await walk(
        user,
        [
            ("guru.ask_parents", "tap", "report.skip"),
            ("evidence.ask", "tap", "report.skip"),
            ("report.ask_platform", "tap", "report.skip"),
            ("report.ask_when", "tap", "when.tidak_tahu"),
            ("guru.ask_contact", "tap", "contact.tidak"),
        ],
    )
    [summary] = await user.tap("Tidak usah")
    assert "Guru BK" in summary.plain and "Tempat: Tidak diketahui" in summary.plain
    await submit_unrouted(user)
    assert await ticket_count(running_bot) == 1


async def submit_unrouted(user: FakeUser) -> None:
    sent, _held, _menu = await user.tap("Kirim", n=3)
    assert "PPA-0000-" in sent.plain and "SAPA 129" in sent.plain


async def test_kirim_twice_and_a_redelivered_update_make_one_ticket(
    running_bot: RunningBot,
) -> None:
    api = running_bot.api
    user = api.user(5550004)
    await report_until_summary(user, "Masyarakat umum")
    first = await user.press("Kirim")
    await user.press("Kirim")  # a double tap on the same button
    replies = await user.replies(5)
    assert "Laporan terkirim" in replies[0].plain
    assert "sudah tidak berlaku" in replies[3].plain
    api.redeliver(first)  # Telegram hands the same update again, e.g. after a crash
    welcome, _menu = await user.ask("/start", n=2)
    assert "Selamat datang" in welcome.plain  # the redelivery itself answered nothing
    assert await ticket_count(running_bot) == 1


async def test_edit_and_cancel_from_the_summary(running_bot: RunningBot) -> None:
    user = running_bot.api.user(5550005)
    await report_until_summary(user, "Orang tua/keluarga")
    [which] = await user.tap("Ubah")
    assert which.buttons[-1] == ["Kembali ke ringkasan"]
    [ask_when] = await user.tap("Waktu")
    [summary] = await user.tap("Sedang berlangsung")
    assert "Waktu: Sedang berlangsung" in summary.plain
    [confirm] = await user.tap("Batal")
    assert confirm.buttons == [["Ya, batalkan laporan"], ["Tidak, kembali"]]
    cancelled, _ = await user.tap("Ya, batalkan laporan", n=2)
    assert "dibatalkan" in cancelled.plain
    assert await ticket_count(running_bot) == 0


async def test_database_holds_no_plaintext_narrative_code_or_user_id(
    running_bot: RunningBot, tmp_path: Path
) -> None:
    user = running_bot.api.user(771234567, first_name="Rahasia", username="pelapor_rahasia")
    await report_until_summary(user, "Masyarakat umum")
    code = await submit(user)
    raw = await every_stored_byte(running_bot.db, tmp_path)
    for secret in (
        NARRATIVE,
        "Rahasia-narasi-7731",
        code,
        code.replace("-", ""),
        str(user.id),
        "pelapor_rahasia",
        "penawar_anak",
    ):
        assert secret.encode() not in raw, secret
    assert b"PPA-3515-" in raw  # the case number is not secret, and is there: the read worked


async def test_a_code_that_never_arrived_is_replaced_at_the_next_message(
    running_bot: RunningBot,
) -> None:
    api = running_bot.api
    user = api.user(5550006)
    await report_until_summary(user, "Masyarakat umum")
    api.fail("sendMessage", status=400, description="Bad Request: chat is unavailable", times=1)
    _held, _menu = await user.tap("Kirim", n=2)  # the message with the code was refused
    assert not any(CODE.search(m.plain) for m in api.chat(user.id))

    fresh, _welcome, _menu = await user.ask("/start", n=3)
    assert "kodenya mungkin tidak sampai" in fresh.plain
    match = CODE.search(fresh.plain)
    assert match
    status, _ = await user.ask(f"/status {match.group(0)}", n=2)
    assert "Baru" in status.plain
    assert await ticket_count(running_bot) == 1
    # Delivered now: the next message is answered normally, with no third code.
    welcome, _ = await user.ask("/start", n=2)
    assert "Selamat datang" in welcome.plain


async def test_report_and_status_on_each_database(
    fake_api: FakeBotAPI,
    database: Database,
    keys: Keys,
    bot_runtime: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    running = await start_bot(fake_api, database, keys, bot_runtime=bot_runtime)
    try:
        user = fake_api.user(5550007, first_name="Budi", last_name="Santoso", username="budi_s")
        await report_until_summary(user, "Masyarakat umum", urgent=True)
        code = await submit(user)
        status, _ = await user.ask(f"/status {code}", n=2)
        assert "Baru" in status.plain
        case_only, _ = await user.ask("/status PPA-3515-2026-000001", n=2)
        assert "bukan kode tiket" in case_only.plain  # the case number never opens a ticket
    finally:
        await stop_bot(running)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "held at UPTD-PPA-35" in logged  # the operator is warned, by case number only
    for secret in (NARRATIVE, code, code.replace("-", ""), str(user.id), "budi_s", "Santoso"):
        assert secret not in logged


async def test_place_from_the_lists_and_a_kecamatan_by_name(running_bot: RunningBot) -> None:
    user = running_bot.api.user(5550010)
    await user.ask("/start", n=2)
    await user.tap("Lapor", n=2)
    await user.tap("Masyarakat umum")
    await walk(user, ANSWERED["umum"][:6])
    [provinces] = await user.tap("Pilih dari daftar provinsi")
    assert "Pilih provinsi" in provinces.plain and provinces.buttons[-2] == ["Berikutnya »"]
    [page2] = await user.tap("Berikutnya »")
    assert page2.buttons[0] != provinces.buttons[0]
    assert ["« Sebelumnya", "Berikutnya »"] in page2.buttons
    [back] = await user.tap("« Sebelumnya")
    assert back.buttons == provinces.buttons
    [regencies] = await walk_to(user, "Jawa Timur")
    assert "Pilih kabupaten/kota di Jawa Timur" in regencies.plain
    assert ["Hanya tahu provinsinya"] in regencies.buttons and ["Tidak tahu"] in regencies.buttons
    # The province is named once, in the question, not on every button (issue 13, item 9).
    assert not any("Jawa Timur" in b for row in regencies.buttons for b in row)
    [sidoarjo] = await walk_to(user, "Kabupaten Sidoarjo")
    assert "Kecamatannya?" in sidoarjo.plain
    [found] = await user.ask("waru")
    assert found.buttons[0] == ["Kec. Waru"]
    [story] = await user.tap("Kec. Waru")
    assert "Ceritakan" in story.plain
    await user.ask("Ada yang mencurigakan di warnet.")
    await user.tap("Hari ini")
    [summary] = await user.tap("Tidak usah")
    assert "Tempat: Kabupaten Sidoarjo, Jawa Timur — Kec. Waru" in summary.plain


async def walk_to(user: FakeUser, label: str) -> list:  # type: ignore[type-arg]
    """Turn list pages until the button shows, then press it."""
    for _ in range(12):
        if any(label in row for row in user.last.buttons):
            return await user.tap(label)
        await user.tap("Berikutnya »")
    raise AssertionError(f"{label!r} never appeared")


async def test_a_redelivered_answer_changes_nothing_on_each_database(
    fake_api: FakeBotAPI, database: Database, keys: Keys, bot_runtime: str
) -> None:
    """On PostgreSQL an answer is claimed and saved in one statement; a redelivery of it is
    still recognised and answered with nothing."""
    running = await start_bot(fake_api, database, keys, bot_runtime=bot_runtime)
    try:
        user = fake_api.user(5550011)
        await user.ask("/start", n=2)
        await user.tap("Lapor", n=2)
        await user.tap("Masyarakat umum")
        pressed = await user.press("Tidak")
        [ask_relation] = await user.replies(1)
        assert "Apa hubungan Anda" in ask_relation.plain
        fake_api.redeliver(pressed)
        await fake_api.wait_confirmed(pressed)
        [ask_category] = await user.tap("Tetangga/kenalan")  # the next answer, nothing between
        assert "Apa yang terjadi?" in ask_category.plain
    finally:
        await stop_bot(running)
