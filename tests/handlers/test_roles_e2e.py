"""Each reporter's own conversation through the fake Bot API, in Indonesian and in English:
every role's full path, every question skipped, the urgent path, evidence (link, screenshot,
refused video), the victim's "Hapus percakapan", the Guru BK's own contact, /batal, /hapus and
the Info & bantuan pages."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from flows import report, report_questions
from storage import linked
from storage.models import Ticket
from tests.fakebot import BotMessage, FakeUser
from tests.handlers.test_staff_e2e import (
    GROUP,
    assert_no_reporter_identity,
    connected_coordinator,
    group_message,
)
from tests.handlers.walks import (
    ANSWERED,
    NARRATIVE,
    ROLE_PLACE,
    URGENT,
    VICTIM_PLACE,
    Row,
    act,
    label,
    start_report,
    until_prompt,
    updates_row,
    walk,
    words,
)
from tests.support import RunningBot, until

PLACE_ROWS = ROLE_PLACE["umum"]
CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")
LOCALES = ["id", "en"]
ROLES = list(ANSWERED)
ROLE_LABEL = {r: report_questions.ROLE_LABELS[r] for r in ROLES}
LINK = "https://www.michat.com/u/dinda17?utm_source=share @dinda_vip"


def with_evidence(rows: list[Row]) -> list[Row]:
    """The role's path with a link, a username and a screenshot given as evidence. The
    MiChat link names the platform, so that question is not asked."""
    out: list[Row] = []
    for row in rows:
        if row[0] in ("evidence.ask", "victim.evidence_ask"):
            out += [
                (row[0], "say", LINK),
                ("evidence.collected", "photo", ""),
                ("evidence.collected", "tap", "evidence.done"),
            ]
        elif row[0] != "report.ask_platform":
            out.append(row)
    return out


async def tickets(bot: RunningBot) -> list[Ticket]:
    async with bot.db.unit_of_work() as s:
        return list((await s.scalars(select(Ticket).order_by(Ticket.id))).all())


async def send_report(user: FakeUser, locale: str) -> tuple[str, list[BotMessage]]:
    got = await act(user, "tap", "summary.submit", locale)
    sent = got[0]
    assert words("report.submitted", locale)[:12] in sent.plain
    match = CODE.search(sent.plain)
    assert match, sent.plain
    return match.group(0), got


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("role", ROLES)
async def test_each_role_walks_its_whole_path(
    running_bot: RunningBot, role: str, locale: str
) -> None:
    user = running_bot.api.user(5560001, first_name="Dewi", language_code=locale)
    first = await start_report(user, ROLE_LABEL[role], locale)
    if role == "korban":
        # Gentle, one question at a time, a way out on every step.
        assert first[-1].buttons[-1] == [label("victim.wipe", locale)]
        assert first[-1].buttons[-2] == [label("report.skip", locale)]
    rows = with_evidence(ANSWERED[role]) if role != "guru_bk" else ANSWERED[role]
    got = await walk(user, [*rows, updates_row(True, role)], locale)
    summary = got[-1]
    assert summary.buttons[0] == [label("summary.submit", locale)]
    assert NARRATIVE in summary.plain and "Kabupaten Sidoarjo, Jawa Timur" in summary.plain
    if role != "guru_bk":
        assert "https://michat.com/u/dinda17" in summary.plain and "utm_source" not in summary.plain
        assert "@dinda_vip" in summary.plain
    code, _ = await send_report(user, locale)

    status, _menu = await user.ask(f"/status {code}", n=2)
    assert words("status.baru", locale) in status.plain
    [t] = await tickets(running_bot)
    assert t.reporter_role == role and t.region_code == "35.15" and t.district_code is None
    assert t.category == "prostitusi_online" and not t.urgent and t.narrative == NARRATIVE
    if role != "guru_bk":
        assert t.details["platform"] == "michat" and len(t.details["images"]) == 1
    expected = {
        "umum": {"relation": "tetangga", "seen": "iklan"},
        "keluarga": {"relation": "orang_tua", "age": "13_15", "seen": "chat"},
        "guru_bk": {"school": "SMP Negeri 9 Contoh", "grade": "smp", "consent": "setuju"},
        "korban": {"safe": "aman", "purpose": "lapor", "age": "16_17"},
    }[role]
    assert expected.items() <= t.details.items()


@pytest.mark.parametrize("locale", LOCALES)
async def test_english_labels_read_as_english(running_bot: RunningBot, locale: str) -> None:
    user = running_bot.api.user(5560002, language_code=locale)
    await start_report(user, "role.umum", locale)
    [ask_relation] = await act(user, "tap", "danger.tidak", locale)
    skip, send = ("Lewati", "Kirim") if locale == "id" else ("Skip", "Send")
    assert ask_relation.buttons[-1] == [skip]
    assert label("summary.submit", locale) == send


def skip_rows(role: str) -> list[Row]:
    """Every question after the role, skipped (the place with "Tidak tahu")."""
    rows: list[Row] = []
    for step in report_questions.PATHS[role][1:]:
        if step == "place":
            rows.append((ROLE_PLACE[role][0][0], "tap", "place.unknown"))
        elif step == "evidence":
            question = "victim.evidence_ask" if role == "korban" else "evidence.ask"
            rows.append((question, "tap", "report.skip"))
        elif step == "contact":
            rows.append(("guru.ask_contact", "tap", "contact.tidak"))
        else:
            rows.append((report._question(step, {"role": role}), "tap", "report.skip"))
    return rows


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("role", ROLES)
async def test_every_question_after_the_role_can_be_skipped(
    running_bot: RunningBot, role: str, locale: str
) -> None:
    user = running_bot.api.user(5560003, language_code=locale)
    await start_report(user, ROLE_LABEL[role], locale)
    [summary] = await walk(user, skip_rows(role), locale)
    assert summary.plain.count(words("summary.skipped", locale)) >= 4
    _code, got = await send_report(user, locale)
    assert "PPA-0000-" in got[0].plain  # no place: the national channel (SAPA 129)
    [t] = await tickets(running_bot)
    assert t.category == "lainnya" and t.occurred == "tidak_tahu" and t.narrative == ""
    assert t.region_code is None and not t.urgent and t.reporter_chat_id is None
    assert t.details == {}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("role", ROLES)
async def test_a_child_in_danger_gets_numbers_at_once_and_the_fewest_steps(
    running_bot: RunningBot, role: str, locale: str
) -> None:
    user = running_bot.api.user(5560004, language_code=locale)
    await start_report(user, ROLE_LABEL[role], locale)
    danger_row, *rest = URGENT[role]
    got = await act(user, *danger_row[1:], locale)
    help_now = got[0]
    for number in ("110", "112", "129", "08111-129-129"):
        assert number in help_now.plain
    assert help_now.button_data == {"💬 WhatsApp SAPA 129": "url:https://wa.me/628111129129"}
    [summary] = await walk(user, [*rest, updates_row(True, role)], locale)
    assert label("summary.submit", locale) in summary.labels
    await send_report(user, locale)
    [t] = await tickets(running_bot)
    assert t.urgent and t.region_code == "35.15" and t.narrative == NARRATIVE


@pytest.mark.parametrize("locale", LOCALES)
async def test_evidence_link_screenshot_video_and_only_the_holder_opens_images(
    running_bot: RunningBot, locale: str
) -> None:
    api = running_bot.api
    koor = await connected_coordinator(running_bot)
    petugas_view = api.user(8002, first_name="Andi")  # not staff: cannot open anything
    reporter = api.user(5560005, first_name="Siti", username="siti_ev", language_code=locale)
    await start_report(reporter, "role.umum", locale)
    rows = ANSWERED["umum"]
    upto = rows.index(("evidence.ask", "tap", "report.skip"))
    warning, ask_evidence = await walk(reporter, rows[:upto], locale)
    never = {"id": "Jangan pernah mengirim foto atau video seksual anak", "en": "Never send sexual"}
    assert never[locale] in warning.plain
    assert ask_evidence.buttons == [[label("report.skip", locale)]]

    [kept] = await act(reporter, "say", "wa.me/6281234567890 dan grup Open BO Sidoarjo", locale)
    assert "https://wa.me/6281234567890" in kept.plain and "grup Open BO Sidoarjo" in kept.plain
    # A video is refused, said why, and taken out of the chat at once.
    await reporter.send_media("video")
    refused, again = await until_prompt(reporter)
    assert words("evidence.video_refused", locale) == refused.plain
    assert words("evidence.collected", locale).split("\n")[0] in again.plain
    [video] = [m for m in api.history(reporter.id) if m.kind == "video"]
    await until(lambda: video.deleted)
    await reporter.send_media("photo")
    taken, _ = await until_prompt(reporter)
    assert words("evidence.image_kept", locale) == taken.plain
    # WhatsApp is in the link: no platform question.
    [ask_place] = await act(reporter, "tap", "evidence.done", locale)
    assert words("report.ask_place", locale).split("\n")[0] in ask_place.plain
    await walk(reporter, [*rows[upto + 2 :], updates_row(True)], locale)
    await act(reporter, "tap", "summary.submit", locale)

    card = await group_message(api, "Laporan PPA-")
    assert "https://wa.me/6281234567890" in card.plain
    [card_call] = [
        c
        for c in api.calls_of("sendMessage")
        if c.params["chat_id"] == GROUP and "wa.me" in c.params.get("text", "")
    ]
    assert card_call.params["link_preview_options"] == {"is_disabled": True}
    assert "📎 1 gambar terlampir (tidak ditampilkan)" in card.plain
    assert ["🔒 Buka gambar (khusus pemegang)"] in card.buttons
    # Not the holder yet: nothing opens, and no photo ever goes to the group.
    await koor.press_in(GROUP, "🔒 Buka gambar (khusus pemegang)")
    await until(lambda: koor.callback_answers)
    assert "Hanya petugas yang memegang" in koor.callback_answers[-1]["text"]
    await petugas_view.press_in(GROUP, "🔒 Buka gambar (khusus pemegang)")
    await until(lambda: petugas_view.callback_answers)
    assert api.calls_of("sendPhoto") == []

    await koor.press_in(GROUP, "Ambil")
    await until(lambda: "Dipegang: Rina Wati" in card.plain)
    await koor.press_in(GROUP, "🔒 Buka gambar (khusus pemegang)")
    [warn] = await koor.replies(1)
    assert "bisa berisi hal yang mengganggu" in warn.plain and warn.chat_id == koor.id
    await koor.press("Buka gambar")
    await until(lambda: api.calls_of("sendPhoto"))
    [photo_call] = api.calls_of("sendPhoto")
    [sent_by_reporter] = [m for m in api.history(reporter.id) if m.kind == "photo"]
    assert photo_call.params["chat_id"] == koor.id
    assert photo_call.params["photo"] == sent_by_reporter.media[-1]["file_id"]
    assert photo_call.params["protect_content"] is True
    assert api.calls_of("getFile") == []  # the bytes are never fetched
    assert all(m.kind == "text" for m in api.history(GROUP) if m.from_bot)
    assert [m.kind for m in api.history(koor.id) if m.from_bot][-1] == "photo"
    assert_no_reporter_identity(api, reporter, GROUP, koor.id)


async def test_guru_bk_contact_is_their_choice_and_labelled(running_bot: RunningBot) -> None:
    api = running_bot.api
    await connected_coordinator(running_bot)
    guru = api.user(5560006, first_name="Sari", last_name="Wulandari", username="bu_sari")
    await start_report(guru, "role.guru_bk")
    rows = ANSWERED["guru_bk"][:-1]
    [ask_contact] = await walk(guru, rows)
    assert "tidak lagi anonim bagi Anda" in ask_contact.plain
    assert ask_contact.buttons == [["Ya, saya tulis kontak saya"], ["Tidak, tetap anonim"]]
    [ask_text] = await act(guru, "tap", "contact.ya")
    assert "Jangan tulis nama siswa" in ask_text.plain
    assert ask_text.buttons == [["Batal, tetap anonim"]]
    contact = "Bu Sari, WA 0812-0000-1111"
    [ask_updates] = await act(guru, "say", contact)
    [summary] = await walk(guru, [updates_row(True)])
    assert f"Kontak Anda: {contact}" in summary.plain
    await act(guru, "tap", "summary.submit")
    card = await group_message(api, "Laporan PPA-")
    assert f"Kontak Guru BK (ditulis sendiri, atas pilihannya): “{contact}”" in card.plain
    assert "Sekolah: “SMP Negeri 9 Contoh”" in card.plain
    assert "Siswa tahu/setuju: Tahu dan setuju" in card.plain
    # The one exception to the identity scan is the contact they typed themselves.
    assert_no_reporter_identity(api, guru, GROUP, allowed=contact)


async def test_a_victim_can_ask_for_a_counsellor_instead_of_a_report(
    running_bot: RunningBot,
) -> None:
    api = running_bot.api
    await connected_coordinator(running_bot)
    victim = api.user(5560007)
    first = await start_report(victim, "role.korban")
    assert "Apakah kamu aman sekarang?" in first[-1].plain
    got = await act(victim, "tap", "victim.safe_aman")
    assert "bukan salahmu" in got[0].plain
    [summary] = await walk(
        victim,
        [
            ("victim.ask_purpose", "tap", "purpose.bicara"),
            ("victim.ask_age", "tap", "age.16_17"),
            *VICTIM_PLACE,
            ("victim.ask_narrative", "say", "Aku mau cerita dulu."),
            updates_row(True, "korban"),
        ],
    )
    assert "Keperluan: Bicara dengan konselor dulu" in summary.plain
    _code, got = await send_report(victim, "id")
    assert any("Petugas akan berusaha menyapamu" in m.plain for m in got)
    card = await group_message(api, "Laporan PPA-")
    assert "Keperluan: Bicara dengan konselor dulu" in card.plain


@pytest.mark.parametrize("locale", LOCALES)
async def test_hapus_percakapan_deletes_both_sides_code_included(
    running_bot: RunningBot, locale: str
) -> None:
    api = running_bot.api
    victim = api.user(5560008, language_code=locale)
    await start_report(victim, "role.korban", locale)
    await walk(victim, [*URGENT["korban"], updates_row(False, "korban")], locale)
    code, _ = await send_report(victim, locale)
    await start_report(victim, "role.korban", locale)
    [confirm] = await act(victim, "tap", "victim.wipe", locale)
    assert words("victim.wipe_confirm", locale).split("\n")[0] in confirm.plain
    assert confirm.buttons == [[label("wipe.yes", locale)], [label("wipe.no", locale)]]
    await victim.press(label("wipe.yes", locale))
    [done] = await victim.replies(1)
    assert words("wipe.done", locale) == done.plain
    left = [m for m in api.chat(victim.id) if not m.deleted]
    assert left == [done], victim.transcript()
    assert not any(code in m.text for m in left)
    # The report itself stays with the UPT, and the code (written down) still works.
    status, _menu = await victim.ask(f"/status {code}", n=2)
    assert words("status.baru", locale) in status.plain
    welcome, _menu = await victim.ask("/start", n=2)
    assert words("conv.draft_waiting", locale) not in welcome.plain  # the draft went too


@pytest.mark.parametrize("locale", LOCALES)
async def test_batal_mid_flow_then_a_report_and_hapus(running_bot: RunningBot, locale: str) -> None:
    user = running_bot.api.user(5560009, language_code=locale)
    await start_report(user, "role.keluarga", locale)
    await walk(user, ANSWERED["keluarga"][:3], locale)
    cancelled, menu = await user.ask("/batal", n=2)
    assert words("report.cancelled", locale) in cancelled.plain
    assert menu.buttons[0] == [label("menu.lapor", locale)]
    assert await tickets(running_bot) == []

    await start_report(user, "role.keluarga", locale)
    await walk(user, [*ANSWERED["keluarga"], updates_row(True)], locale)
    await send_report(user, locale)
    [explain] = await user.ask("/hapus")
    assert explain.buttons == [[label("erase.yes", locale)], [label("erase.no", locale)]]
    done, _menu = await user.tap(label("erase.yes", locale), n=2)
    assert words("erase.done", locale).split("{")[0] in done.plain
    [t] = await tickets(running_bot)
    assert t.reporter_chat_id is None


@pytest.mark.parametrize("locale", LOCALES)
async def test_info_pages_next_and_back(running_bot: RunningBot, locale: str) -> None:
    from flows.help import PAGES

    user = running_bot.api.user(5560010, language_code=locale)
    await user.ask("/start", n=2)
    [page] = await user.tap(label("menu.bantuan", locale))
    assert "110" in page.plain and "SAPA 129" in page.plain
    assert page.buttons == [[label("info.next", locale)], [label("info.back_to_menu", locale)]]
    for n in range(1, len(PAGES)):
        [page] = await user.tap(label("info.next", locale))
        assert words(PAGES[n], locale).split("\n")[0] in page.plain
    assert page.buttons[0] == [label("info.prev", locale)]
    [back] = await user.tap(label("info.prev", locale))
    assert words(PAGES[-2], locale).split("\n")[0] in back.plain
    # Mid-report, the pages lead back to the same question.
    await start_report(user, "role.umum", locale)
    [page] = await user.ask("/bantuan")
    assert [label("info.back_to_report", locale)] in page.buttons
    [again] = await user.tap(label("info.back_to_report", locale))
    assert words("report.ask_danger", locale) in again.plain


async def test_hapus_percakapan_from_an_old_confirm_still_reaches_the_newest_messages(
    running_bot: RunningBot,
) -> None:
    api = running_bot.api
    victim = api.user(5560011)
    await start_report(victim, "role.korban")
    await act(victim, "tap", "victim.safe_aman")
    await act(victim, "tap", "victim.wipe")
    await act(victim, "tap", "wipe.no")
    for _ in range(16):  # 48 messages after the confirm, well past any fixed margin
        await victim.send_media("sticker")
        await until_prompt(victim)
    await victim.press(label("wipe.yes", "id"))  # the old confirm, still on screen
    [done] = await victim.replies(1)
    assert [m for m in api.chat(victim.id) if not m.deleted] == [done], victim.transcript()


async def test_long_evidence_and_a_long_story_still_fit_the_card(running_bot: RunningBot) -> None:
    api = running_bot.api
    await connected_coordinator(running_bot)
    reporter = api.user(5560012)
    await start_report(reporter, "role.umum")
    rows = ANSWERED["umum"]
    upto = rows.index(("evidence.ask", "tap", "report.skip"))
    await walk(reporter, rows[:upto])
    links = "\n".join(f"https://t.me/penawar_{n:02d}_" + "z" * 200 for n in range(12))
    [kept] = await act(reporter, "say", links)
    assert "… dan" in kept.plain and len(kept.plain) < 4096
    story = ("Akun-akun ini menawarkan anak setiap malam. " * 60)[:2000]
    await walk(
        reporter,
        [
            ("evidence.collected", "tap", "evidence.done"),
            *PLACE_ROWS,
            ("report.ask_narrative", "say", story),
            ("report.ask_when", "tap", "when.hari_ini"),
            updates_row(False),
        ],
    )
    [summary] = await walk(reporter, [])
    assert len(summary.plain) < 4096 and "… dan" in summary.plain
    await act(reporter, "tap", "summary.submit")
    card = await group_message(api, "Laporan PPA-")
    assert len(card.plain) < 4096 and "… dan" in card.plain
    await api.user(8001).press_in(GROUP, "Selengkapnya")
    evidence = await group_message(api, "Bukti laporan")
    assert evidence.plain.count("https://t.me/penawar_") == 12 and len(evidence.plain) < 4096


async def test_two_people_naming_one_account_make_linked_reports(running_bot: RunningBot) -> None:
    # Issue 15, item 4: indexed on submit, however each typed it.
    for n, typed in enumerate([LINK, "michat.com/u/dinda17 @DINDA_VIP"]):
        user = running_bot.api.user(5560100 + n)
        await start_report(user, ROLE_LABEL["umum"], "id")
        rows = [
            (q, "say", typed) if q == "evidence.ask" else (q, a, g)
            for q, a, g in with_evidence(ANSWERED["umum"])
            if a != "photo"
        ]
        await walk(user, [*rows, updates_row(False, "umum")], "id")
        await send_report(user, "id")
    first, second = await tickets(running_bot)
    async with running_bot.db.unit_of_work() as s:
        [link] = await linked.linked_to(s, second.id)
    assert (link.ticket_id, link.case_number, link.shared) == (first.id, first.case_number, 2)
