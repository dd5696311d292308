"""UPT staff work a ticket in Telegram: reporter, staff and the UPT group, through the fake API."""

from __future__ import annotations

import asyncio
import re

from sqlalchemy import select

from storage import staff as staff_store
from storage.crypto import Keys
from storage.db import Database
from storage.models import AuditEntry, Staff, Ticket, TicketEvent
from tests.fakebot import BotMessage, FakeBotAPI, FakeUser
from tests.handlers.test_reporting_e2e import report_until_summary
from tests.handlers.walks import public_without_place, walk
from tests.support import RunningBot, start_bot, stop_bot, until

FORMAL = re.compile(r"\b(Anda|saya)\b")

GROUP = -1001234567890
BOT = "lapor_ppa_test_bot"
REPORTER = dict(user_id=5551234, first_name="Siti", last_name="Aminah", username="siti_aminah")


def bot_messages(api: FakeBotAPI, chat_id: int) -> list[BotMessage]:
    return [m for m in api.history(chat_id) if m.from_bot]


async def group_message(api: FakeBotAPI, containing: str, *, nth: int = 1) -> BotMessage:
    """The nth bot message in the group containing the text (waits until it exists)."""

    def matching() -> list[BotMessage]:
        return [m for m in bot_messages(api, GROUP) if containing in m.plain]

    try:
        await until(lambda: len(matching()) >= nth)
    except AssertionError:
        seen = "\n---\n".join(m.plain for m in bot_messages(api, GROUP))
        raise AssertionError(
            f"no message #{nth} with {containing!r}; the group saw:\n{seen}"
        ) from None
    return matching()[nth - 1]


def assert_no_reporter_identity(
    api: FakeBotAPI, reporter: FakeUser, *chats: int, allowed: str = ""
) -> None:
    """Nothing staff or a group ever saw (edits included) names or points to the reporter,
    except `allowed`: a Guru BK's own contact, which they chose to give."""
    seen = "\n".join(m.text + "\n".join(m.edits) for chat in chats for m in bot_messages(api, chat))
    if allowed:
        seen = seen.replace(allowed, "")
    traces = [str(reporter.id), reporter.first_name, reporter.last_name, reporter.username]
    for trace in filter(None, traces):
        assert trace not in seen, f"{trace!r} reached staff"


async def invite(bot: RunningBot, role: str) -> str:
    async with bot.db.unit_of_work() as s:
        token, _ = await staff_store.create_invite(s, bot.keys, "UPTD-PPA-35", role)
    return token


async def connected_coordinator(bot: RunningBot) -> FakeUser:
    api = bot.api
    koor = api.user(8001, first_name="Rina", last_name="Wati")
    [welcome] = await koor.ask(f"/start {await invite(bot, 'koordinator')}")
    assert "koordinator" in welcome.plain and "UPTD PPA Provinsi Jawa Timur" in welcome.plain
    assert f"/hubungkan@{BOT}" in welcome.plain
    api.group(GROUP, "UPTD PPA Jatim")
    await koor.send_in(GROUP, f"/hubungkan@{BOT}")
    await group_message(api, "terhubung")
    return koor


async def ticket(bot: RunningBot) -> Ticket:
    async with bot.db.unit_of_work() as s:
        return (await s.scalars(select(Ticket))).one()


async def sent_with_card(
    api: FakeBotAPI, reporter: FakeUser, role: str, *, updates: bool
) -> tuple[str, BotMessage]:
    """A report sent to the connected Jatim group: (the reporter's code, its card there)."""
    await report_until_summary(reporter, role, updates=updates)
    sent, _menu = await reporter.tap("Kirim", n=2)
    code = sent.plain.split("Kode tiket Anda:")[1].split()[0]
    return code, await group_message(api, "Laporan PPA-")


async def reported_in_group(reporter: FakeUser, api: FakeBotAPI, role: str) -> BotMessage:
    """A report with updates on, sent to the connected Jatim group; returns its card there."""
    await report_until_summary(reporter, role, updates=True)
    await submit_connected(reporter)
    return await group_message(api, "Laporan PPA-")


async def test_a_ticket_is_worked_in_the_group_and_the_reporter_hears_each_step(
    running_bot: RunningBot,
) -> None:
    api = running_bot.api
    koor = await connected_coordinator(running_bot)
    reporter = api.user(**REPORTER)
    card = await reported_in_group(reporter, api, "Masyarakat umum")
    assert "Laporan PPA-3515-" in card.plain
    assert "Ada akun @penawar_anak" in card.plain and "belum ada (tekan Ambil)" in card.plain
    assert card.buttons[0] == ["Ambil"]
    assert ["Ubah status", "Tanya pelapor"] in card.buttons

    await koor.press_in(GROUP, "Ambil")
    await until(lambda: "Dipegang: Rina Wati" in card.plain)
    assert "Status: Diterima" in card.plain and ["Ambil"] not in card.buttons
    [notice] = await reporter.replies(1)
    assert "status sekarang Diterima" in notice.plain

    await koor.press_in(GROUP, "Ubah status")
    picker = await group_message(api, "Pilih status baru")
    assert picker.buttons[0] == ["Asesmen"] and picker.buttons[-2:] == [
        ["Bukan kewenangan"],
        ["Batal, status tetap"],
    ]
    await koor.press_in(GROUP, "Asesmen")
    [notice] = await reporter.replies(1)
    assert "status sekarang Asesmen" in notice.plain

    await koor.press_in(GROUP, "Ubah status")
    await group_message(api, "Pilih status baru")  # the first picker says what was chosen
    await koor.press_in(GROUP, "Selesai")
    prompt = await group_message(api, "tulis alasan")
    assert prompt.reply_markup and prompt.reply_markup.get("force_reply") is True
    await koor.reply(prompt, "Anak sudah didampingi & dirujuk ke rumah aman.")
    await group_message(api, "Boleh keterangan ini dilihat pelapor?")
    await koor.press_in(GROUP, "Ya, boleh")
    [notice] = await reporter.replies(1)
    assert "status sekarang Selesai" in notice.plain
    assert "Keterangan petugas: Anak sudah didampingi & dirujuk ke rumah aman." in notice.plain
    await until(lambda: "Status: Selesai" in card.plain)
    assert card.buttons == [["Layanan", "Data korban", "Jenis kekerasan"]]  # recording only

    # One optional question when the case closes.
    [rate] = await reporter.replies(1)
    assert "seberapa membantu" in rate.plain and rate.buttons == [["1", "2", "3", "4", "5"]]
    [ask_comment] = await reporter.tap("4")
    assert ask_comment.buttons == [["Lewati"]]
    thanks, _menu = await reporter.ask("Petugasnya sabar sekali.", n=2)
    assert "Terima kasih atas masukan" in thanks.plain
    await reporter.press_data(rate.button_data["5"], rate.message_id)  # a second rating
    stale, _menu = await reporter.replies(2)
    assert "tidak berlaku" in stale.plain

    t = await ticket(running_bot)
    async with running_bot.db.unit_of_work() as s:
        events = [
            (e.kind, e.status)
            for e in await s.scalars(
                select(TicketEvent).where(TicketEvent.ticket_id == t.id).order_by(TicketEvent.id)
            )
        ]
        actions = [a.action for a in await staff_store.audit_for_ticket(s, t.id)]
    assert t.status == "selesai" and t.claimed_by_id is not None
    assert (t.feedback_score, t.feedback_comment) == (4, "Petugasnya sabar sekali.")
    assert [st for kind, st in events if kind == "status"] == ["diterima", "asesmen", "selesai"]
    assert actions == ["claim", "status:asesmen", "status:selesai"]

    assert_no_reporter_identity(api, reporter, GROUP, koor.id)


async def submit_connected(reporter: FakeUser) -> str:
    sent, _menu = await reporter.tap("Kirim", n=2)  # connected: no "waiting" note
    assert "Laporan terkirim" in sent.plain and "UPTD PPA Provinsi Jawa Timur" in sent.plain
    return sent.plain


async def test_with_updates_off_nothing_is_pushed_and_status_shows_the_change(
    running_bot: RunningBot,
) -> None:
    api = running_bot.api
    koor = await connected_coordinator(running_bot)
    reporter = api.user(5551235)
    code, card = await sent_with_card(api, reporter, "Orang tua/keluarga", updates=False)
    pushed_before = len(bot_messages(api, reporter.id))
    await koor.press_in(GROUP, "Ambil")
    await until(lambda: "Dipegang: Rina Wati" in card.plain)
    t = await ticket(running_bot)
    assert (t.status, t.reporter_chat_id) == ("diterima", None)  # no chat id was ever kept
    assert len(bot_messages(api, reporter.id)) == pushed_before  # and nothing was pushed
    status, _ = await reporter.ask(f"/status {code}", n=2)
    assert "Diterima" in status.plain


async def test_strangers_forged_buttons_and_pending_staff_change_nothing(
    running_bot: RunningBot,
) -> None:
    api = running_bot.api
    koor = await connected_coordinator(running_bot)
    reporter = api.user(5551236)
    await report_until_summary(reporter, "Guru BK")
    await reporter.tap("Kirim", n=2)
    await group_message(api, "Laporan PPA-")
    t = await ticket(running_bot)

    stranger = api.user(9001, first_name="Orang", last_name="Asing")
    await stranger.press_in(GROUP, "Ambil")
    await until(lambda: stranger.callback_answers)
    assert "tidak berwenang" in stranger.callback_answers[-1]["text"]

    petugas = api.user(8002, first_name="Budi")
    [pending] = await petugas.ask(f"/start {await invite(running_bot, 'petugas')}")
    assert "menunggu persetujuan" in pending.plain
    await petugas.press_in(GROUP, "Ambil")
    await until(lambda: petugas.callback_answers)
    assert "tidak berwenang" in petugas.callback_answers[-1]["text"]

    for forged in (f"s:claim:{t.id + 1000}", "s:set:1:dibuang", "s:claim:abc", "s:x:1", "💥"):
        await koor.press_data(forged)
    await until(lambda: len(koor.callback_answers) >= 4)

    async with running_bot.db.unit_of_work() as s:
        fresh = await s.get_one(Ticket, t.id)
        refused = [a for a in await s.scalars(select(AuditEntry)) if a.action == "refused"]
    assert (fresh.status, fresh.claimed_by_id) == ("baru", None)
    assert len(refused) >= 4
    assert all("9001" not in (a.actor + (a.detail or "")) for a in refused)

    # The coordinator approves the new staff member, who can then take the ticket.
    [request] = await koor.replies(1)
    assert "Budi" in request.plain and request.buttons == [["Setujui", "Tolak"]]
    await koor.tap("Setujui", n=0)
    [approved] = await petugas.replies(1)
    assert "disetujui" in approved.plain
    await petugas.press_in(GROUP, "Ambil")
    card = await group_message(api, "Laporan PPA-")
    await until(lambda: "Dipegang: Budi" in card.plain)
    async with running_bot.db.unit_of_work() as s:
        budi = (await s.scalars(select(Staff).where(Staff.display_name == "Budi"))).one()
        assert (await s.get_one(Ticket, t.id)).claimed_by_id == budi.id


async def ask_in_group(api: FakeBotAPI, koor: FakeUser, question: str, nth: int = 1) -> BotMessage:
    await koor.press_in(GROUP, "Tanya pelapor")
    prompt = await group_message(api, "tulis pertanyaan untuk pelapor", nth=nth)
    assert prompt.reply_markup and prompt.reply_markup.get("force_reply") is True
    await koor.reply(prompt, question)
    return prompt


async def test_question_and_answer_are_relayed_both_ways_with_updates_on(
    running_bot: RunningBot,
) -> None:
    api = running_bot.api
    koor = await connected_coordinator(running_bot)
    reporter = api.user(**REPORTER)
    card = await reported_in_group(reporter, api, "Korban (saya sendiri)")
    # Staff read who reported in the third person, not in the reporter's own words.
    assert "Pelapor: Korban sendiri" in card.plain and "(saya sendiri)" not in card.plain

    await ask_in_group(api, koor, "Apakah akun itu masih aktif hari ini?")
    await group_message(api, "Pertanyaan dikirim ke pelapor")
    [question] = await reporter.replies(1)
    assert "Apakah akun itu masih aktif hari ini?" in question.plain
    assert "PPA-3515-" in question.plain and "Rina" not in question.plain
    assert question.buttons == [["Balas"], ["Hentikan percakapan"]]

    [ask] = await reporter.tap("Balas")
    assert "Tulis jawaban" in ask.plain
    sent, _menu = await reporter.ask("Masih aktif, namanya @penawar_anak.", n=2)
    assert "Terkirim" in sent.plain
    answer = await group_message(api, "menjawab")
    assert "Masih aktif, namanya @penawar_anak." in answer.plain
    assert answer.reply_to == card.message_id  # threaded under the ticket's card

    # The reporter may end it; staff are told, and cannot ask again.
    await ask_in_group(api, koor, "Boleh kami tahu sekolahnya?", nth=2)
    [second] = await reporter.replies(1)
    stopped, _menu = await reporter.tap("Hentikan percakapan", n=2)
    assert "dihentikan" in stopped.plain
    await group_message(api, "menghentikan percakapan")
    await koor.press_in(GROUP, "Tanya pelapor")
    await until(lambda: "sudah menghentikan" in (koor.callback_answers[-1]["text"] or ""))

    assert_no_reporter_identity(api, reporter, GROUP, koor.id)
    # A victim: staff's questions and every answer after Kirim say "kamu", never "Anda".
    seen = [m for m in api.history(reporter.id) if m.from_bot][-7:]
    assert "Petugas tidak tahu siapa kamu" in question.plain
    formal = {t for m in seen for t in (m.plain, *sum(m.buttons, [])) if FORMAL.search(t)}
    assert not formal


async def test_with_updates_off_the_question_waits_for_status_on_each_database(
    fake_api: FakeBotAPI, database: Database, keys: Keys, bot_runtime: str
) -> None:
    """On PostgreSQL a plain /status is one read on the hot path; a waiting question makes it
    take the unit of work, which marks the question shown."""
    running_bot = await start_bot(fake_api, database, keys, bot_runtime=bot_runtime)
    try:
        api = running_bot.api
        koor = await connected_coordinator(running_bot)
        reporter = api.user(5551240)
        code, _card = await sent_with_card(api, reporter, "Orang tua/keluarga", updates=False)
        pushed = len(bot_messages(api, reporter.id))

        await ask_in_group(api, koor, "Di kelas berapa anak itu?")
        await group_message(api, "ditampilkan saat pelapor mengecek status")
        assert len(bot_messages(api, reporter.id)) == pushed  # nothing pushed

        status, question, _menu = await reporter.ask(f"/status {code}", n=3)
        assert "Baru" in status.plain and status.buttons == []
        assert "Di kelas berapa anak itu?" in question.plain
        assert question.buttons == [["Tambah informasi"]]
        await reporter.tap("Tambah informasi")
        await reporter.ask("Kelas 8.", n=2)
        answer = await group_message(api, "menjawab")
        assert "Kelas 8." in answer.plain
        again, _menu = await reporter.ask(f"/status {code}", n=2)  # a question is shown once
        assert again.buttons == [["Tambah informasi"]]
    finally:
        await stop_bot(running_bot)


async def test_an_internal_note_stays_with_staff(running_bot: RunningBot) -> None:
    api = running_bot.api
    koor = await connected_coordinator(running_bot)
    reporter = api.user(5551241)
    card = await reported_in_group(reporter, api, "Masyarakat umum")
    pushed = len(bot_messages(api, reporter.id))
    await koor.press_in(GROUP, "Catatan")
    prompt = await group_message(api, "tulis catatan internal")
    await koor.reply(prompt, "Sudah koordinasi dengan Polresta; tunggu kabar besok.")
    note = await group_message(api, "Catatan internal")
    assert "Sudah koordinasi dengan Polresta" in note.plain and "Rina Wati" in note.plain
    assert note.reply_to == card.message_id
    assert len(bot_messages(api, reporter.id)) == pushed
    async with running_bot.db.unit_of_work() as s:
        actions = [
            a.action
            for a in await staff_store.audit_for_ticket(
                s, (await s.scalars(select(Ticket.id))).one()
            )
        ]
    assert actions == ["note"]


async def test_a_group_that_removed_the_bot_hands_the_card_to_the_next_level(
    running_bot: RunningBot,
) -> None:
    api = running_bot.api
    await connected_coordinator(running_bot)
    national = api.user(8201, first_name="Petugas", last_name="SAPA")
    async with running_bot.db.unit_of_work() as s:
        token, _ = await staff_store.create_invite(s, running_bot.keys, "SAPA-129", "koordinator")
    await national.ask(f"/start {token}")
    api.kick_bot(GROUP)
    reporter = api.user(5551250, first_name="Ayu", username="ayu_pelapor")
    await report_until_summary(reporter, "Masyarakat umum")
    await reporter.tap("Kirim", n=2)
    [card] = await national.replies(1)  # the national channel gets the card in private
    assert "Laporan PPA-3515-" in card.plain and card.buttons[0] == ["Ambil"]
    t = await ticket(running_bot)
    async with running_bot.db.unit_of_work() as s:
        kinds = [
            e.kind
            for e in await s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == t.id))
        ]
    assert "delivery_failed" in kinds and "escalated" in kinds
    await national.tap("Ambil", n=0)
    await until(lambda: "Dipegang: Petugas SAPA" in card.plain)
    assert_no_reporter_identity(api, reporter, GROUP, national.id)


async def test_teruskan_moves_the_ticket_and_strips_the_old_card(running_bot: RunningBot) -> None:
    api = running_bot.api
    koor = await connected_coordinator(running_bot)
    sumut = api.user(8301, first_name="Koordinator", last_name="Sumut")
    async with running_bot.db.unit_of_work() as s:
        token, _ = await staff_store.create_invite(
            s, running_bot.keys, "UPTD-PPA-12", "koordinator"
        )
    await sumut.ask(f"/start {token}")
    reporter = api.user(5551260, first_name="Dewi", last_name="Lestari", username="dewi_l")
    card = await reported_in_group(reporter, api, "Masyarakat umum")
    assert "Laporan PPA-3515-" in card.plain
    await koor.press_in(GROUP, "Catatan")
    await koor.reply(await group_message(api, "tulis catatan internal"), "Catatan 42.")
    note = await group_message(api, "Catatan internal")

    await koor.press_in(GROUP, "Teruskan")
    prompt = await group_message(api, "ke mana")
    await koor.reply(prompt, "kota medan")
    picker = await group_message(api, "Pilih UPT tujuan")
    assert ["UPTD PPA Provinsi Sumatera Utara"] in picker.buttons
    await koor.press_in(GROUP, "UPTD PPA Provinsi Sumatera Utara")
    why = await group_message(api, "mengapa")
    await koor.reply(why, "Korban dan pelaku berada di Medan.")
    await group_message(api, "sudah diteruskan ke UPTD PPA Provinsi Sumatera Utara")

    await until(lambda: "Isi laporan tidak lagi tersedia" in card.plain)
    assert "penawar_anak" not in card.plain and card.buttons == []
    await until(lambda: note.deleted)  # what else the old unit was shown is taken back
    [moved] = await sumut.replies(1)
    assert "Laporan PPA-3515-" in moved.plain and moved.buttons[0] == ["Ambil"]
    [notice] = await reporter.replies(1)
    assert "diteruskan ke UPTD PPA Provinsi Sumatera Utara" in notice.plain

    t = await ticket(running_bot)
    await koor.press_data(f"s:claim:{t.id}", card.message_id)  # the old unit has no rights now
    await until(lambda: "tidak berwenang" in (koor.callback_answers[-1]["text"] or ""))
    await sumut.tap("Ambil", n=0)
    await until(lambda: "Dipegang: Koordinator Sumut" in moved.plain)
    # The new unit working the ticket never refills the old card…
    [_claimed] = await reporter.replies(1)
    await asyncio.sleep(0.3)
    assert "Isi laporan tidak lagi tersedia" in card.plain and "penawar_anak" not in card.plain
    # …nor does the reporter's next answer reach the old group.
    await sumut.tap("Tanya pelapor", n=1)
    prompt_sumut = sumut.last
    await sumut.reply(prompt_sumut, "Masih ada tautan lain?")
    await sumut.replies(1)
    [q] = await reporter.replies(1)
    await reporter.tap("Balas")
    await reporter.ask("Tidak ada.", n=2)
    [relayed] = await sumut.replies(1)
    assert "Tidak ada." in relayed.plain
    assert all("Tidak ada." not in m.plain for m in bot_messages(api, GROUP))
    assert_no_reporter_identity(api, reporter, GROUP, koor.id, sumut.id)
    async with running_bot.db.unit_of_work() as s:
        actions = [a.action for a in await staff_store.audit_for_ticket(s, t.id)]
    assert "reroute" in actions and "refused" in actions


async def test_a_long_story_stays_within_telegrams_limit_behind_selengkapnya(
    running_bot: RunningBot,
) -> None:
    api = running_bot.api
    koor = await connected_coordinator(running_bot)
    reporter = api.user(5551270)
    story = ("Ada akun <b>palsu</b> & grup yang menawarkan anak. " * 60)[:2000]
    await reporter.ask("/start", n=2)
    await reporter.tap("Lapor", n=2)
    await reporter.tap("Masyarakat umum")
    await walk(reporter, public_without_place(story))
    await reporter.tap("Kirim", n=3)
    # Routed nationally (place unknown): the Jatim group is connected but it is not theirs.
    assert koor
    async with running_bot.db.unit_of_work() as s:
        token, _ = await staff_store.create_invite(s, running_bot.keys, "SAPA-129", "koordinator")
    national = api.user(8401, first_name="SAPA")
    # The ticket waited for the national channel: its first coordinator gets it on joining.
    _welcome, card = await national.ask(f"/start {token}", n=2)
    assert len(card.plain) < 4096 and card.plain.count("palsu") < story.count("palsu")
    assert card.buttons[0] == ["Selengkapnya"]
    [full] = await national.tap("Selengkapnya")
    assert story.strip() in full.plain  # all of it, escaped and shown as text


async def test_hapus_unlinks_the_reporter_and_the_case_stays(running_bot: RunningBot) -> None:
    api = running_bot.api
    koor = await connected_coordinator(running_bot)
    reporter = api.user(5551280)
    code, _card = await sent_with_card(api, reporter, "Masyarakat umum", updates=True)

    [explain] = await reporter.ask("/hapus")
    assert "Yang tetap" in explain.plain and explain.buttons == [["Ya, hapus"], ["Tidak jadi"]]
    done, _menu = await reporter.tap("Ya, hapus", n=2)
    assert "tidak lagi terhubung dengan 1 laporan" in done.plain
    await group_message(api, "menghapus hubungan akunnya")

    t = await ticket(running_bot)
    async with running_bot.db.unit_of_work() as s:
        from storage.models import Draft, ReporterLink

        assert (await s.scalars(select(ReporterLink))).all() == []
        assert (await s.scalars(select(Draft))).all() == []
    assert (t.reporter_chat_id, t.status) == (None, "baru")  # the case itself stays
    await koor.press_in(GROUP, "Tanya pelapor")
    await until(
        lambda: any("sudah menghentikan" in (a["text"] or "") for a in koor.callback_answers)
    )
    status, _ = await reporter.ask(f"/status {code}", n=2)  # the code still works
    assert "Baru" in status.plain


async def test_english_speakers_get_english_and_bahasa_switches(running_bot: RunningBot) -> None:
    user = running_bot.api.user(5551290, language_code="en")
    welcome, menu = await user.ask("/start", n=2)
    assert "Welcome to Lapor PPA" in welcome.plain
    assert menu.buttons == [["Report"], ["Check status", "Info & help"]]
    [choose] = await user.ask("/bahasa")
    assert choose.buttons == [["Bahasa Indonesia", "English"]]
    changed, menu = await user.tap("Bahasa Indonesia", n=2)
    assert "Bahasa diganti" in changed.plain and menu.buttons[0] == ["Lapor"]
    welcome, _ = await user.ask("/start", n=2)  # remembered
    assert "Selamat datang" in welcome.plain


async def test_a_ticket_held_while_nobody_was_connected_reaches_the_first_coordinator(
    running_bot: RunningBot,
) -> None:
    api = running_bot.api
    reporter = api.user(5551300)
    await report_until_summary(reporter, "Masyarakat umum")
    sent, held, _menu = await reporter.tap("Kirim", n=3)
    assert "belum terhubung" in held.plain
    koor = api.user(8501, first_name="Rina", last_name="Wati")
    welcome, card = await koor.ask(f"/start {await invite(running_bot, 'koordinator')}", n=2)
    assert "Laporan PPA-3515-" in card.plain and card.buttons[0] == ["Ambil"]


async def test_one_account_serves_one_unit(running_bot: RunningBot) -> None:
    koor = await connected_coordinator(running_bot)
    async with running_bot.db.unit_of_work() as s:
        token, _ = await staff_store.create_invite(
            s, running_bot.keys, "UPTD-PPA-12", "koordinator"
        )
    [refused] = await koor.ask(f"/start {token}")
    assert "sudah terdaftar di UPT lain" in refused.plain


async def test_two_staff_taking_one_ticket_at_once_make_one_claim(running_bot: RunningBot) -> None:
    api = running_bot.api
    koor = await connected_coordinator(running_bot)
    budi = api.user(8601, first_name="Budi")
    await budi.ask(f"/start {await invite(running_bot, 'petugas')}")
    [request] = await koor.replies(1)
    await koor.tap("Setujui", n=0)
    await budi.replies(1)
    reporter = api.user(5551310)
    await report_until_summary(reporter, "Masyarakat umum", updates=True)
    await submit_connected(reporter)
    await group_message(api, "Laporan PPA-")
    before = len(koor.callback_answers), len(budi.callback_answers)
    await koor.press_in(GROUP, "Ambil")
    await budi.press_in(GROUP, "Ambil")  # both presses are queued before the bot sees either
    await until(
        lambda: len(koor.callback_answers) > before[0] and len(budi.callback_answers) > before[1]
    )
    toasts = [koor.callback_answers[-1]["text"], budi.callback_answers[-1]["text"]]
    assert sorted("sudah diambil" in (t or "") for t in toasts) == [False, True]
    t = await ticket(running_bot)
    async with running_bot.db.unit_of_work() as s:
        accepted = [
            e
            for e in await s.scalars(
                select(TicketEvent).where(
                    TicketEvent.ticket_id == t.id, TicketEvent.status == "diterima"
                )
            )
        ]
    assert len(accepted) == 1
    [notice] = await reporter.replies(1)  # one notice, not two
    await asyncio.sleep(0.3)
    assert sum("Diterima" in m.plain for m in bot_messages(api, reporter.id)) == 1
