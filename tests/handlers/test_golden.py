"""Golden transcripts of today's behaviour: every reporter walk and every staff action.

Each scenario drives the real runtime (aiogram polling, delivery worker) against the fake Bot
API the way people do, and tests/handlers/transcript.py writes down, step by step, every Bot
API call a person could see. The transcript must equal ``tests/golden/<scenario>.txt`` on
SQLite and on PostgreSQL alike; a mismatch fails with a diff of what people would now see.

Regenerate the files after an intended change of behaviour with::

    GOLDEN_UPDATE=1 .venv/bin/python -m pytest tests/handlers/test_golden.py

(in that mode a file written by the first database is compared against the second).

Every scenario gets a fresh database and bot; the scenarios of one database run concurrently
(each waits for quiet after every step, which is mostly idle time).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import difflib
import io
import os
import traceback
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from sqlalchemy import select

from bot import cli_staff, open_db
from bot.app import App, terminal_parts
from bot.settings import Settings
from flows import report
from handlers.terminal.shell import TerminalShell
from storage import staff as staff_store
from storage.crypto import Keys
from storage.db import Database
from storage.models import Staff, utcnow
from tests.fakebot import FakeBotAPI
from tests.handlers.transcript import REGENERATE, Normaliser, Person, Recorder, quote
from tests.handlers.walks import ANSWERED, NARRATIVE, ROLE_PLACE, URGENT, Row, label, updates_row
from tests.support import (
    TEST_SECRET,
    RunningBot,
    _pg_unavailable,
    close_database,
    open_database,
    start_bot,
    stop_bot,
)

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "golden"
UPDATE = os.environ.get("GOLDEN_UPDATE") == "1"
CONCURRENCY = {"sqlite": 6, "postgresql": 5}  # PostgreSQL connections are shared with others
GROUP = -1001234567890
BOT = "lapor_ppa_test_bot"


def db_kwargs(db: Database) -> dict[str, Any]:
    """What opens another engine on the same database (PostgreSQL: the test's schema)."""
    return {"connect_args": dict(db._connect_args)} if db._connect_args else {}


# ---------------------------------------------------------------------------------------
# The stage a scenario plays on
# ---------------------------------------------------------------------------------------


@dataclass
class Stage:
    api: FakeBotAPI
    bot: RunningBot
    rec: Recorder
    _invites: int = 0

    def person(
        self,
        user_id: int,
        name: str,
        about: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        lang: str = "id",
    ) -> Person:
        user = self.api.user(user_id, name, last_name, username, lang)
        return self.rec.person(user, name, about)

    def reporter(self, user_id: int, name: str, lang: str = "id") -> Person:
        return self.person(user_id, name, f"reporter, Telegram language {lang!r}", lang=lang)

    def group(self, chat_id: int = GROUP, title: str = "UPTD PPA Jatim") -> int:
        self.api.group(chat_id, title)
        self.rec.chat(chat_id, "group", f'the UPT group "{title}"')
        return chat_id

    def code(self, n: int = 1) -> str:
        return self.rec.norm.code(n)

    async def invite(self, upt: str, role: str, *, expired: bool = False) -> str:
        """The operator's invite link token (`lapor-ppa staff invite`), as one step."""
        now = utcnow() - timedelta(hours=73) if expired else None
        async with self.bot.db.unit_of_work() as session:
            token, _ = await staff_store.create_invite(session, self.bot.keys, upt, role, now)
        self._invites += 1
        placeholder = self.rec.norm.alias(token, f"<INVITE-{self._invites}>")
        state = " that has expired" if expired else ""
        await self.rec.record(f"Operator creates {role} invite {placeholder} for {upt}{state}")
        return token

    async def revoke(self, person: Person) -> None:
        """The operator runs `lapor-ppa staff revoke ID` (bot/cli_staff.py) on this database."""
        async with self.bot.db.unit_of_work() as session:
            staff_id = await session.scalar(
                select(Staff.id).where(Staff.telegram_user_id == person.id)
            )
        db = self.bot.db
        printed = io.StringIO()
        with (
            patch.object(
                open_db, "Database", lambda *_: Database(db.url, self.bot.keys, **db_kwargs(db))
            ),
            contextlib.redirect_stdout(printed),
        ):
            await cli_staff.staff_command(
                Settings(secret_key=TEST_SECRET, database_url=db.url, _env_file=None),
                argparse.Namespace(staff_command="revoke", id=staff_id),
            )
        said = quote(printed.getvalue().strip())
        await self.rec.record(
            f'Operator runs "lapor-ppa staff revoke {staff_id}", which prints {said}'
        )

    async def time_passes(self, *, days: int) -> None:
        """The escalation worker (bot/sla.py) runs once with its clock `days` ahead."""
        sla = self.bot.runtime.sla
        assert sla is not None
        clock = sla.clock
        sla.clock = lambda: clock() + timedelta(days=days)
        try:
            await sla.run_once()
        finally:
            sla.clock = clock
        await self.rec.record(f"{days} days pass and the escalation worker runs")

    async def koordinator(
        self, user_id: int = 8001, name: str = "Rina", last_name: str = "Wati", *, connect: bool
    ) -> Person:
        """The Jatim coordinator redeems an invite; with `connect`, links the group too."""
        koor = self.person(user_id, name, "koordinator, UPTD-PPA-35", last_name=last_name)
        await koor.send(f"/start {await self.invite('UPTD-PPA-35', 'koordinator')}")
        if connect:
            await koor.send(f"/hubungkan@{BOT}", chat=self.group())
        return koor


Scenario = Callable[[Stage], Awaitable[None]]
SCENARIOS: dict[str, Scenario] = {}


def scenario(fn: Scenario) -> Scenario:
    SCENARIOS[fn.__name__] = fn
    return fn


# ---------------------------------------------------------------------------------------
# Reporter helpers
# ---------------------------------------------------------------------------------------


async def act(p: Person, rows: list[Row], lang: str = "id") -> None:
    """Answer a walk table's rows (tap a label by message id, say a text, send media)."""
    for _question, action, arg in rows:
        if action == "tap":
            await p.press(label(arg, lang))
        elif action == "say":
            await p.send(arg)
        else:
            await p.send_media(action, caption=arg or None)


async def tap(p: Person, msgid: str, lang: str = "id", *, chat: int | None = None) -> None:
    await p.press(label(msgid, lang), chat=chat)


async def start_report(p: Person, role: str, lang: str = "id") -> None:
    await p.send("/start")
    await tap(p, "menu.lapor", lang)
    await tap(p, f"role.{role}", lang)


async def report_and_send(
    p: Person, role: str, *, lang: str = "id", updates: bool = True, urgent: bool = False
) -> None:
    """The role's whole path (evidence skipped) and Kirim."""
    await start_report(p, role, lang)
    await act(p, [*(URGENT if urgent else ANSWERED)[role], updates_row(updates, role)], lang)
    await tap(p, "summary.submit", lang)


def skip_rows(role: str) -> list[Row]:
    """Every question after the role skipped; the place "Tidak tahu"."""
    rows: list[Row] = []
    for step in report.PATHS[role][1:]:
        if step == "place":
            rows.append(("", "tap", "place.unknown"))
        elif step == "contact":
            rows.append(("", "tap", "contact.tidak"))
        else:
            rows.append(("", "tap", "report.skip"))
    return rows


# ---------------------------------------------------------------------------------------
# Reporter scenarios
# ---------------------------------------------------------------------------------------


def _role_scenario(role: str, lang: str, updates: bool) -> Scenario:
    async def run(stage: Stage) -> None:
        p = stage.reporter(5550001, "Siti", lang)
        await report_and_send(p, role, lang=lang, updates=updates)
        await p.send(f"/status {stage.code()}")

    run.__name__ = f"role_{role}_{lang}"
    return run


for _role, _updates in (("umum", True), ("keluarga", False), ("guru_bk", True), ("korban", False)):
    for _lang in ("id", "en"):
        scenario(_role_scenario(_role, _lang, _updates))


@scenario
async def every_question_skipped(stage: Stage) -> None:
    p = stage.reporter(5550002, "Ayu")
    for role in report.ROLES:
        await start_report(p, role)
        await act(p, skip_rows(role))
        await tap(p, "summary.submit")


@scenario
async def urgent_paths(stage: Stage) -> None:
    """A child in danger: numbers at once, the fewest questions, a card marked urgent for the
    routed unit and the national channel."""
    await stage.koordinator(connect=True)
    sapa = stage.person(8201, "Dewi", "koordinator, SAPA-129", last_name="Lestari")
    await sapa.send(f"/start {await stage.invite('SAPA-129', 'koordinator')}")
    siti = stage.reporter(5550003, "Siti")
    await report_and_send(siti, "umum", urgent=True, updates=True)
    putri = stage.reporter(5550004, "Putri", "en")
    await report_and_send(putri, "korban", lang="en", urgent=True, updates=False)


def _upto(role: str) -> int:
    rows = ANSWERED[role]
    return next(
        n for n, row in enumerate(rows) if row[0] in ("evidence.ask", "victim.evidence_ask")
    )


@scenario
async def evidence(stage: Stage) -> None:
    """Links and accounts kept, a screenshot kept by reference, a video refused and deleted."""
    siti = stage.reporter(5550005, "Siti")
    await start_report(siti, "umum")
    rows, upto = ANSWERED["umum"], _upto("umum")
    await act(siti, rows[:upto])
    await siti.send("grup Open BO Sidoarjo")
    await tap(siti, "evidence.clear")
    await siti.send(
        "https://www.michat.com/u/dinda17?utm_source=share @dinda_vip\n"
        "wa.me/6281234567890 dan grup Open BO Sidoarjo"
    )
    await siti.send_media("video")
    await siti.send_media("photo")
    await siti.send_media("photo", caption="chat dengan penawar")
    await siti.send_media("document")
    await tap(siti, "evidence.done")
    await act(siti, [*rows[upto + 1 :], updates_row(True)])
    await tap(siti, "summary.submit")

    putri = stage.reporter(5550006, "Putri", "en")
    await start_report(putri, "korban", "en")
    rows, upto = ANSWERED["korban"], _upto("korban")
    await act(putri, rows[:upto], "en")
    await putri.send_media("video")
    await putri.send_media("photo")
    await putri.send_media("sticker")
    await tap(putri, "evidence.done", "en")
    await act(putri, [*rows[upto + 1 :], updates_row(False, "korban")], "en")
    await tap(putri, "summary.submit", "en")


async def turn_pages_to(p: Person, wanted: str) -> None:
    """Press "Berikutnya »" until a button labelled `wanted` shows, then press it."""
    for _ in range(12):
        if any(wanted in row for row in p.user.last.buttons):
            await p.press(wanted)
            return
        await tap(p, "place.next")
    raise AssertionError(f"{wanted!r} never appeared")


@scenario
async def place_from_lists(stage: Stage) -> None:
    """A place nobody knows, the province and kab/kota lists with paging, a kecamatan not
    found, the kecamatan list, then one by name."""
    p = stage.reporter(5550007, "Budi")
    await start_report(p, "umum")
    await act(p, ANSWERED["umum"][:6])
    await p.send("xyzzy")
    await tap(p, "place.choose_from_list")
    await tap(p, "place.next")
    await tap(p, "place.prev")
    await turn_pages_to(p, "Jawa Timur")
    await tap(p, "place.next")
    await tap(p, "place.back_to_provinces")
    await turn_pages_to(p, "Jawa Timur")
    await turn_pages_to(p, "Kabupaten Sidoarjo")
    await p.send("zzzz")
    await tap(p, "place.district_list")
    await tap(p, "place.next")
    await p.send("waru")
    await p.press("Kec. Waru")
    await act(p, [("", "say", "Ada yang mencurigakan di warnet."), ("", "tap", "when.hari_ini")])
    await act(p, [updates_row(False)])
    await tap(p, "summary.edit")
    await tap(p, "edit.place")
    await tap(p, "place.choose_from_list")
    await turn_pages_to(p, "Jawa Timur")
    await tap(p, "place.whole_province")
    await tap(p, "summary.submit")


@scenario
async def edit_and_cancel(stage: Stage) -> None:
    """Ubah a field, back to the summary, change the role and the place; Batal, then not,
    then yes."""
    p = stage.reporter(5550008, "Wati")
    await start_report(p, "keluarga")
    await act(p, [*ANSWERED["keluarga"], updates_row(True)])
    await tap(p, "summary.edit")
    await tap(p, "edit.when")
    await tap(p, "when.berlangsung")
    await tap(p, "summary.edit")
    await tap(p, "edit.back")
    await tap(p, "summary.edit")
    await tap(p, "edit.place")
    await p.send("medan")
    await p.press("Kota Medan, Sumatera Utara")
    await tap(p, "place.skip")
    await tap(p, "summary.edit")
    await tap(p, "edit.role")
    await tap(p, "role.umum")
    await act(p, [("", "tap", "relation.warganet")])
    await tap(p, "summary.cancel")
    await tap(p, "cancel.no")
    await tap(p, "summary.cancel")
    await tap(p, "cancel.yes")


@scenario
async def batal_and_hapus(stage: Stage) -> None:
    """In English: /batal with nothing to cancel and mid-report, then a report, /hapus kept,
    /hapus done, and the code still works."""
    p = stage.reporter(5550009, "Sarah", "en")
    await p.send("/batal")
    await start_report(p, "keluarga", "en")
    await act(p, ANSWERED["keluarga"][:3], "en")
    await p.send("/batal")
    await report_and_send(p, "keluarga", lang="en", updates=True)
    await p.send("/hapus")
    await tap(p, "erase.no", "en")
    await p.send("/hapus")
    await tap(p, "erase.yes", "en")
    await p.send(f"/status {stage.code()}")


@scenario
async def victim_wipes_the_chat(stage: Stage) -> None:
    """A victim's "Hapus percakapan": first not, then yes (the code's message goes too)."""
    v = stage.reporter(5550010, "Putri")
    await report_and_send(v, "korban", urgent=True, updates=False)
    await start_report(v, "korban")
    await tap(v, "victim.safe_aman")
    await tap(v, "victim.wipe")
    await tap(v, "wipe.no")
    await tap(v, "purpose.lapor")
    await tap(v, "victim.wipe")
    await tap(v, "wipe.yes")
    await v.send("/start")
    await v.send(f"/status {stage.code()}")


@scenario
async def guru_bk_gives_a_contact(stage: Stage) -> None:
    await stage.koordinator(connect=True)
    g = stage.person(
        5550011,
        "Sari",
        "reporter, Guru BK",
        last_name="Wulandari",
        username="bu_sari",
    )
    await start_report(g, "guru_bk")
    await act(g, ANSWERED["guru_bk"][:-1])
    await tap(g, "contact.ya")
    await tap(g, "contact.keep_anonymous")
    await tap(g, "contact.ya")
    await g.send("Bu Sari, WA 0812-0000-1111")
    await act(g, [updates_row(True)])
    await tap(g, "summary.submit")


@scenario
async def victim_asks_for_a_counsellor(stage: Stage) -> None:
    await stage.koordinator(connect=True)
    v = stage.reporter(5550012, "Putri")
    await start_report(v, "korban")
    await tap(v, "victim.safe_aman")
    await tap(v, "purpose.bicara")
    await tap(v, "age.16_17")
    await act(v, [*ROLE_PLACE["korban"], ("", "say", "Aku mau cerita dulu.")])
    await act(v, [updates_row(True, "korban")])
    await tap(v, "summary.submit")


@scenario
async def info_pages(stage: Stage) -> None:
    p = stage.reporter(5550013, "Siti")
    await p.send("/start")
    await tap(p, "menu.bantuan")
    for _ in range(7):
        await tap(p, "info.next")
    await tap(p, "info.prev")
    await tap(p, "info.back_to_menu")
    await tap(p, "menu.lapor")
    await tap(p, "role.umum")
    await p.send("/bantuan")
    await tap(p, "info.next")
    await tap(p, "info.back_to_report")
    e = stage.reporter(5550014, "Sarah", "en")
    await e.send("/bantuan")
    await tap(e, "info.next", "en")
    await tap(e, "info.back_to_menu", "en")


@scenario
async def bahasa_switches(stage: Stage) -> None:
    e = stage.reporter(5550015, "Sarah", "en")
    await e.send("/start")
    await e.send("/bahasa")
    await e.press("Bahasa Indonesia")
    await e.send("/start")
    await tap(e, "menu.lapor")
    await tap(e, "role.korban")
    await e.send("/bahasa")
    await e.press("English")
    await e.send("/batal")


@scenario
async def odd_input(stage: Stage) -> None:
    """Whatever a step does not expect is answered with why, and the question comes again."""
    p = stage.reporter(5550016, "Dodi")
    await p.send("/start")
    await p.send("halo")
    await p.send_media("sticker")
    await tap(p, "menu.lapor")
    await tap(p, "role.guru_bk")
    for kind in ("sticker", "voice", "photo", "video", "document", "animation", "location"):
        await p.send_media(kind)
    await p.press_data("role:korban")  # an old button
    await p.press_data("x" * 64)  # forged
    await p.send("/start")
    await p.send("/lapor")
    await p.send("/entahlah")
    await tap(p, "danger.tidak")
    await p.send("sekolah " * 40)
    await p.send("SMP Contoh")
    await tap(p, "place.unknown")
    await p.send("15 tahun")  # typed, not pressed: taken as its band
    await p.send("kelas sembilan")  # a button is expected
    await p.send("...")  # no words at all
    await act(p, [("", "tap", "report.skip")] * 2 + [("", "tap", "category.lainnya")])
    await p.send("panjang " * 400)
    await p.send("7K2M-9Q4T-1XA9")  # a code (with a typo) pasted mid-report
    await p.send("Saya lihat di warnet.")  # the story, while the bot waits for a code
    await tap(p, "report.skip")  # the story's button, likewise
    await tap(p, "status.back")
    await p.send("Cerita yang cukup pendek.")
    await act(p, [("", "tap", "report.skip")] * 3 + [("", "tap", "when.tidak_tahu")])
    await act(p, [("", "tap", "contact.tidak"), updates_row(False)])
    await tap(p, "summary.submit")
    await tap(p, "summary.submit")  # the same Kirim again, on the old summary


@scenario
async def status_checks(stage: Stage) -> None:
    """A typo, an unknown code, not a code, a case number, and the rate limit."""
    p = stage.reporter(5550017, "Rudi")
    await p.send("/start")
    await tap(p, "menu.status")
    await p.send("7K2M-9Q4T-1XA9")
    await p.send("7K2M-9Q4T-1XA8")
    await p.send("bukan kode")
    await tap(p, "status.back")
    await p.send("/status")
    await p.send("/batal")
    await p.send("/status PPA-3515-2026-000001")
    for _ in range(5):
        await p.send("/status 7K2M-9Q4T-1XA8")


@scenario
async def code_that_never_arrived(stage: Stage) -> None:
    """The message holding a new code is refused by Telegram: the next message gets a fresh
    code for the same ticket."""
    p = stage.reporter(5550018, "Siti")
    await start_report(p, "umum")
    await act(p, [*ANSWERED["umum"], updates_row(False)])
    stage.api.fail("sendMessage", status=400, description="Bad Request: chat is unavailable")
    stage.rec.note("Telegram will refuse the bot's next sendMessage")
    await tap(p, "summary.submit")
    await p.send("/start")
    await p.send(f"/status {stage.code(1)}")  # the code that never arrived
    await p.send(f"/status {stage.code(2)}")  # the fresh one
    await p.send("/start")


@scenario
async def long_story_much_evidence(stage: Stage) -> None:
    """2 000 characters of story and twelve long links: the card is cut, Selengkapnya shows
    it all."""
    koor = await stage.koordinator(connect=True)
    p = stage.reporter(5550019, "Siti")
    await start_report(p, "umum")
    rows, upto = ANSWERED["umum"], _upto("umum")
    await act(p, rows[:upto])
    await p.send("\n".join(f"https://t.me/penawar_{n:02d}_" + "z" * 200 for n in range(12)))
    await tap(p, "evidence.done")
    story = ("Ada akun <b>palsu</b> & grup yang menawarkan anak setiap malam. " * 40)[:2000]
    await act(p, [*ROLE_PLACE["umum"], ("", "say", story), ("", "tap", "when.hari_ini")])
    await act(p, [updates_row(False)])
    await tap(p, "summary.submit")
    await koor.press("Selengkapnya", chat=GROUP)


# ---------------------------------------------------------------------------------------
# Staff scenarios
# ---------------------------------------------------------------------------------------


async def reporter_sends(
    stage: Stage, role: str = "umum", *, updates: bool = True, user_id: int = 5551234
) -> Person:
    """Siti's report (Indonesian, evidence skipped) through to Kirim."""
    p = stage.person(
        user_id, "Siti", "reporter", last_name="Aminah", username="siti_aminah", lang="id"
    )
    await report_and_send(p, role, updates=updates)
    return p


@scenario
async def staff_onboarding(stage: Stage) -> None:
    """Invites (koordinator, petugas approved and rejected, used, unknown, expired, another
    unit, already staff), a campaign link, /hubungkan refused and done, and the operator
    revoking someone (out of the group too)."""
    rina = stage.person(8001, "Rina", "koordinator, UPTD-PPA-35", last_name="Wati")
    token = await stage.invite("UPTD-PPA-35", "koordinator")
    await rina.send(f"/start {token}")
    lain = stage.person(8102, "Lain", "someone with a forwarded link")
    await lain.send(f"/start {token}")
    await lain.send("/start " + "x" * 43)
    wati = stage.reporter(8104, "Wati")
    await wati.send("/start sekolah")
    group = stage.group()
    await lain.send(f"/hubungkan@{BOT}", chat=group)
    await rina.send(f"/hubungkan@{BOT}", chat=group)
    await rina.send("Selamat pagi semua, bot sudah terhubung.", chat=group)
    budi = stage.person(8002, "Budi", "petugas, UPTD-PPA-35", last_name="Santoso")
    await budi.send(f"/start {await stage.invite('UPTD-PPA-35', 'petugas')}")
    await rina.press("Setujui")
    andi = stage.person(8003, "Andi", "petugas candidate")
    await andi.send(f"/start {await stage.invite('UPTD-PPA-35', 'petugas')}")
    await rina.press("Tolak")
    # Andi's request again: answered, its buttons are gone; the old data changes nothing.
    await rina.press_data("s:approve:3")
    await budi.send(f"/start {await stage.invite('UPTD-PPA-35', 'petugas')}")
    await budi.send(f"/start {await stage.invite('UPTD-PPA-12', 'koordinator')}")
    eko = stage.person(8004, "Eko", "petugas candidate")
    await eko.send(f"/start {await stage.invite('UPTD-PPA-35', 'petugas', expired=True)}")
    await budi.send(f"/hubungkan@{BOT}", chat=group)
    await stage.revoke(budi)


@scenario
async def staff_status_chain(stage: Stage) -> None:
    """Ambil, every status in turn (reasons and the share question for dirujuk and selesai),
    the reporter's notices, the closing feedback, and stale buttons afterwards."""
    koor = await stage.koordinator(connect=True)
    siti = await reporter_sends(stage, updates=True)
    await koor.press("Ambil", chat=GROUP)
    for status in ("Asesmen", "Penjangkauan", "Pendampingan"):
        await koor.press("Ubah status", chat=GROUP)
        await koor.press(status, chat=GROUP)
    await koor.press("Ubah status", chat=GROUP)
    await koor.press("Dirujuk", chat=GROUP)
    await koor.reply("Dirujuk ke RS Bhayangkara untuk visum.", chat=GROUP)
    await koor.press("Tidak, internal saja", chat=GROUP)
    await koor.press("Ubah status", chat=GROUP)
    await koor.press("Selesai", chat=GROUP)
    await koor.reply("Anak sudah didampingi & dirujuk ke rumah aman.", chat=GROUP)
    await koor.press("Ya, boleh", chat=GROUP)
    await siti.press("4")
    await siti.send("Petugasnya sabar sekali.")
    await siti.press("5")  # the same rating message again
    # A used picker has no buttons left; its old data, sent anyway, changes nothing.
    await koor.press_data("s:set:1:asesmen", chat=GROUP)


@scenario
async def staff_closes_at_once(stage: Stage) -> None:
    """Selesai straight from Baru (whoever moves a ticket holds it), the reason kept
    internal; the reporter rates and skips the comment."""
    koor = await stage.koordinator(connect=True)
    siti = await reporter_sends(stage, "korban", updates=True)
    await koor.press("Ubah status", chat=GROUP)
    await koor.press("Selesai", chat=GROUP)
    await koor.reply("Sudah ditangani Polres; kasus ditutup.", chat=GROUP)
    await koor.press("Tidak, internal saja", chat=GROUP)
    await siti.press("2")
    await siti.press("Lewati")
    await siti.send(f"/status {stage.code()}")


@scenario
async def sla_escalation(stage: Stage) -> None:
    """Nobody takes a ticket for weeks: the unit is reminded with a fresh card and the
    national channel gets one; Ambil there updates every card."""
    dewi = stage.person(8201, "Dewi", "koordinator, SAPA-129", last_name="Lestari")
    await dewi.send(f"/start {await stage.invite('SAPA-129', 'koordinator')}")
    await stage.koordinator(connect=True)
    await reporter_sends(stage, updates=True)
    await stage.time_passes(days=30)
    await dewi.press("Ambil")


@scenario
async def staff_out_of_scope(stage: Stage) -> None:
    """Bukan kewenangan straight from Baru, with a reason the reporter may see."""
    koor = await stage.koordinator(connect=True)
    siti = await reporter_sends(stage, "keluarga", updates=True)
    await koor.press("Ubah status", chat=GROUP)
    await koor.press("Bukan kewenangan", chat=GROUP)
    await koor.reply("Kejadian di luar negeri; kami teruskan ke KBRI.", chat=GROUP)
    await koor.press("Ya, boleh", chat=GROUP)
    await koor.press_data("s:set:1:asesmen", chat=GROUP)  # the used picker's old data
    await siti.send(f"/status {stage.code()}")


@scenario
async def staff_question_updates_on(stage: Stage) -> None:
    """Tanya pelapor reaches the reporter, who answers (after a Batal); a second question is
    met with Hentikan percakapan, and staff cannot ask again."""
    koor = await stage.koordinator(connect=True)
    siti = await reporter_sends(stage, "korban", updates=True)
    await koor.press("Tanya pelapor", chat=GROUP)
    await koor.reply("Apakah akun itu masih aktif hari ini?", chat=GROUP)
    await siti.press("Balas")
    await siti.press("Batal")
    await siti.press("Balas")
    await siti.send("Masih aktif, namanya @penawar_anak.")
    await koor.press("Tanya pelapor", chat=GROUP)
    await koor.reply("Boleh kami tahu sekolahnya?", chat=GROUP)
    await siti.press("Hentikan percakapan")
    await koor.press("Tanya pelapor", chat=GROUP)
    await siti.press("Balas")  # a question's Balas, after stopping


@scenario
async def staff_question_updates_off(stage: Stage) -> None:
    """With updates off the question waits for /status; an internal note stays with staff."""
    koor = await stage.koordinator(connect=True)
    siti = await reporter_sends(stage, "keluarga", updates=False)
    await koor.press("Tanya pelapor", chat=GROUP)
    await koor.reply("Di kelas berapa anak itu?", chat=GROUP)
    await koor.press("Catatan", chat=GROUP)
    await koor.reply("Sudah koordinasi dengan Polresta; tunggu kabar besok.", chat=GROUP)
    await siti.send(f"/status {stage.code()}")
    await siti.press("Tambah informasi")
    await siti.send("Kelas 8.")
    await siti.send(f"/status {stage.code()}")


@scenario
async def staff_teruskan(stage: Stage) -> None:
    """Teruskan: a typed place, a unit picked, a reason; the old card is stripped and loses
    its rights, the new unit gets the card and works it."""
    koor = await stage.koordinator(connect=True)
    sumut = stage.person(8301, "Bambang", "koordinator, UPTD-PPA-12", last_name="Sitorus")
    await sumut.send(f"/start {await stage.invite('UPTD-PPA-12', 'koordinator')}")
    siti = await reporter_sends(stage, updates=True)
    await koor.press("Ubah status", chat=GROUP)
    await koor.press("Catatan", chat=GROUP)  # left unanswered until after the move
    await koor.press("Teruskan", chat=GROUP)
    await koor.reply("kota medan", chat=GROUP)
    await koor.press("UPTD PPA Provinsi Sumatera Utara", chat=GROUP)
    await koor.reply("Korban dan pelaku berada di Medan.", chat=GROUP)
    await koor.press_data("s:set:1:asesmen", chat=GROUP)  # old picker data: no rights now
    await koor.reply("Catatan yang terlambat.", chat=GROUP, to="tulis catatan internal")
    await sumut.press("Ambil")
    await sumut.press("Tanya pelapor")
    await sumut.reply("Masih ada tautan lain?")
    await siti.press("Balas")
    await siti.send("Tidak ada.")


@scenario
async def staff_images(stage: Stage) -> None:
    """Screenshots are never posted: only the holder opens them, in private, after a warning,
    protected from forwarding."""
    koor = await stage.koordinator(connect=True)
    andi = stage.person(8002, "Andi", "in the group, not staff")
    siti = stage.reporter(5551235, "Siti")
    await start_report(siti, "umum")
    rows, upto = ANSWERED["umum"], _upto("umum")
    await act(siti, rows[:upto])
    await siti.send_media("photo")
    await siti.send_media("photo")
    await tap(siti, "evidence.done")
    await act(siti, [*rows[upto + 1 :], updates_row(False)])
    await tap(siti, "summary.submit")
    images = "🔒 Buka gambar (khusus pemegang)"
    await koor.press(images, chat=GROUP)
    await andi.press(images, chat=GROUP)
    await koor.press("Ambil", chat=GROUP)
    await koor.press(images, chat=GROUP)
    await koor.press("Buka gambar")


@scenario
async def staff_forged_and_strangers(stage: Stage) -> None:
    """A stranger, a petugas not yet approved and forged button data change nothing; once
    approved the petugas takes the ticket."""
    koor = await stage.koordinator(connect=True)
    await reporter_sends(stage, "guru_bk", updates=False)
    stranger = stage.person(9001, "Orang", "a stranger in the group", last_name="Asing")
    await stranger.press("Ambil", chat=GROUP)
    budi = stage.person(8002, "Budi", "petugas, UPTD-PPA-35")
    await budi.send(f"/start {await stage.invite('UPTD-PPA-35', 'petugas')}")
    await budi.press("Ambil", chat=GROUP)
    for forged in ("s:claim:1001", "s:set:1:dibuang", "s:claim:abc", "s:x:1", "s:approve:99"):
        await koor.press_data(forged)
    await koor.press_data("💥")
    await koor.press("Setujui")
    await budi.press("Ambil", chat=GROUP)
    await koor.press("Ubah status", chat=GROUP)
    await koor.press("Asesmen", chat=GROUP)
    await koor.press("Tanya pelapor", chat=GROUP)
    await budi.reply("Pertanyaan dari orang lain.", chat=GROUP)  # Rina's prompt, not Budi's
    await stranger.reply("Ini laporan apa?", chat=GROUP, to="Laporan PPA-")  # chatter
    await koor.reply("Siswa kelas berapa?", chat=GROUP)


@scenario
async def staff_waiting_ticket(stage: Stage) -> None:
    """A ticket sent while nobody was connected reaches the first coordinator to join."""
    siti = await reporter_sends(stage, updates=True)
    rina = stage.person(8501, "Rina", "koordinator, UPTD-PPA-35", last_name="Wati")
    await rina.send(f"/start {await stage.invite('UPTD-PPA-35', 'koordinator')}")
    await rina.press("Ambil")
    await rina.send(f"/hubungkan@{BOT}", chat=stage.group())
    await siti.send(f"/status {stage.code()}")


@scenario
async def staff_hapus(stage: Stage) -> None:
    """/hapus by a reporter whose ticket staff hold: staff are told, questions stop, the case
    goes on and the code still works."""
    koor = await stage.koordinator(connect=True)
    siti = await reporter_sends(stage, updates=True)
    await koor.press("Ambil", chat=GROUP)
    await siti.send("/hapus")
    await siti.press("Ya, hapus")
    await koor.press("Tanya pelapor", chat=GROUP)
    await koor.press("Ubah status", chat=GROUP)
    await koor.press("Asesmen", chat=GROUP)
    await siti.send(f"/status {stage.code()}")


@scenario
async def staff_unreachable(stage: Stage) -> None:
    """The group removed the bot: the card goes to the national channel. The reporter blocked
    the bot: staff are told."""
    dewi = stage.person(8201, "Dewi", "koordinator, SAPA-129", last_name="Lestari")
    await dewi.send(f"/start {await stage.invite('SAPA-129', 'koordinator')}")
    await stage.koordinator(connect=True)
    stage.api.kick_bot(GROUP)
    stage.rec.note("Someone removes the bot from the group")
    siti = await reporter_sends(stage, updates=True)
    siti.user.blocked = True
    stage.rec.note("Siti blocks the bot")
    await dewi.press("Ambil")


# ---------------------------------------------------------------------------------------
# The terminal shell
# ---------------------------------------------------------------------------------------


async def shell_walk(db_kind: str, tmp: Path, keys: Keys, migrating: asyncio.Lock) -> str:
    """`lapor-ppa shell`: the urgent path typed as numbers, then the code's status."""
    async with migrating:
        db, schema = await open_database(db_kind, tmp, keys)
    try:
        settings = Settings(
            secret_key=TEST_SECRET, default_locale="id", status_lookups_per_minute=5, _env_file=None
        )
        app = App(settings, TEST_SECRET, db=db)
        out = io.StringIO()
        norm = Normaliser()
        # Typed lines; buttons are numbers. The last line asks for the code the shell showed.
        script: list[str | Callable[[], str]] = [
            "1", "1", "1", "Sidoarjo", "1", NARRATIVE, "2", "1",
            lambda: f"/status {norm.code(1)}",
        ]  # fmt: skip

        async def read_line() -> str | None:
            if not script:
                return None
            norm.shown(out.getvalue())  # learn the codes shown so far
            line = script.pop(0)
            text = line if isinstance(line, str) else line()
            out.write(text + "\n")  # echoed, as a terminal shows what was typed
            return text

        await TerminalShell(terminal_parts(app), read_line=read_line, out=out).run()
        head = f"# Golden transcript: shell_walk (the terminal shell)\n{REGENERATE}\n\n"
        return head + norm.shown(out.getvalue())
    finally:
        await close_database(db, schema)


# ---------------------------------------------------------------------------------------
# Running and comparing
# ---------------------------------------------------------------------------------------


@dataclass
class Outcome:
    text: str = ""
    error: str = ""  # the traceback when the scenario itself failed


async def play(
    name: str, db_kind: str, runtime: str, tmp: Path, migrating: asyncio.Lock
) -> Outcome:
    """One scenario on a fresh database and bot. Migrations run one at a time: Alembic's
    `context` and `op` are module globals."""
    keys = Keys.derive(TEST_SECRET)
    if name == "shell_walk":
        try:
            return Outcome(await shell_walk(db_kind, tmp, keys, migrating))
        except Exception:  # noqa: BLE001 - reported by the scenario's own test
            return Outcome(error=traceback.format_exc())
    async with migrating:
        db, schema = await open_database(db_kind, tmp, keys)
    api = FakeBotAPI()
    await api.start()
    rec = Recorder(name, api, None)
    try:
        bot = await start_bot(api, db, keys, bot_runtime=runtime)
        rec.bot = bot
        try:
            await rec.started()
            await SCENARIOS[name](Stage(api, bot, rec))
        finally:
            await stop_bot(bot)
        if api.server_errors:
            raise AssertionError(f"the fake Bot API failed: {api.server_errors}")
        return Outcome(rec.text())
    except Exception:  # noqa: BLE001 - reported by the scenario's own test
        return Outcome(rec.text(), traceback.format_exc())
    finally:
        await api.stop()
        await close_database(db, schema)


async def play_all(names: list[str], db_kind: str, runtime: str, tmp: Path) -> dict[str, Outcome]:
    gate, migrating = asyncio.Semaphore(CONCURRENCY[db_kind]), asyncio.Lock()

    async def one(name: str) -> Outcome:
        async with gate:
            return await play(name, db_kind, runtime, tmp / name, migrating)

    for name in names:
        (tmp / name).mkdir()
    results = await asyncio.gather(*(one(n) for n in names))
    return dict(zip(names, results, strict=True))


ALL = [*SCENARIOS, "shell_walk"]
_written: set[str] = set()


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "sqlite+ptb", "postgresql+ptb"])
def transcripts(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Outcome]:
    """Every selected scenario played on one database with one runtime (in a thread with its
    own loop): what people see is the same whichever runtime passes the updates on."""
    param = request.param
    kind, _, runtime = param.partition("+")
    selected = [
        item.callspec.params["name"]
        for item in request.session.items
        if item.originalname == "test_golden" and item.callspec.params.get("transcripts") == param
    ]
    tmp = tmp_path_factory.mktemp(f"golden-{kind}-{runtime or 'aiogram'}")

    async def run() -> dict[str, Outcome] | str:
        if kind == "postgresql" and (reason := await _pg_unavailable()):
            return reason
        return await play_all(selected or ALL, kind, runtime or "aiogram", tmp)

    # A thread of its own: asyncio.run must not touch the main thread's event loop.
    with ThreadPoolExecutor(1) as pool:
        outcome = pool.submit(asyncio.run, run()).result()
    if isinstance(outcome, str):
        pytest.skip(outcome)
    return outcome


@pytest.mark.parametrize("name", ALL)
def test_golden(transcripts: dict[str, Outcome], name: str) -> None:
    outcome = transcripts[name]
    if outcome.error:
        pytest.fail(
            f"scenario {name} failed:\n{outcome.error}\n"
            f"--- transcript so far (last 60 lines) ---\n"
            + "\n".join(outcome.text.splitlines()[-60:]),
            pytrace=False,
        )
    path = GOLDEN_DIR / f"{name}.txt"
    if UPDATE and name not in _written:
        GOLDEN_DIR.mkdir(exist_ok=True)
        path.write_text(outcome.text, encoding="utf-8")
        _written.add(name)
        return
    if not path.exists():
        pytest.fail(f"{path} does not exist; create it with GOLDEN_UPDATE=1", pytrace=False)
    expected = path.read_text(encoding="utf-8")
    if outcome.text != expected:
        diff = difflib.unified_diff(
            expected.splitlines(keepends=True),
            outcome.text.splitlines(keepends=True),
            f"golden/{name}.txt",
            f"{name} now",
        )
        pytest.fail(
            f"what people see changed in {name} (GOLDEN_UPDATE=1 accepts it):\n" + "".join(diff),
            pytrace=False,
        )
