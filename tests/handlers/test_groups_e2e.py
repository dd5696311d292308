"""A unit's group is its access boundary (issue 12, items 4 and 7): one group serves one unit,
reconnecting leaves the old group with nothing, buttons work only where their unit works,
public groups are refused, and the bot knows its own standing in the group."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from storage import staff as staff_store
from storage.models import AuditEntry, Ticket, Upt
from tests.fakebot import FakeUser
from tests.handlers.test_reporting_e2e import report_until_summary
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

NEW_GROUP = -1009876543210


async def test_reconnecting_leaves_the_old_group_with_nothing_that_works(
    running_bot: RunningBot,
) -> None:
    api, db = running_bot.api, running_bot.db
    koor = await connected_coordinator(running_bot)
    card = await reported_in_group(api.user(5551400), api, "Masyarakat umum")
    assert card.protected  # case content cannot be forwarded or saved
    await koor.press_in(GROUP, "Ubah status")
    picker = await group_message(api, "Pilih status baru")

    api.group(NEW_GROUP, "UPTD PPA Jatim (baru)")
    await koor.send_in(NEW_GROUP, f"/hubungkan@{BOT}")
    await until(lambda: any("terhubung" in m.plain for m in bot_messages(api, NEW_GROUP)))
    told = await group_message(api, "tidak lagi menerima laporan")
    assert "UPTD PPA Provinsi Jawa Timur" in told.plain
    await until(lambda: "kini memakai grup lain" in card.plain)
    assert card.buttons == [] and "Akun" not in card.plain
    await until(lambda: any("Laporan PPA-" in m.plain for m in bot_messages(api, NEW_GROUP)))

    # The old group's buttons no longer work, even a status picker still on screen there.
    before = len(koor.callback_answers)
    await koor.press_in(GROUP, picker.buttons[0][0])
    await until(lambda: len(koor.callback_answers) > before)
    assert "tidak berwenang" in koor.callback_answers[-1]["text"]
    async with db.unit_of_work() as s:
        assert (await s.scalars(select(Ticket))).one().status == "baru"
        refused = [a.detail or "" for a in await s.scalars(select(AuditEntry))]
        assert any("outside the unit's group" in d for d in refused)

    # One group serves one unit: another unit's koordinator cannot take this one over.
    async with db.unit_of_work() as s:
        token, _ = await staff_store.create_invite(
            s, running_bot.keys, "UPTD-PPA-31", "koordinator"
        )
    other = api.user(8011, first_name="Dewi")
    await other.ask(f"/start {token}")
    await other.send_in(NEW_GROUP, f"/hubungkan@{BOT}")
    refused_msg = await until_group(running_bot, NEW_GROUP, "sudah dipakai oleh")
    assert "UPTD PPA Provinsi Jawa Timur" in refused_msg
    async with db.unit_of_work() as s:
        jatim = (await s.scalars(select(Upt).where(Upt.code == "UPTD-PPA-35"))).one()
        assert jatim.telegram_chat_id == NEW_GROUP


async def until_group(bot: RunningBot, chat: int, text: str) -> str:
    def found() -> str | None:
        return next((m.plain for m in bot_messages(bot.api, chat) if text in m.plain), None)

    await until(lambda: found() is not None)
    return found() or ""


async def test_public_groups_are_refused_and_the_bot_knows_its_standing(
    running_bot: RunningBot,
) -> None:
    api, db = running_bot.api, running_bot.db
    koor = api.user(8001, first_name="Rina", last_name="Wati")
    await koor.ask(f"/start {await invite(running_bot, 'koordinator')}")
    api.group(GROUP, "UPTD PPA Jatim", username="uptdppajatim")
    await koor.send_in(GROUP, f"/hubungkan@{BOT}")
    assert "publik" in await until_group(running_bot, GROUP, "Grup ini publik")

    api.group(NEW_GROUP, "UPTD PPA Jatim", bot_status="member")
    await koor.send_in(NEW_GROUP, f"/hubungkan@{BOT}")
    await until_group(running_bot, NEW_GROUP, "terhubung")
    assert "Ban users" in await until_group(running_bot, NEW_GROUP, "belum menjadi admin")

    async def jatim() -> Upt:
        async with db.unit_of_work() as s:
            return (await s.scalars(select(Upt).where(Upt.code == "UPTD-PPA-35"))).one()

    assert ((await jatim()).telegram_chat_id, (await jatim()).bot_admin) == (NEW_GROUP, False)
    api.set_bot_status(NEW_GROUP, "administrator", by=koor)
    await until_async(lambda: jatim(), lambda u: u.bot_admin is True)
    api.set_bot_status(NEW_GROUP, "kicked", by=koor)
    [removed] = await koor.replies(1)
    assert "dikeluarkan dari grup" in removed.plain
    await until_async(lambda: jatim(), lambda u: u.telegram_chat_id is None)

    # Without its group, the unit's next card reaches its koordinator privately.
    await reported_in_group_private(running_bot, koor)


async def until_async(fetch, ok) -> None:  # type: ignore[no-untyped-def]
    for _ in range(200):
        if ok(await fetch()):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the expected change never came")


async def reported_in_group_private(bot: RunningBot, koor: FakeUser) -> None:
    reporter = bot.api.user(5551401)
    await report_until_summary(reporter, "Masyarakat umum")
    await reporter.tap("Kirim", n=2)
    [card] = await koor.replies(1)
    assert "Laporan PPA-" in card.plain and card.protected
