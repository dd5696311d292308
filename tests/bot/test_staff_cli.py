"""The operator's side: invite links, staff list/approve/revoke, and a case's audit trail."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from storage import staff as staff_store
from storage.models import Staff, Ticket, TicketEvent
from tests.fakebot import FakeUser
from tests.handlers.test_reporting_e2e import report_until_summary
from tests.handlers.test_staff_e2e import GROUP, group_message, until
from tests.support import TEST_SECRET, RunningBot

CLI = str(Path(sys.executable).parent / "lapor-ppa")


def cli(db_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "SECRET_KEY": TEST_SECRET,
        "DATABASE_URL": f"sqlite:///{db_path}",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [CLI, *args],
        env=env,
        cwd=db_path.parent,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


async def run_cli(db_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(cli, db_path, *args)


async def test_invite_link_approve_revoke_and_audit(sqlite_bot: RunningBot, tmp_path: Path) -> None:
    db_path = tmp_path / "test.db"
    api = sqlite_bot.api
    made = await run_cli(
        db_path,
        "staff",
        "invite",
        "--upt",
        "UPTD-PPA-35",
        "--role",
        "koordinator",
        "--bot-username",
        "lapor_ppa_test_bot",
    )
    assert made.returncode == 0, made.stderr
    link = re.search(
        r"https://t\.me/lapor_ppa_test_bot\?start=([A-Za-z0-9_-]{1,64})$", made.stdout, re.M
    )
    assert link, made.stdout
    koor = api.user(8101, first_name="Rina")
    [welcome] = await koor.ask(f"/start {link.group(1)}")
    assert "koordinator" in welcome.plain
    [again] = await api.user(8102, first_name="Lain").ask(f"/start {link.group(1)}")
    assert "sudah pernah dipakai" in again.plain  # single use, even for a forwarded link
    [forged] = await api.user(8103).ask("/start " + "x" * 43)  # shaped like an invite
    assert "tidak dikenal" in forged.plain
    welcome, _menu = await api.user(8104).ask("/start sekolah", n=2)  # a campaign link
    assert "Selamat datang" in welcome.plain

    api.group(GROUP, "UPTD PPA Jatim")
    await koor.send_in(GROUP, "/hubungkan@lapor_ppa_test_bot")
    await group_message(api, "terhubung")
    reporter = api.user(5559001)
    await report_until_summary(reporter, "Masyarakat umum")
    await reporter.tap("Kirim", n=2)
    card = await group_message(api, "Laporan PPA-")
    await koor.press_in(GROUP, "Ambil")
    await until(lambda: "Dipegang: Rina" in card.plain)

    listed = await run_cli(db_path, "staff", "list")
    staff_id = listed.stdout.split("\t")[0]
    assert "\tUPTD-PPA-35\tkoordinator\tactive\tRina" in listed.stdout
    revoked = await run_cli(db_path, "staff", "revoke", staff_id)
    assert "is now revoked" in revoked.stdout
    await koor.press_in(GROUP, "Ubah status")  # a revoked account's buttons stop at once
    await until(
        lambda: koor.callback_answers and "tidak berwenang" in koor.callback_answers[-1]["text"]
    )
    await until(lambda: any(c.method == "banChatMember" for c in api.calls))

    async with sqlite_bot.db.unit_of_work() as s:
        case = (await s.scalars(select(Ticket.case_number))).one()
    trail = await run_cli(db_path, "audit", "--case", case)
    assert trail.returncode == 0
    # Times in the unit's zone, people and units by name (issue 13, item 4).
    assert "\taudit\tRina (koordinator, UPTD-PPA-35)\tclaim\t" in trail.stdout
    assert re.search(
        r"^\d{4}-\d\d-\d\d \d\d:\d\d WIB\tevent\tsystem\tcreated → baru", trail.stdout, re.M
    )
    assert "refused" in trail.stdout and "staff:" not in trail.stdout
    assert str(reporter.id) not in trail.stdout


async def koordinator_and_petugas(bot: RunningBot, first_id: int) -> tuple[FakeUser, FakeUser]:
    """Jawa Timur's koordinator Rina and petugas Budi (approved), with no group connected."""
    async with bot.db.unit_of_work() as s:
        koor_token, _ = await staff_store.create_invite(s, bot.keys, "UPTD-PPA-35", "koordinator")
        budi_token, _ = await staff_store.create_invite(s, bot.keys, "UPTD-PPA-35", "petugas")
    koor = bot.api.user(first_id, first_name="Rina")
    budi = bot.api.user(first_id + 1, first_name="Budi")
    await koor.ask(f"/start {koor_token}")
    await budi.ask(f"/start {budi_token}")
    await koor.replies(1)  # the approval request
    await koor.tap("Setujui", n=0)
    await budi.replies(1)  # approved
    return koor, budi


async def test_revoking_a_member_strips_their_cards_and_frees_what_they_held(
    sqlite_bot: RunningBot, tmp_path: Path
) -> None:
    """A unit without a group: cards go to each member privately (issue 12, item 3)."""
    api, db = sqlite_bot.api, sqlite_bot.db
    koor, budi = await koordinator_and_petugas(sqlite_bot, 8201)
    reporter = api.user(5559101)
    await report_until_summary(reporter, "Masyarakat umum")
    await reporter.tap("Kirim", n=2)
    [koor_card] = await koor.replies(1)
    [budi_card] = await budi.replies(1)
    await budi.press("Ambil")
    await until(lambda: "Dipegang: Budi" in budi_card.plain and "Dipegang: Budi" in koor_card.plain)

    async with db.unit_of_work() as s:
        member = (await s.scalars(select(Staff).where(Staff.display_name == "Budi"))).one()
    revoked = await run_cli(tmp_path / "test.db", "staff", "revoke", str(member.id))
    assert revoked.returncode == 0, revoked.stderr
    assert "back to unclaimed: PPA-" in revoked.stdout

    [told_budi] = await budi.replies(1)
    assert "telah dicabut" in told_budi.plain and "PPA-" not in told_budi.plain
    [told_koor] = await koor.replies(1)
    assert "Akses Budi telah dicabut" in told_koor.plain and "(1)" in told_koor.plain
    await until(lambda: "akses Anda ke laporan ini sudah berakhir" in budi_card.plain)
    assert budi_card.buttons == [] and "MiChat" not in budi_card.plain
    await until(lambda: "Dipegang: belum ada" in koor_card.plain)
    assert ["Ambil"] in koor_card.buttons  # someone can take it again
    async with db.unit_of_work() as s:
        ticket = (await s.scalars(select(Ticket))).one()
        kinds = [e.kind for e in await s.scalars(select(TicketEvent))]
    assert ticket.claimed_by_id is None and "released" in kinds

    edits = len(budi_card.edits)
    await koor.press("Ambil")
    await until(lambda: "Dipegang: Rina" in koor_card.plain)
    await asyncio.sleep(0.5)
    assert len(budi_card.edits) == edits  # nothing about the case reaches Budi any more


async def test_one_member_who_blocked_the_bot_does_not_make_the_card_undeliverable(
    sqlite_bot: RunningBot,
) -> None:
    """A unit without a group reaches its members privately (issue 12, item 8)."""
    api, db = sqlite_bot.api, sqlite_bot.db
    koor, budi = await koordinator_and_petugas(sqlite_bot, 8301)
    budi.blocked = True
    reporter = api.user(5559201)
    await report_until_summary(reporter, "Masyarakat umum")
    await reporter.tap("Kirim", n=2)
    [card] = await koor.replies(1)
    assert "Laporan PPA-" in card.plain

    async def failed() -> list[str]:
        async with db.unit_of_work() as s:
            return [e.kind for e in await s.scalars(select(TicketEvent))]

    for _ in range(100):
        if "delivery_failed" in await failed():
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)
    kinds = await failed()
    assert "delivery_failed" in kinds and "escalated" not in kinds  # still with Jawa Timur
