"""Recording a case on its card (issue 15, item 1), through the fake Bot API: a koordinator
records services with dates, a referral, the victim's data and the kinds of violence; each
change is audited, a wrong typed value is answered and can be typed again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy import select

from storage import records
from storage import staff as staff_store
from storage.models import Ticket
from tests.handlers.test_staff_e2e import (
    GROUP,
    assert_no_reporter_identity,
    connected_coordinator,
    group_message,
    reported_in_group,
)
from tests.support import RunningBot, until


async def test_a_coordinator_records_services_and_victim_data_on_the_card(
    running_bot: RunningBot,
) -> None:
    api = running_bot.api
    koor = await connected_coordinator(running_bot)
    reporter = api.user(5571001)
    card = await reported_in_group(reporter, api, "Masyarakat umum")
    case_number = card.plain.split("Laporan ")[1].split()[0]
    assert ["Layanan", "Data korban", "Jenis kekerasan"] in card.buttons
    today = datetime.now(UTC).astimezone(ZoneInfo("Asia/Jakarta")).date()

    # Layanan: one press gives a service today; a second press corrects its date.
    await koor.press_in(GROUP, "Layanan")
    menu = await group_message(api, f"Data kasus {case_number}")
    assert menu.reply_to == card.message_id  # under the card; the card stays as it was
    assert "Jenis kekerasan: Eksploitasi seksual" in menu.plain  # from the category
    assert "Layanan: belum dicatat" in menu.plain
    await koor.press_in(GROUP, "Pengaduan")
    await until(lambda: "✓ Pengaduan" in menu.labels)
    assert f"Pengaduan ({format_date(today, 'd MMM y', locale='id')})" in menu.plain
    await koor.press_in(GROUP, "Kesehatan")
    await until(lambda: "✓ Kesehatan" in menu.labels)
    await koor.press_in(GROUP, "✓ Kesehatan")
    await until(lambda: "Tanggal lain …" in menu.labels)
    await koor.press_in(GROUP, "Tanggal lain …")
    ask = await group_message(api, "tanggal layanan Kesehatan")
    await koor.reply(ask, "kemarin lusa")
    await group_message(api, "Tanggal itu tidak bisa dipakai")
    earlier = today - timedelta(days=3)
    await koor.reply(ask, earlier.strftime("%d-%m-%Y"))
    saved = await group_message(api, f"Data kasus {case_number} tersimpan")
    shown = f"Kesehatan ({format_date(earlier, 'd MMM y', locale='id')})"
    assert shown in saved.plain
    await until(lambda: shown in menu.plain and "✓ Kesehatan" in menu.labels)
    await until(lambda: ask.deleted)  # the answered prompt leaves the group

    # Dirujuk ke: toggles, then back to the services.
    await koor.press_in(GROUP, "Dirujuk ke …")
    await until(lambda: "Unit PPA Polres" in menu.labels)
    await koor.press_in(GROUP, "Unit PPA Polres")
    await until(lambda: "✓ Unit PPA Polres" in menu.labels)
    assert "Dirujuk ke: Unit PPA Polres" in menu.plain
    await koor.press_in(GROUP, "« Kembali")
    await until(lambda: "✓ Pengaduan" in menu.labels)

    # Data korban: each field's options, an exact age typed.
    await koor.press_in(GROUP, "Data korban")
    victim = await group_message(api, "Isi yang sudah diketahui tentang korban")
    await koor.press_in(GROUP, "Jenis kelamin korban: belum dicatat")
    await until(lambda: "Perempuan" in victim.labels)
    await koor.press_in(GROUP, "Perempuan")
    await until(lambda: "Jenis kelamin korban: Perempuan" in victim.labels)
    await koor.press_in(GROUP, "Umur korban: belum dicatat")
    await until(lambda: "Umur tepat …" in victim.labels)
    await koor.press_in(GROUP, "Umur tepat …")
    ask = await group_message(api, "berapa umur korban")
    await koor.reply(ask, "15 tahun")
    await until(lambda: "Umur korban: 15 tahun" in victim.labels)
    await koor.press_in(GROUP, "Jumlah korban: belum dicatat")
    await until(lambda: "2 korban" in victim.labels)
    await koor.press_in(GROUP, "2 korban")
    await until(lambda: "Jumlah korban: 2" in victim.labels)

    # Jenis kekerasan: the category's kind is corrected.
    await koor.press_in(GROUP, "Jenis kekerasan")
    kinds = await group_message(api, "Terisi dari kategori laporan")
    assert "✓ Eksploitasi seksual" in kinds.labels
    await koor.press_in(GROUP, "Trafficking/TPPO")
    await until(lambda: "✓ Trafficking/TPPO" in kinds.labels)
    await koor.press_in(GROUP, "Selesai")
    await until(lambda: kinds.buttons == [])
    assert "tersimpan" in kinds.plain
    assert "Jenis kekerasan: Eksploitasi seksual, Trafficking/TPPO" in kinds.plain

    async with running_bot.db.unit_of_work() as s:
        tid = (await s.scalars(select(Ticket.id))).one()
        rec = await records.load(s, tid)
        audit = [(a.action, a.detail) for a in await staff_store.audit_for_ticket(s, tid)]
    assert rec["services"] == {"pengaduan": today.isoformat(), "kesehatan": earlier.isoformat()}
    assert rec["referrals"] == ["polres_ppa"]
    assert (rec["sex"], rec["age"], rec["age_band"], rec["victims"]) == (
        "perempuan",
        15,
        "13_17",
        2,
    )
    assert rec["violence"] == ["eksploitasi_seksual", "tppo"]
    assert audit == [
        ("record", f"services: +pengaduan {today.isoformat()}"),
        ("record", f"services: +kesehatan {today.isoformat()}"),
        ("record", f"services: kesehatan {today.isoformat()} -> {earlier.isoformat()}"),
        ("record", "referrals: [] -> polres_ppa"),
        ("record", "sex: - -> perempuan"),
        ("record", "age_band: - -> 13_17; age: - -> 15"),
        ("record", "victims: - -> 2"),
        ("record", "violence: - -> eksploitasi_seksual,tppo"),
    ]
    assert_no_reporter_identity(api, reporter, GROUP, koor.id)


async def test_a_record_menu_leaves_with_the_ticket(running_bot: RunningBot) -> None:
    """Teruskan: the old unit's record menu is taken back like its card's story, and a press
    on it afterwards records nothing."""
    api = running_bot.api
    koor = await connected_coordinator(running_bot)
    card = await reported_in_group(api.user(5571002), api, "Masyarakat umum")
    await koor.press_in(GROUP, "Data korban")
    menu = await group_message(api, "Isi yang sudah diketahui tentang korban")
    stale = dict(menu.button_data)
    await koor.press_in(GROUP, "Teruskan")
    await koor.reply(await group_message(api, "ke mana"), "kota medan")
    await group_message(api, "Pilih UPT tujuan")
    await koor.press_in(GROUP, "UPTD PPA Provinsi Sumatera Utara")
    await koor.reply(await group_message(api, "mengapa"), "Korban di Medan.")
    await until(lambda: "Isi laporan tidak lagi tersedia" in card.plain)
    await until(lambda: menu.deleted or menu.buttons == [])
    answered = len(koor.callback_answers)
    await koor.press_data(stale["Jenis kelamin korban: belum dicatat"], chat_id=GROUP)
    await until(lambda: len(koor.callback_answers) > answered)
    assert "tidak berwenang" in koor.callback_answers[-1]["text"]
    async with running_bot.db.unit_of_work() as s:
        tid = (await s.scalars(select(Ticket.id))).one()
        assert (await records.load(s, tid))["sex"] is None
        refused = [a.detail for a in await staff_store.audit_for_ticket(s, tid)]
    assert refused[-1] == "view on a ticket not owned"
