"""/statistik and Ekspor through the fake Bot API (issue 15, items 2 and 3): a koordinator
records services and the victim's data on a card, asks for the unit's numbers in the group,
presses Ekspor and receives the month's XLSX in private, never in the group."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date
from openpyxl import load_workbook
from sqlalchemy import select

from tests.handlers.test_staff_e2e import (
    BOT,
    GROUP,
    bot_messages,
    connected_coordinator,
    group_message,
    invite,
    reported_in_group,
)
from tests.support import RunningBot, until

PNG = b"\x89PNG\r\n\x1a\n"


async def test_a_coordinator_records_a_case_and_gets_the_months_xlsx_in_private(
    running_bot: RunningBot,
) -> None:
    api = running_bot.api
    koor = await connected_coordinator(running_bot)
    card = await reported_in_group(api.user(5572001), api, "Masyarakat umum")
    case_number = card.plain.split("Laporan ")[1].split()[0]
    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Jakarta")).date()

    await koor.press_in(GROUP, "Layanan")
    menu = await group_message(api, f"Data kasus {case_number}")
    await koor.press_in(GROUP, "Pengaduan")
    await until(lambda: "✓ Pengaduan" in menu.labels)
    await koor.press_in(GROUP, "Data korban")
    victim = await group_message(api, "Isi yang sudah diketahui tentang korban")
    await koor.press_in(GROUP, "Jenis kelamin korban: belum dicatat")
    await until(lambda: "Perempuan" in victim.labels)
    await koor.press_in(GROUP, "Perempuan")
    await until(lambda: "Jenis kelamin korban: Perempuan" in victim.labels)

    await koor.send_in(GROUP, f"/statistik@{BOT}")
    month = format_date(today, "MMMM y", locale="id")
    stats = await group_message(api, "📊 Statistik UPTD PPA Provinsi Jawa Timur")
    assert f"Statistik UPTD PPA Provinsi Jawa Timur, {month}" in stats.plain
    assert "Laporan masuk: 1 (0)" in stats.plain
    assert "Layanan diberikan: Pengaduan 1 (0)" in stats.plain
    assert "Diminta oleh Rina Wati" in stats.plain
    assert f"Ekspor {month} (XLSX)" in stats.labels
    chart = await group_message(api, "Grafik UPTD PPA Provinsi Jawa Timur")
    assert chart.kind == "photo" and chart.protected and chart.upload is not None
    assert chart.upload.startswith(PNG)

    before, answered = len(bot_messages(api, GROUP)), len(koor.callback_answers)
    await koor.press_in(GROUP, f"Ekspor {month} (XLSX)")
    [sent] = [m for m in await koor.replies(1) if m.kind == "document"]
    assert sent.chat_id == koor.id and sent.protected
    assert sent.file_name == f"lapor-ppa-uptd-ppa-35-{today:%Y-%m}.xlsx"
    assert "1 laporan" in sent.plain and "jangan diteruskan" in sent.plain
    await until(lambda: len(koor.callback_answers) > answered)
    assert koor.callback_answers[-1]["text"] == "File ekspor dikirim ke chat pribadi Anda."
    assert sent.upload is not None
    book = load_workbook(io.BytesIO(sent.upload))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[1][0] == case_number
    assert rows[1][15] == f"Pengaduan ({today:%d-%m-%Y})" and rows[1][10] == "Perempuan"
    assert [ws.title for ws in book.worksheets] == ["Kasus", "Rekap bulanan"]
    # Nothing went to the group: the file is the koordinator's alone.
    assert not [m for m in bot_messages(api, GROUP)[before:] if m.kind == "document"]


async def test_only_a_coordinator_exports_and_only_their_own_unit(
    running_bot: RunningBot,
) -> None:
    api = running_bot.api
    koor = await connected_coordinator(running_bot)
    petugas = api.user(8002, first_name="Budi")
    await petugas.ask(f"/start {await invite(running_bot, 'petugas')}")
    [request] = await koor.replies(1)
    assert request.buttons == [["Setujui", "Tolak"]]
    await koor.tap("Setujui", n=0)
    [approved] = await petugas.replies(1)
    assert "disetujui" in approved.plain
    await petugas.send("/statistik")
    [stats, _chart] = await petugas.replies(2)
    assert "📊 Statistik" in stats.plain and stats.buttons == []  # no Ekspor for a petugas
    await koor.send("/statistik")
    [mine, _chart] = await koor.replies(2)
    data = next(iter(mine.button_data.values()))
    answered = len(petugas.callback_answers)
    await petugas.press_data(data)
    await until(lambda: len(petugas.callback_answers) > answered)
    assert petugas.callback_answers[-1]["text"] == "Hanya koordinator yang dapat mengekspor data."
    answered = len(koor.callback_answers)
    await koor.press_data(data.replace(data.split(":")[2], "1"))  # another unit's
    await until(lambda: len(koor.callback_answers) > answered)
    assert "tidak berwenang" in koor.callback_answers[-1]["text"]
    reporter = api.user(5572002)
    [answer, *_] = await reporter.ask("/statistik")
    assert "📊" not in answer.plain  # a reporter's /statistik is not staff's


def _first_workday_of_next_month() -> datetime:
    from datetime import timedelta

    from storage.summaries import first_workday

    day = datetime.now(UTC).astimezone(ZoneInfo("Asia/Jakarta")).date().replace(day=1)
    day = (day + timedelta(days=32)).replace(day=1)
    while not first_workday(day):
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))


async def test_the_monthly_summary_reaches_a_coordinator_once_and_can_be_stopped(
    running_bot: RunningBot,
) -> None:
    from sqlalchemy import update

    from bot.monthly import MonthlySummaries
    from storage.models import Staff

    api = running_bot.api
    koor = await connected_coordinator(running_bot)
    await reported_in_group(api.user(5572003), api, "Masyarakat umum")
    async with running_bot.db.unit_of_work() as s:  # a koordinator since before this month
        await s.execute(update(Staff).values(created_at=datetime(2020, 1, 1, tzinfo=UTC)))
    when = _first_workday_of_next_month()
    monthly = MonthlySummaries(
        running_bot.db, running_bot.keys, clock=lambda: when, wake=running_bot.app.wake
    )
    assert await monthly.run_once() == 1
    assert await monthly.run_once() == 0  # once per koordinator and month
    text, picture = await koor.replies(2)
    assert "📊 Statistik UPTD PPA Provinsi Jawa Timur" in text.plain and text.protected
    assert "Laporan masuk: 1 (0)" in text.plain
    assert "Ringkasan bulanan otomatis" in text.plain
    assert text.buttons == [["Berhenti kirim ringkasan bulanan"]]
    assert picture.kind == "photo" and picture.upload is not None
    assert picture.upload.startswith(PNG) and picture.protected

    [stopped] = await koor.tap("Berhenti kirim ringkasan bulanan")
    assert "tidak akan dikirim lagi" in stopped.plain
    async with running_bot.db.unit_of_work() as s:
        [wants] = await s.scalars(
            select(Staff.monthly_summary).where(Staff.telegram_user_id == koor.id)
        )
    assert wants is False
    await koor.tap("Kirim lagi ringkasan bulanan", n=0)
    await until(lambda: "akan dikirim lagi" in stopped.plain and stopped.buttons == [])
