"""No promise the bot cannot keep, no question asked twice, no stale buttons (issue 13,
item 5): what a used picker, prompt or question says afterwards, in the group and to the
reporter."""

from __future__ import annotations

from tests.fakebot import FakeBotAPI
from tests.handlers.test_reporting_e2e import report_until_summary
from tests.handlers.test_staff_e2e import (
    GROUP,
    REPORTER,
    ask_in_group,
    connected_coordinator,
    group_message,
    reported_in_group,
    sent_with_card,
)
from tests.support import RunningBot, until


def live(api: FakeBotAPI) -> list[str]:
    """The group's messages that still have buttons, as their first line."""
    return [m.plain.splitlines()[0] for m in api.chat(GROUP) if m.from_bot and m.buttons]


async def test_used_pickers_and_prompts_say_what_was_done(running_bot: RunningBot) -> None:
    api = running_bot.api
    koor = await connected_coordinator(running_bot)
    reporter = api.user(**REPORTER)
    card = await reported_in_group(reporter, api, "Masyarakat umum")
    await koor.press_in(GROUP, "Ambil")
    await until(lambda: "Dipegang: Rina Wati" in card.plain)

    await koor.press_in(GROUP, "Ubah status")
    picker = await group_message(api, "Pilih status baru")
    assert picker.buttons[-1] == ["Batal, status tetap"]
    await koor.press_in(GROUP, "Asesmen")
    await until(lambda: "Rina Wati memilih status Asesmen" in picker.plain)
    assert picker.buttons == []

    await koor.press_in(GROUP, "Ubah status")
    second = await group_message(api, "Pilih status baru")  # the first one says what was done
    await koor.press_in(GROUP, "Batal, status tetap")
    await until(lambda: "tidak diubah" in second.plain)
    assert second.buttons == [] and "Status: Asesmen" in card.plain

    await koor.press_in(GROUP, "Ubah status")
    await group_message(api, "Pilih status baru")
    await koor.press_in(GROUP, "Selesai")
    prompt = await group_message(api, "tulis alasan")
    await koor.reply(prompt, "Anak sudah didampingi.")
    share = await group_message(api, "Boleh keterangan ini dilihat pelapor?")
    await until(lambda: prompt.deleted)  # the answered prompt leaves the chat
    await koor.press_in(GROUP, "Ya, boleh")
    await until(lambda: "Alasan untuk pelapor: Ya, boleh." in share.plain)
    await until(lambda: "Status: Selesai" in card.plain)
    # Nothing in the group still waits for anyone: the closed card keeps only the buttons
    # that record the case (a closed case is still recorded and corrected).
    assert live(api) == [card.plain.splitlines()[0]]
    assert card.buttons == [["Layanan", "Data korban", "Jenis kekerasan"]]


async def test_a_question_answered_with_balas_is_not_asked_again_at_status(
    running_bot: RunningBot,
) -> None:
    api = running_bot.api
    koor = await connected_coordinator(running_bot)
    reporter = api.user(**REPORTER)
    code, _card = await sent_with_card(api, reporter, "Masyarakat umum", updates=True)
    prompt = await ask_in_group(api, koor, "Apakah akun itu masih aktif?")
    await until(lambda: prompt.deleted)
    [question] = await reporter.replies(1)
    await reporter.tap("Balas")
    await reporter.ask("Masih aktif.", n=2)
    await group_message(api, "menjawab")
    shown = await reporter.ask(f"/status {code}")
    assert not any("Apakah akun itu masih aktif?" in m.plain for m in shown)
    assert "Status laporan" in shown[0].plain


async def test_an_answer_nobody_can_read_yet_is_kept_not_sent(running_bot: RunningBot) -> None:
    reporter = running_bot.api.user(**REPORTER)
    await report_until_summary(reporter, "Masyarakat umum")
    sent, nobody_yet, _menu = await reporter.tap("Kirim", n=3)
    assert "belum terhubung" in nobody_yet.plain
    code = sent.plain.split("Kode tiket Anda:")[1].split()[0]
    status, _menu = await reporter.ask(f"/status {code}", n=2)
    assert status.buttons == [["Tambah informasi"]]
    [ask] = await reporter.tap("Tambah informasi")
    assert "Tulis jawaban" in ask.plain, ask.plain
    kept, _menu = await reporter.ask("Akunnya juga ada di Instagram.", n=2)
    assert "disimpan bersama laporan" in kept.plain and "SAPA 129" in kept.plain
    assert "Terkirim" not in kept.plain
